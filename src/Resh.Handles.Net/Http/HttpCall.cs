using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Http;

/// <summary>The shared body of the method verbs (get, post, ..., request, upload): send, read, shape the result.</summary>
internal static class HttpCall
{
    public static VerbInfo Define(string verb, string? method, string summary, bool withBody, Effect effect, ArgInfo[] extra,
        Example[] examples, string? notes = null) =>
        VerbInfo.Define(verb, effect, summary,
            [.. extra, .. (withBody ? HttpArgs.BodyArgs : []), .. HttpArgs.Common],
            () => HttpJson.Default.HttpResult,
            ctx => RunAsync(ctx, method ?? throw new InvalidOperationException(), withBody),
            examples: examples, notes: notes) is var v && method is "PUT" or "DELETE" ? v.WithIdempotence() : v;

    public static async ValueTask<Outcome<HttpResult>> RunAsync(VerbContext ctx, string method, bool withBody, HttpRequestSpec? prepared = null)
    {
        var spec = prepared ?? HttpRequestSpec.Build(ctx, method, withBody);
        var expect = StatusExpectation.Parse(ctx.Get(HttpArgs.Expect));
        var output = ctx.Get(HttpArgs.Output);
        if (output is not null) output = Path.GetFullPath(output);
        if (ctx.DryRun && (HttpRequestSpec.Changes(spec.Method) || output is not null))
        {
            ctx.Warn($"Dry run: {spec.Method} {spec.Url} was not sent.");
            return Outcome.Changed(new HttpResult(spec.Method, spec.Url.ToString(), 0, "", "", new Dictionary<string, string>(), null, "none", null, null,
                0, false, null, output, new HttpTimings(0, 0, 0, 0, 0), [], null, 0, false));
        }
        var maxBody = ctx.Get(HttpArgs.MaxBody)!.Value;
        var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        if (spec.Timeout is { } t) timeoutCts.CancelAfter(t);
        var ct = timeoutCts.Token;
        ExchangeResult? ex = null;
        long read = -1;
        try
        {
            ex = await HttpExchange.SendAsync(ctx, spec, ct).ConfigureAwait(false);
            var response = ex.Response;
            var status = ex.Status;
            var headers = HeadersOf(response);
            var contentType = response.Content.Headers.ContentType?.ToString();
            if (!expect.Matches(status))
            {
                var (excerpt, _) = await HttpBody.ReadBoundedAsync(HttpBody.Decode(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), response, out _, out _), 4096, ct).ConfigureAwait(false);
                response.Dispose();
                return StatusError(ex, expect, excerpt, contentType);
            }
            var raw = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            string? encoding = null, unknown = null;
            var decoded = ex.Method == "HEAD" ? raw : HttpBody.Decode(raw, response, out encoding, out unknown);
            if (unknown is not null) ctx.Warn($"The body is encoded with `{unknown}`, which resh cannot decode; it is returned as sent.");
            if (ctx.WantsRaw && output is null && ex.Method == "HEAD")
            {
                // `head --format raw` is `curl -I`: the status line and the headers as received, CRLF-terminated.
                var result0 = Result(ex, headers, contentType, "none", null, null, 0, false, null, null, Timings(ex, Stopwatch.GetTimestamp()));
                var head = RawHead(ex);
                response.Dispose();
                return new Outcome<HttpResult>(result0, false).WithRaw(RawPayload.FromBytes(head));
            }
            if (ctx.WantsRaw && output is null && ex.Method != "HEAD")
            {
                var result0 = Result(ex, headers, contentType, "none", null, null, 0, false, encoding, null, Timings(ex, Stopwatch.GetTimestamp()));
                return new Outcome<HttpResult>(result0, HttpRequestSpec.Changes(spec.Method)).WithRaw(new StreamPayload(decoded, response, timeoutCts));
            }
            if (output is not null && ex.Method != "HEAD")
            {
                long written = 0;
                uint mode = 0x1b6 & ~OutputFile.Umask();
                try
                {
                    using var outDir = DirHandle.Open(Path.GetDirectoryName(output)!);
                    mode = OutputFile.FinalMode(outDir, Path.GetFileName(output)); // a replaced 0600 file stays 0600, as with curl -o
                }
                catch (IOException) { } // an unreadable or missing directory: the write below reports it
                await AtomicFile.WriteAsync(output, async (fs, token) =>
                {
                    var buffer = new byte[256 * 1024];
                    int n;
                    while ((n = await decoded.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                    {
                        await fs.WriteAsync(buffer.AsMemory(0, n), token).ConfigureAwait(false);
                        written += n;
                        read = written;
                    }
                }, (UnixFileMode)mode, null, ct, callerNamed: true).ConfigureAwait(false);
                var done = Stopwatch.GetTimestamp();
                response.Dispose();
                return Outcome.Changed(Result(ex, headers, contentType, "file", null, null, written, false, encoding, output, Timings(ex, done)));
            }
            var (data, truncated) = ex.Method == "HEAD" ? ([], false) : await HttpBody.ReadBoundedAsync(decoded, maxBody, ct).ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            response.Dispose();
            if (truncated)
                ctx.Warn($"The body is longer than max_body ({Resh.Core.Values.SizeValue.Format(maxBody)}); only that much was read. Raise max_body= or use output=FILE.");
            var (kind, body, b64) = HttpBody.Classify(data, contentType, truncated);
            return new Outcome<HttpResult>(Result(ex, headers, contentType, kind, body, b64, data.Length, truncated, encoding, null, Timings(ex, end)),
                HttpRequestSpec.Changes(spec.Method));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ctx.Cancellation.IsCancellationRequested)
        {
            ex?.Response.Dispose();
            var timedOut = timeoutCts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested;
            return HttpExchange.Translate(e, ex?.Url ?? spec.Url, spec.Connector, timedOut, spec.Timeout, read);
        }
    }

    /// <summary>The examples with the handle's own scheme (http:// and https:// share the verbs).</summary>
    public static Example[] Examples(string scheme, Example[] examples) =>
        examples.Select(e => new Example(Rescheme(e.Command, scheme), e.Description)).ToArray();

    static string Rescheme(string command, string scheme)
    {
        var i = command.IndexOf("://", StringComparison.Ordinal);
        if (i < 0) return command;
        var start = command.LastIndexOfAny(['\'', ' '], i) + 1;
        return command[..start] + scheme + command[i..];
    }

    public static ReshError StatusError(ExchangeResult ex, StatusExpectation expect, byte[] excerpt, string? contentType)
    {
        var status = ex.Status;
        var reason = ex.Response.ReasonPhrase ?? "";
        var hint = status switch
        {
            401 => "The server wants credentials: user= with password=, or bearer=.",
            403 => "The credentials were refused for this resource.",
            404 => "Check the path of the URL.",
            405 => "The server does not take this method here; the Allow header lists what it takes.",
            429 => "Rate limited: retries= waits and retries (Retry-After is honoured).",
            >= 500 => "A server-side error; retries= retries idempotent requests.",
            _ => null,
        };
        hint = (hint is null ? "" : hint + " ") + $"expect={status} accepts this status.";
        var details = new JsonObject
        {
            ["status"] = status,
            ["reason"] = reason,
            ["url"] = ex.Url.ToString(),
            ["method"] = ex.Method,
            ["expected"] = expect.Text,
            ["content_type"] = contentType,
            ["body_excerpt"] = HttpBody.Excerpt(excerpt),
        };
        if (ex.Response.Content.Headers.Allow.Count > 0) details["allow"] = string.Join(", ", ex.Response.Content.Headers.Allow);
        // 429 and 502-504 say "not now": --retry tries again, after the server's Retry-After when it sent one.
        // The request did reach the server, so a POST is not repeated (sent stays unsaid).
        return ReshError.Failed($"{ex.Method} {ex.Url} answered {status} {reason}".TrimEnd() + ".", hint, details) with
        {
            Transient = status is 429 or 502 or 503 or 504,
            RetryAfter = status is 429 or 503 ? HttpExchange.RetryAfter(ex.Response.Headers.RetryAfter) : null,
        };
    }

    /// <summary>The response head as curl -I prints it: status line, then each header line as received, then an empty line.</summary>
    static byte[] RawHead(ExchangeResult ex)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(ex.Version == "2" ? "HTTP/2" : "HTTP/" + ex.Version).Append(' ').Append(ex.Status);
        if (!string.IsNullOrEmpty(ex.Response.ReasonPhrase)) sb.Append(' ').Append(ex.Response.ReasonPhrase);
        sb.Append("\r\n");
        foreach (var h in ex.Response.Headers.NonValidated.Concat(ex.Response.Content.Headers.NonValidated))
            foreach (var v in h.Value)
                sb.Append(h.Key).Append(": ").Append(v).Append("\r\n");
        sb.Append("\r\n");
        return System.Text.Encoding.Latin1.GetBytes(sb.ToString());
    }

    public static Dictionary<string, string> HeadersOf(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        // NonValidated: the values as the server sent them (the parsed view re-joins Server's product tokens with ", ").
        foreach (var h in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            var name = h.Key.ToLowerInvariant();
            var value = string.Join(name == "set-cookie" ? "\n" : ", ", h.Value);
            headers[name] = headers.TryGetValue(name, out var prior) ? prior + ", " + value : value;
        }
        return headers;
    }

    public static HttpTimings Timings(ExchangeResult ex, long end) => new(
        ex.Trace.DnsMs, ex.Trace.ConnectMs, ex.Trace.TlsMs,
        HttpConnector.Ms(ex.Start, ex.HeadersAt), HttpConnector.Ms(ex.Start, end));

    public static HttpTlsInfo? Tls(ExchangeResult ex, HttpConnector connector)
    {
        if (ex.Url.Scheme != "https") return null;
        var state = connector.State(ex.Url.IdnHost);
        if (state?.Certificate is not { } cert) return null;
        string protocol = state.Protocol, cipher = state.Cipher, alpn = state.Alpn;
        try
        {
            if (state.Ssl is { IsAuthenticated: true } ssl)
            {
                protocol = ssl.SslProtocol.ToString();
                cipher = ssl.NegotiatedCipherSuite.ToString();
                alpn = ssl.NegotiatedApplicationProtocol.ToString();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException) { }
        var notAfter = cert.NotAfter.ToUniversalTime();
        return new HttpTlsInfo(protocol, cipher.Length == 0 ? null : cipher, alpn.Length == 0 ? null : alpn, cert.Subject, cert.Issuer,
            notAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            (int)Math.Floor((notAfter - DateTime.UtcNow).TotalDays), state.Verified);
    }

    static HttpResult Result(ExchangeResult ex, Dictionary<string, string> headers, string? contentType, string kind, JsonNode? body, string? b64,
        long bytes, bool truncated, string? encoding, string? output, HttpTimings timings) =>
        new(ex.Method, ex.Url.ToString(), ex.Status, ex.Response.ReasonPhrase ?? "", ex.Version, headers, contentType, kind, body, b64,
            bytes, truncated, encoding, output, timings, ex.Redirects, Tls(ex, ex.Connector), ex.Attempts, !ex.Trace.NewConnection);

    /// <summary>`--format raw`: the decoded body bytes streamed to stdout as they arrive, like `curl -s`.</summary>
    sealed class StreamPayload(Stream body, HttpResponseMessage response, CancellationTokenSource cts) : RawPayload
    {
        public override async ValueTask WriteToAsync(Stream output, CancellationToken ct)
        {
            try
            {
                var buffer = new byte[128 * 1024];
                int n;
                while ((n = await body.ReadAsync(buffer, cts.Token).ConfigureAwait(false)) > 0) output.Write(buffer, 0, n);
                output.Flush();
            }
            finally
            {
                response.Dispose();
                cts.Dispose();
            }
        }
    }
}
