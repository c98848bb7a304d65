using System.Net;

namespace Resh.Core.Transport.Http;

/// <summary>A request's line and headers, as read before its body (the handler picks the body limit from these).</summary>
public sealed class HttpRequestHead
{
    public required string Method { get; init; }
    /// <summary>The request target as sent (origin form: /path?query).</summary>
    public required string Target { get; init; }
    /// <summary>The path of the target, percent escapes kept, without the query.</summary>
    public required string Path { get; init; }
    public required string Query { get; init; }
    /// <summary>1.0 or 1.1.</summary>
    public required string Version { get; init; }
    /// <summary>Header lines in order, names as sent.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }
    public required IPEndPoint? Remote { get; init; }
    public bool Tls { get; init; }

    /// <summary>The value of a header (case-insensitive name); repeated headers joined with ", ".</summary>
    public string? Header(string name)
    {
        string? value = null;
        foreach (var (k, v) in Headers)
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
                value = value is null ? v : value + ", " + v;
        return value;
    }
}

/// <summary>A whole request: its head and its body, read within the server's limits.</summary>
public sealed class HttpServerRequest(HttpRequestHead head, byte[] body)
{
    public HttpRequestHead Head { get; } = head;
    public byte[] Body { get; } = body;
    /// <summary>The client's certificate, verified by the TLS handshake against the server's client roots (mTLS); null without one.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }
}

/// <summary>
/// The answer to one request; the server adds Content-Length (or chunked framing for <see cref="Streamed"/>), Date and
/// Connection (keep-alive or close).
/// </summary>
public sealed class HttpServerResponse(int status, byte[] body, string contentType = "application/json")
{
    public int Status { get; } = status;
    public byte[] Body { get; } = body;
    public string ContentType { get; } = contentType;
    public List<KeyValuePair<string, string>> Headers { get; } = [];
    /// <summary>
    /// A body written while it is made (server-sent events, NDJSON): each write is sent at once as a chunk (HTTP/1.1;
    /// HTTP/1.0 gets the bytes and the close). <see cref="Body"/> is ignored then. Each write is bounded by the server's
    /// write timeout; the token is cancelled when the server stops.
    /// </summary>
    public Func<IHttpBodyWriter, CancellationToken, Task>? Streamed { get; init; }
    /// <summary>Close the connection after this answer (no keep-alive).</summary>
    public bool Close { get; init; }

    public static HttpServerResponse Text(int status, string text) =>
        new(status, System.Text.Encoding.UTF8.GetBytes(text + "\n"), "text/plain; charset=utf-8");
}

/// <summary>Where a <see cref="HttpServerResponse.Streamed"/> body goes: each write is sent and flushed at once.</summary>
public interface IHttpBodyWriter
{
    ValueTask WriteAsync(ReadOnlyMemory<byte> data);
}

/// <summary>A request the server refuses before the handler sees it: the status to answer and why.</summary>
public sealed class HttpRequestRejected(int status, string reason) : Exception(reason)
{
    public int Status { get; } = status;
}

/// <summary>What the server calls: the body limit for a head, the handler of a whole request, and a report of what it refused.</summary>
public interface IHttpRequestHandler
{
    /// <summary>The largest body this request may have (by its path, say); larger is answered 413 without reading it.</summary>
    long MaxBody(HttpRequestHead head);
    Task<HttpServerResponse> HandleAsync(HttpServerRequest request, CancellationToken ct);
    /// <summary>
    /// An answer from the head alone, before any of the body is read (a missing token, an unknown route), or null to
    /// read the body and call <see cref="HandleAsync"/>; the client's verified certificate (mTLS) or null. A client refused
    /// here cannot make the server buffer its body.
    /// </summary>
    ValueTask<HttpServerResponse?> ScreenAsync(HttpRequestHead head, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate, CancellationToken ct) =>
        ValueTask.FromResult<HttpServerResponse?>(null);
    /// <summary>
    /// The server refuses a request itself (limits, timeouts, bad syntax, too many connections): the handler reports it
    /// and returns the answer to send (an error envelope for resh's listeners); head is null when it was not read.
    /// </summary>
    HttpServerResponse Rejected(HttpRequestHead? head, IPEndPoint? remote, int status, string reason);
    /// <summary>
    /// A client certificate failed verification at the TLS handshake (<paramref name="reason"/>: expired, unknown_ca,
    /// bad_usage or invalid): the connection's request is then refused with 403 through <see cref="Rejected"/>.
    /// </summary>
    void ClientCertificateRefused(IPEndPoint? remote, string reason, string detail) { }
}
