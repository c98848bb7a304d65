using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Endpoints;

namespace Resh.Handles.Net.Http;

/// <summary>A response with how it was reached: redirects followed, attempts, and the final request's trace.</summary>
internal sealed class ExchangeResult(HttpResponseMessage response, Uri url, string method, List<HttpRedirect> redirects, int attempts,
    RequestTrace trace, long start, HttpConnector connector)
{
    public HttpConnector Connector { get; } = connector;
    public HttpResponseMessage Response { get; } = response;
    public Uri Url { get; } = url;
    public string Method { get; } = method;
    public List<HttpRedirect> Redirects { get; } = redirects;
    public int Attempts { get; } = attempts;
    public RequestTrace Trace { get; } = trace;
    public long Start { get; } = start;
    public long HeadersAt { get; } = Stopwatch.GetTimestamp();
    public int Status => (int)Response.StatusCode;
    /// <summary>The version of the status line or connection: 1.0 for an HTTP/1.0 answer, 1.1, 2.</summary>
    public string Version => Response.Version.Major >= 2
        ? Response.Version.Major.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : Response.Version.Minor == 0 ? "1.0" : "1.1";
}

/// <summary>
/// Sends a request: retries idempotent methods after connection errors and 429/502/503/504 (with backoff,
/// Retry-After honoured), follows redirects to http(s) URLs only (303 and POST→GET as browsers do, 307/308
/// keep the method and body, credentials dropped when the host changes), and turns failures into envelopes.
/// </summary>
internal static class HttpExchange
{
    public static async Task<ExchangeResult> SendAsync(VerbContext ctx, HttpRequestSpec spec, CancellationToken ct,
        IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null)
    {
        var start = Stopwatch.GetTimestamp();
        var redirects = new List<HttpRedirect>();
        var url = spec.Url;
        var method = spec.Method;
        var body = spec.Body;
        var authorization = spec.Authorization;
        var headers = spec.Headers;
        int attempts = 0;
        while (true)
        {
            var (response, trace) = await SendWithRetriesAsync(ctx, spec, method, url, body, authorization, headers, extraHeaders, ct,
                n => attempts += n).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (spec.Follow && status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                if (next.Scheme is not ("http" or "https"))
                    throw ReshError.Failed($"{url} redirected to a {next.Scheme}: URL, which is not followed.",
                        "Only http:// and https:// redirects are followed; fetch the location yourself if you trust it.",
                        new JsonObject { ["status"] = status, ["location"] = next.OriginalString }).ToException();
                if (redirects.Count >= spec.MaxRedirects)
                    throw ReshError.Failed($"More than {spec.MaxRedirects} redirects (last to {next}).", "Raise max_redirects=, or look for a redirect loop.",
                        new JsonObject { ["redirects"] = new JsonArray(redirects.Select(r => (JsonNode?)r.To).Append(next.ToString()).ToArray()) }).ToException();
                redirects.Add(new HttpRedirect(status, url.ToString(), next.ToString()));
                if (url.Scheme == "https" && next.Scheme == "http") ctx.Warn($"Redirected from https:// to plain http:// ({next.GetLeftPart(UriPartial.Authority)}).");
                if (status == 303 || (status is 301 or 302 && method == "POST"))
                {
                    if (method != "HEAD") method = "GET";
                    body = null;
                }
                else if (body is { Replayable: false })
                    throw ReshError.Failed($"{url} answered {status} to {next}, but the body came from stdin and cannot be sent again.",
                        "Send the body from a file (body=@FILE) or to the final URL.").ToException();
                if (!string.Equals(next.GetLeftPart(UriPartial.Authority), url.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
                {
                    // Another origin (scheme, host or port): like curl, credentials stay with the origin they were
                    // given for; caller headers other than plain content negotiation go too (a Cookie or an
                    // X-Api-Key is as much a secret as Authorization).
                    var dropped = headers.Where(h => !IsSafeAcrossOrigins(h.Key)).Select(h => h.Key).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                    if (authorization is not null) dropped.Insert(0, "Authorization (bearer=/password=)");
                    authorization = null;
                    headers = headers.Where(h => IsSafeAcrossOrigins(h.Key)).ToList();
                    if (dropped.Count > 0)
                        ctx.Warn($"Credentials were not sent to {next.GetLeftPart(UriPartial.Authority)} after the redirect (another origin); dropped: {string.Join(", ", dropped)}.");
                }
                url = next;
                continue;
            }
            return new ExchangeResult(response, url, method, redirects, attempts, trace, start, spec.Connector);
        }
    }

    static async Task<(HttpResponseMessage, RequestTrace)> SendWithRetriesAsync(VerbContext ctx, HttpRequestSpec spec, string method, Uri url,
        BodySource? body, string? authorization, List<KeyValuePair<string, string>> headers, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders,
        CancellationToken ct, Action<int> count)
    {
        var retries = HttpRequestSpec.IsIdempotent(method) && body is not { Replayable: false } ? spec.Retries : 0;
        var backoff = spec.RetryBackoff;
        for (int attempt = 0; ; attempt++)
        {
            count(1);
            using var request = new HttpRequestMessage(new HttpMethod(method), url)
            {
                Version = spec.Version,
                VersionPolicy = spec.VersionPolicy,
            };
            var trace = new RequestTrace();
            request.Options.Set(RequestTrace.Key, trace);
            if (body is not null) request.Content = body.Create();
            foreach (var (k, v) in headers) AddHeader(request, k, v);
            if (extraHeaders is not null) foreach (var (k, v) in extraHeaders) AddHeader(request, k, v);
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            if (spec.AcceptEncoding) request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br, zstd");
            if (!request.Headers.Contains("User-Agent")) request.Headers.TryAddWithoutValidation("User-Agent", "resh");
            HttpResponseMessage response;
            try
            {
                response = await spec.Connector.Invoker.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (attempt < retries && IsTransient(ex) && !ct.IsCancellationRequested)
            {
                ctx.Warn($"Attempt {attempt + 1} failed ({ExceptionTranslation.OneLine(ex.Message)}); retrying.");
                await Task.Delay(backoff, ct).ConfigureAwait(false);
                backoff *= 2;
                continue;
            }
            var status = (int)response.StatusCode;
            if (attempt < retries && status is 429 or 502 or 503 or 504)
            {
                var wait = RetryAfter(response.Headers.RetryAfter) ?? backoff;
                if (wait > TimeSpan.FromMinutes(2)) wait = TimeSpan.FromMinutes(2);
                ctx.Warn($"Attempt {attempt + 1} answered {status}; retrying in {Resh.Core.Values.DurationValue.Format(wait)}.");
                response.Dispose();
                await Task.Delay(wait, ct).ConfigureAwait(false);
                backoff *= 2;
                continue;
            }
            return (response, trace);
        }
    }

    static void AddHeader(HttpRequestMessage request, string name, string value)
    {
        if (IsContentHeader(name))
        {
            request.Content ??= new ByteArrayContent([]);
            request.Content.Headers.Remove(name);
            request.Content.Headers.TryAddWithoutValidation(name, value);
        }
        else request.Headers.TryAddWithoutValidation(name, value);
    }

    /// <summary>Caller headers still sent after a redirect to another origin: content negotiation and the body's own headers.</summary>
    static bool IsSafeAcrossOrigins(string name) =>
        name.ToLowerInvariant() is "accept" or "accept-language" or "user-agent" or "cache-control" or "content-type" or "content-language"
            or "content-encoding" or "if-none-match" or "if-modified-since";

    static bool IsContentHeader(string name) => name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expires", StringComparison.OrdinalIgnoreCase) || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Allow", StringComparison.OrdinalIgnoreCase);

    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? value) =>
        value?.Delta ?? (value?.Date is { } d ? (d - DateTimeOffset.UtcNow) is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero : null);

    static bool IsTransient(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ResponseEnded
            or HttpRequestError.Unknown;

    /// <summary>The envelope error for a failed exchange.</summary>
    public static ReshError Translate(Exception ex, Uri url, HttpConnector connector, bool timedOut, TimeSpan? timeout, long bytesRead = -1)
    {
        var authority = url.GetLeftPart(UriPartial.Authority);
        if (ex is ReshException rex) return rex.Error;
        if (ex is UnauthorizedAccessException)
            return ReshError.PermissionDenied($"Cannot write the response body: {ExceptionTranslation.OneLine(ex.Message)}",
                "Choose an output= path this user may write.", new JsonObject { ["url"] = url.ToString() });
        if (timedOut)
            return ReshError.Timeout($"{authority} did not answer within {Resh.Core.Values.DurationValue.Format(timeout ?? TimeSpan.Zero)}.",
                "Raise timeout= (the whole exchange) or check the server.", new JsonObject { ["url"] = url.ToString() });
        var inner = Innermost(ex);
        if (ex is HttpRequestException hre)
        {
            switch (hre.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return ReshError.Unavailable($"Cannot resolve the host {url.Host}.", "Check the spelling of the host and the resolver (/etc/resolv.conf, /etc/hosts).",
                        new JsonObject { ["host"] = url.Host }) with { NotSent = true };
                case HttpRequestError.ConnectionError when inner is SocketException se && ProxyFailed(connector, url) is { } proxy:
                    return ReshError.Unavailable($"Cannot connect to the proxy {proxy} (on the way to {authority}): {SocketReason(se)}.",
                        "Check proxy= (or the http_proxy/https_proxy/no_proxy environment); proxy= with an empty value connects directly.",
                        new JsonObject { ["url"] = url.ToString(), ["proxy"] = proxy, ["socket_error"] = se.SocketErrorCode.ToString() }) with { NotSent = true };
                case HttpRequestError.ConnectionError when inner is SocketException se:
                    return ReshError.Unavailable($"Cannot connect to {authority}: {se.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.HostUnreachable => "host unreachable",
                        SocketError.NetworkUnreachable => "network unreachable",
                        SocketError.TimedOut => "timed out",
                        SocketError.HostNotFound => "host not found",
                        _ => ExceptionTranslation.OneLine(se.Message),
                    }}.", "Is the server running and listening on that port?",
                        new JsonObject { ["url"] = url.ToString(), ["socket_error"] = se.SocketErrorCode.ToString() }) with { NotSent = true };
                case HttpRequestError.SecureConnectionError:
                    var why = connector.Trust.LastFailure ?? (inner is AuthenticationException ae ? ExceptionTranslation.OneLine(ae.Message) : ExceptionTranslation.OneLine(inner.Message));
                    return ReshError.Failed($"TLS with {authority} failed: {why}.", TlsTrust.Hint,
                        new JsonObject { ["url"] = url.ToString(), ["tls_error"] = why }) with { NotSent = true };
                case HttpRequestError.ProxyTunnelError:
                    return ReshError.Unavailable($"The proxy refused the tunnel to {authority}: {ExceptionTranslation.OneLine(hre.Message)}", "Check proxy=.") with { NotSent = true };
            }
            if (inner is TimeoutException)
                return ReshError.Timeout($"Connecting to {authority} timed out.", "Raise connect_timeout= or check that the host is reachable.") with { NotSent = true };
            if (hre.HttpRequestError is HttpRequestError.ResponseEnded || inner is IOException or SocketException)
                // The connection broke during the exchange (reset, closed before the answer): a read may be tried
                // again; the request may have reached the server, so a POST is not repeated.
                return ReshError.Failed($"The connection to {authority} broke before the answer: {ExceptionTranslation.OneLine(inner.Message)}",
                    "Try again; check the server's log if it keeps happening.",
                    new JsonObject { ["url"] = url.ToString(), ["error"] = hre.HttpRequestError.ToString() }) with { Transient = true };
            return ReshError.Failed($"The exchange with {authority} failed: {ExceptionTranslation.OneLine(inner.Message)}", null,
                new JsonObject { ["url"] = url.ToString(), ["error"] = hre.HttpRequestError.ToString() });
        }
        if (ex is OperationCanceledException && inner is TimeoutException)
            return ReshError.Timeout($"Connecting to {authority} timed out.", "Raise connect_timeout= or check that the host is reachable.") with { NotSent = true };
        if (inner is IOException { HResult: 28 or 122 }) // ENOSPC, EDQUOT: the local file, not the connection
            return ReshError.Failed($"Cannot write the response body: {ExceptionTranslation.OneLine(inner.Message)}",
                "Free space on that file system, or choose another output=.", new JsonObject { ["url"] = url.ToString(), ["bytes_read"] = bytesRead, ["local"] = true });
        if (ex is IOException or HttpIOException)
            return ReshError.Failed($"The connection to {authority} was cut{(bytesRead >= 0 ? $" after {bytesRead} body bytes" : "")}: {ExceptionTranslation.OneLine(inner.Message)}",
                "Try again; download resumes from where it stopped.", new JsonObject { ["url"] = url.ToString(), ["bytes_read"] = bytesRead }) with { Transient = true };
        return ReshError.Failed($"The exchange with {authority} failed: {ExceptionTranslation.OneLine(inner.Message)}", null,
            new JsonObject { ["url"] = url.ToString() });
    }

    /// <summary>The proxy's HOST:PORT when the connection that failed was to a proxy rather than to the URL's host.</summary>
    static string? ProxyFailed(HttpConnector connector, Uri url)
    {
        if (connector.LastConnectFailure is not { } failed) return null;
        var target = $"{url.IdnHost.Trim('[', ']')}:{url.Port}";
        return string.Equals(failed.Replace("[", "").Replace("]", ""), target, StringComparison.OrdinalIgnoreCase) ? null : failed;
    }

    static string SocketReason(SocketException se) => se.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.TimedOut => "timed out",
        SocketError.HostNotFound => "host not found",
        _ => ExceptionTranslation.OneLine(se.Message),
    };

    static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
