using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// Bounded HTTP(S) GETs for plugin sources (registry indexes, signatures, archives): TLS verified by the system store,
/// at most <see cref="MaxRedirects"/> redirects and only to the same host (never to another host, never https → http),
/// a size bound checked on the declared length and while streaming, and a time bound (--timeout, else 60 s).
/// URLs are shown without their userinfo.
/// </summary>
public static class PluginHttp
{
    public const int MaxRedirects = 5;
    public const long MaxIndexBytes = 4L << 20;
    public const long MaxSignatureBytes = 4096;
    public const long MaxArchiveBytes = 256L << 20;

    public static bool IsUrl(string s) =>
        s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The URL without user:password@ (for envelopes).</summary>
    public static string Display(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.UserInfo.Length > 0 ? url.Replace(u.UserInfo + "@", "", StringComparison.Ordinal) : url;

    public static Uri ParseUrl(string url, string what)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https") || string.IsNullOrEmpty(u.Host))
            throw ReshError.Usage($"The {what} `{Display(url)}` is not an http(s) URL.", "Give an absolute URL such as https://plugins.example.org/index.json.").ToException();
        if (u.UserInfo.Length > 0)
            throw ReshError.Usage($"The {what} carries credentials in the URL; they are not sent.", "Remove user:password@ from the URL.").ToException();
        return u;
    }

    public static async Task<byte[]> GetBytesAsync(VerbContext ctx, Uri url, long max, string what)
    {
        using var ms = new MemoryStream();
        await GetAsync(ctx, url, ms, max, what).ConfigureAwait(false);
        return ms.ToArray();
    }

    /// <summary>GET into <paramref name="sink"/>; null when the server answers 404 and <paramref name="missingOk"/>.</summary>
    /// <param name="bearer">A token for the Authorization header: sent over https only, to <paramref name="url"/>'s host only (redirects stay on it).</param>
    public static async Task<bool> GetAsync(VerbContext ctx, Uri url, Stream sink, long max, string what, bool missingOk = false,
        Resh.Core.Secrets.SecretValue? bearer = null)
    {
        if (bearer is not null && url.Scheme != "https")
            throw ReshError.Usage($"token= is sent only over https; {Display(url.ToString())} is {url.Scheme}://, so nothing was fetched.",
                "Use the https URL of the archive.").ToException();
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AutomaticDecompression = DecompressionMethods.None,
            MaxResponseHeadersLength = 64,
        };
        using var client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        if (ctx.TimeRemaining is null) cts.CancelAfter(TimeSpan.FromSeconds(60));
        var current = url;
        try
        {
            for (var hop = 0; ; hop++)
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, current);
                req.Headers.UserAgent.ParseAdd("resh-plugin/1");
                if (bearer is not null) req.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer.Reveal());
                using var resp = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
                var code = (int)resp.StatusCode;
                if (code is >= 300 and < 400 && resp.Headers.Location is { } loc)
                {
                    var next = loc.IsAbsoluteUri ? loc : new Uri(current, loc);
                    if (hop >= MaxRedirects)
                        throw ReshError.Failed($"The {what} at {Display(url.ToString())} redirects more than {MaxRedirects} times.", "Give the final URL.").ToException();
                    if (!string.Equals(next.Host, current.Host, StringComparison.OrdinalIgnoreCase) || next.Port != current.Port
                        || (current.Scheme == "https" && next.Scheme != "https") || (next.Scheme != "http" && next.Scheme != "https"))
                        throw ReshError.PermissionDenied($"The {what} at {Display(url.ToString())} redirects to another host ({next.Scheme}://{next.Authority}); not followed.",
                            "Give the final URL yourself if you trust that host.", new JsonObject { ["location"] = Display(next.ToString()) }).ToException();
                    current = next;
                    continue;
                }
                if (code == 404 && missingOk) return false;
                if (code == 404)
                    throw ReshError.NotFound($"The {what} {Display(current.ToString())} does not exist (HTTP 404).", "Check the URL.", new JsonObject { ["url"] = Display(current.ToString()), ["status"] = code }).ToException();
                if (code is 401 or 403)
                    throw ReshError.PermissionDenied($"The server refused the {what} {Display(current.ToString())} (HTTP {code}).", "Check that the URL is public.", new JsonObject { ["url"] = Display(current.ToString()), ["status"] = code }).ToException();
                if (code is < 200 or >= 300)
                    throw ReshError.Failed($"The server answered HTTP {code} for the {what} {Display(current.ToString())}.", "Try again later, or check the URL.", new JsonObject { ["url"] = Display(current.ToString()), ["status"] = code }).ToException();
                if (resp.Content.Headers.ContentLength is { } declared && declared > max)
                    throw TooBig(what, current, max);
                await using var body = await resp.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
                var buffer = new byte[81920];
                long total = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, cts.Token).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total > max) throw TooBig(what, current, max);
                    await sink.WriteAsync(buffer.AsMemory(0, n), cts.Token).ConfigureAwait(false);
                }
                return true;
            }
        }
        catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
        {
            throw ReshError.Timeout($"Fetching the {what} {Display(url.ToString())} took longer than 60 s.", "Check the server, or pass a longer --timeout.").ToException();
        }
        catch (HttpRequestException ex)
        {
            var refused = ex.InnerException is SocketException;
            throw ReshError.Unavailable($"Could not fetch the {what} {Display(url.ToString())}: {(refused ? "the server is unreachable" : "the connection failed")}.",
                "Check the URL and that the server is up.", new JsonObject { ["url"] = Display(url.ToString()), ["reason"] = ex.Message }).ToException();
        }
    }

    static ReshException TooBig(string what, Uri url, long max) =>
        ReshError.Failed($"The {what} {Display(url.ToString())} is larger than {max} bytes; not fetched.", "Check the URL: plugin indexes and archives are small.",
            new JsonObject { ["limit"] = max }).ToException();
}
