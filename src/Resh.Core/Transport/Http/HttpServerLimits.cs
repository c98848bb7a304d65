namespace Resh.Core.Transport.Http;

/// <summary>
/// The bounds of <see cref="BoundedHttpServer"/>: every byte a client sends before the handler runs is counted against
/// one of these, and every wait has a deadline, so a slow or hostile client costs a bounded amount of memory and time.
/// </summary>
public sealed record HttpServerLimits
{
    /// <summary>Longest request line (METHOD TARGET HTTP/1.1); longer is 414.</summary>
    public int MaxRequestLine { get; init; } = 8 * 1024;
    /// <summary>Largest request head (request line, headers, chunked trailers); larger is 431.</summary>
    public int MaxHeadBytes { get; init; } = 32 * 1024;
    /// <summary>Most header lines; more is 431.</summary>
    public int MaxHeaderCount { get; init; } = 100;
    /// <summary>The whole head (and the TLS handshake) must arrive within this from the connection's accept; else 408.</summary>
    public TimeSpan HeadTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The whole body must arrive within this after the head; else 408.</summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Writing the answer must finish within this (a client that never reads cannot hold a connection).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Connections served at once; one more is answered 503 at once and closed.</summary>
    public int MaxConnections { get; init; } = 64;
    /// <summary>
    /// Connections served at once from one client address; one more is answered 503 at once and closed, so a single
    /// peer (slow heads, reconnecting as soon as it is answered) cannot take every slot (s32 attacker #3).
    /// </summary>
    public int MaxPerClient { get; init; } = 8;
    /// <summary>Most chunks in a chunked body; more is 413 (a million one-byte chunks is a CPU burn before any signature check).</summary>
    public int MaxChunks { get; init; } = 4096;
    /// <summary>Most bytes of chunk framing (size lines with their extensions and CRLFs) in one body; more is 413.</summary>
    public int MaxChunkFramingBytes { get; init; } = 64 * 1024;
    /// <summary>
    /// After an answer, how long an HTTP/1.1 connection may wait for its next request (keep-alive) and send its head;
    /// a connection idle this long is closed without an answer (the answer's `Keep-Alive: timeout=` says so).
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// Requests served on one connection (HTTP/1.1 keep-alive); the last answer says `Connection: close`. 1 (the
    /// default: webhook:// listen) closes after every answer; `resh serve` keeps connections alive.
    /// </summary>
    public int MaxRequestsPerConnection { get; init; } = 1;
    /// <summary>
    /// While a request is handled, what the client sends beyond the read-ahead buffer (MaxHeadBytes) is read and dropped
    /// up to this many bytes, so its closing the connection still cancels the call (s41 attacker #2); more ends the call and
    /// the connection. A connection that had bytes dropped is closed after its answer (its next request is gone).
    /// </summary>
    public long MaxDiscardBytes { get; init; } = 1024 * 1024;
    /// <summary>The largest body when the handler names no limit of its own.</summary>
    public long DefaultMaxBody { get; init; } = 1024 * 1024;
}
