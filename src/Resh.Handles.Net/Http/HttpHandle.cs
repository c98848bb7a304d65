using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

/// <summary>http:// and https:// — the target is the URL itself; the verb is its `.verb` suffix or the next word.</summary>
public static class HttpHandle
{
    /// <summary>Builds the handle for <paramref name="scheme"/> (http or https): the same verbs, declared once, instantiated per scheme.</summary>
    public static HandleInfo Create(string scheme) => new(scheme,
        scheme == "http"
            ? "HTTP and HTTPS requests: get, post, put, patch, delete, head, options, any method, download, upload, probe (curl with typed answers)."
            : "HTTPS requests: the same verbs as http:// (an alias scheme, so a URL is pasted as it is).",
        $"The URL after {scheme}://: HOST[:PORT]/PATH?QUERY, as written (percent escapes kept). The verb is the longest `.verb` suffix that names a verb " +
        $"({scheme}://h/big.bin.download downloads /big.bin) or the next word ({scheme}://h/v1/users get).",
        [
            HttpGet.Create(scheme),
            HttpHead.Create(scheme),
            HttpPost.Create(scheme),
            HttpPut.Create(scheme),
            HttpPatch.Create(scheme),
            HttpDelete.Create(scheme),
            HttpOptions.Create(scheme),
            HttpRequest.Create(scheme),
            HttpDownload.Create(scheme),
            HttpUpload.Create(scheme),
            HttpProbe.Create(scheme),
        ])
    {
        Notes = "http:// and https:// are one handle under two schemes: every verb and argument is the same, and the scheme of the target is the scheme of the request. " +
                "A status outside expect= (default: 1xx-3xx) is `failed` with the status and a body excerpt in `details`. " +
                "Bodies are returned as parsed JSON (when the content type says JSON), text, or base64, up to max_body; `--format raw` streams the body bytes exactly (curl -s). " +
                "Redirects are followed only to http:// and https:// (never file:// or other schemes); credentials are not sent to another host after a redirect. " +
                "Header values with CR, LF or NUL are refused (no header injection). TLS is verified against the system store or ca=; tls=insecure warns. " +
                "One process keeps one connection pool per configuration, so `resh batch` reuses connections.",
    };
}
