using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Resh.Core.Transport.Http;

/// <summary>
/// A small HTTP/1.1 server on a Socket (SslStream for HTTPS) for resh's own listeners (webhook:// listen; later
/// `resh serve`). No ASP.NET Core: under Native AOT its type data would be expanded at every resh start. HTTP/1.1
/// keep-alive (bounded requests per connection, an idle timeout) and streamed answers (chunked: server-sent events,
/// NDJSON) while the handler runs; everything a client controls is bounded by
/// <see cref="HttpServerLimits"/>: head size, header count, body size, the time to send the head and the body, the
/// time to take the answer, and the number of connections at once, in all and from one client address (one more is
/// answered 503 and closed). When every slot is taken, a newcomer from an address below its own limit does not wait:
/// the connection that has spent longest still sending its request (head or body) is cut off with 408 and the newcomer
/// takes its place, so many addresses each holding a few slow connections cannot keep everyone else out (a distributed
/// slowloris: s33 attacker #3). Every refusal the server makes itself is answered with what the handler returns for it.
/// </summary>
public sealed class BoundedHttpServer : IDisposable
{
    readonly Socket _listener;
    readonly HttpServerLimits _limits;
    readonly IHttpRequestHandler _handler;
    readonly X509Certificate2? _certificate;
    /// <summary>With roots, the TLS handshake asks for a client certificate and accepts one only if it chains to them (mTLS).</summary>
    readonly X509ChainPolicy? _clientPolicy;
    int _active, _busy;
    readonly Dictionary<IPAddress, int> _perClient = [];
    readonly List<Task> _connections = [];
    /// <summary>Connections still receiving their request, oldest first (under the <see cref="_perClient"/> lock).</summary>
    readonly LinkedList<Arriving> _arriving = [];
    /// <summary>Connections cut off to make room that have not left yet: at most <see cref="MaxEvicting"/>, the overshoot of max_connections.</summary>
    int _evicting;
    int MaxEvicting => Math.Max(1, _limits.MaxConnections / 4);
    /// <summary>A connection younger than this is never cut off to make room (a client that is just slow to start).</summary>
    static readonly TimeSpan MinAgeToEvict = TimeSpan.FromSeconds(1);

    /// <summary>A connection still receiving its request: cancelling <see cref="Cut"/> ends its reading with 408.</summary>
    sealed class Arriving(long started)
    {
        public readonly CancellationTokenSource Cut = new();
        public long Started = started;
        public bool Evicted;
        public LinkedListNode<Arriving>? Node;
    }
    /// <summary>Refusals (503) being answered at once; beyond this a connection is closed without an answer.</summary>
    const int MaxBusyAnswers = 256;

    BoundedHttpServer(Socket listener, HttpServerLimits limits, IHttpRequestHandler handler, X509Certificate2? certificate, X509ChainPolicy? clientPolicy)
    {
        _clientPolicy = clientPolicy;
        _listener = listener;
        _limits = limits;
        _handler = handler;
        _certificate = certificate;
    }

    /// <summary>The address and port bound (port 0 asks the kernel for a free one).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;
    public bool Tls => _certificate is not null;

    /// <summary>Binds and listens now (so a port in use is an error before anything else runs); serve with <see cref="RunAsync"/>.</summary>
    /// <param name="clientPolicy">mTLS: the chain policy a client certificate must pass (its custom roots, clientAuth); a client
    /// may still send none (the handler then sees no <see cref="HttpServerRequest.ClientCertificate"/>), but one that fails it
    /// ends the handshake.</param>
    public static BoundedHttpServer Listen(IPEndPoint endPoint, HttpServerLimits limits, IHttpRequestHandler handler, X509Certificate2? certificate = null,
        X509ChainPolicy? clientPolicy = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            // No ReuseAddress: on Linux .NET sets SO_REUSEPORT with it, and a second listener would share the port and
            // answer half the deliveries (s33 user #10). .NET already sets SO_REUSEADDR for a restart over TIME_WAIT.
            socket.Bind(endPoint);
            socket.Listen(128);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new BoundedHttpServer(socket, limits, handler, certificate, clientPolicy);
    }

    /// <summary>Accepts until <paramref name="ct"/> fires, then waits for the connections in flight (each bounded by the limits).</summary>
    public Task RunAsync(CancellationToken ct) => RunAsync(ct, ct);

    /// <summary>
    /// Accepts until <paramref name="ct"/> fires, then waits for the connections in flight; <paramref name="interrupt"/>
    /// is the token their handlers run with (a drain: stop accepting first, interrupt the calls later). From the drain
    /// on, every answer closes its connection (`Connection: close`) and a request that arrives on a kept-alive
    /// connection is refused 503 (<see cref="IHttpRequestHandler.Rejected"/>) without being handled.
    /// </summary>
    public async Task RunAsync(CancellationToken ct, CancellationToken interrupt)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client;
                try { client = await _listener.AcceptAsync(ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                catch (SocketException) when (!ct.IsCancellationRequested) { continue; } // a connection reset before accept
                client.NoDelay = true;
                var address = ClientAddress(client);
                Task task;
                var (refusal, arriving) = Enter(address);
                if (refusal is not null)
                {
                    if (Interlocked.Increment(ref _busy) > MaxBusyAnswers)
                    {
                        Interlocked.Decrement(ref _busy);
                        client.Dispose();
                        continue;
                    }
                    task = BusyAsync(client, refusal);
                }
                else
                    task = Task.Run(() => ServeAsync(client, address, arriving!, interrupt, ct), CancellationToken.None);
                lock (_connections)
                {
                    _connections.RemoveAll(t => t.IsCompleted);
                    _connections.Add(task);
                }
            }
        }
        finally
        {
            _listener.Dispose();
            Task[] pending;
            lock (_connections) pending = [.. _connections];
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    static IPAddress ClientAddress(Socket client)
    {
        var address = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address)) return address;
        // An IPv6 client commonly holds a whole /64: counted per /64, or one host could take every slot (s33 attacker #3).
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    /// <summary>
    /// Takes a slot for a connection from <paramref name="address"/> (cutting off the slowest arriving request when every
    /// slot is taken); the refusal when it cannot, else the connection's place among those arriving.
    /// </summary>
    (string? Refusal, Arriving? Arriving) Enter(IPAddress address)
    {
        Arriving? cut = null;
        Arriving arriving;
        lock (_perClient)
        {
            _perClient.TryGetValue(address, out var mine);
            if (mine >= _limits.MaxPerClient) return ($"Too many connections from {address} at once (max_per_client {_limits.MaxPerClient}); try again.", null);
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (_active >= _limits.MaxConnections)
            {
                cut = _arriving.First?.Value;
                if (cut is null || _evicting >= MaxEvicting || System.Diagnostics.Stopwatch.GetElapsedTime(cut.Started, now) < MinAgeToEvict)
                    return ($"Too many connections at once (max_connections {_limits.MaxConnections}); try again.", null);
                cut.Evicted = true;
                _arriving.Remove(cut.Node!);
                cut.Node = null;
                _evicting++;
            }
            _perClient[address] = mine + 1;
            _active++;
            arriving = new Arriving(now);
            arriving.Node = _arriving.AddLast(arriving);
        }
        cut?.Cut.Cancel(); // outside the lock: cancelling runs the cut connection's callbacks
        return (null, arriving);
    }

    /// <summary>The connection's request has arrived whole (or it failed): it can no longer be cut off to make room.</summary>
    void Arrived(Arriving arriving)
    {
        lock (_perClient)
        {
            if (arriving.Node is { } node) _arriving.Remove(node);
            arriving.Node = null;
        }
    }

    void Leave(IPAddress address, Arriving arriving)
    {
        lock (_perClient)
        {
            if (arriving.Node is { } node) _arriving.Remove(node);
            arriving.Node = null;
            if (arriving.Evicted) _evicting--;
            _active--;
            if (_perClient.TryGetValue(address, out var mine) && mine > 1) _perClient[address] = mine - 1;
            else _perClient.Remove(address);
        }
        arriving.Cut.Dispose();
    }

    async Task BusyAsync(Socket client, string why)
    {
        var remote = client.RemoteEndPoint as IPEndPoint;
        try
        {
            var response = _handler.Rejected(null, remote, 503, why);
            response.Headers.Add(new("Retry-After", "1"));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var stream = new NetworkStream(client, ownsSocket: true);
            if (_certificate is null) // over TLS a plain answer is noise: just close
                await WriteAsync(stream, response, keepAlive: false, http11: true, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _busy);
        }
    }

    /// <summary>What the server refuses a request with during a drain.</summary>
    public const string Draining = "The server is stopping (draining its calls in flight) and takes no new request.";

    async Task ServeAsync(Socket client, IPAddress address, Arriving arriving, CancellationToken serverCt, CancellationToken draining)
    {
        var remote = client.RemoteEndPoint as IPEndPoint;
        Stream stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            HttpRequestReader? reader = null;
            X509Certificate2? clientCertificate = null;
            // A client certificate that failed verification (expired, unknown CA, wrong usage): the handshake is let
            // through so the client gets an HTTP 403 saying why, instead of a connection closed without a word (OpenSSL
            // under SslStream sends no TLS alert for a refusal of the validation callback); it is never an identity.
            (string Reason, string Detail)? refusedCertificate = null;
            // HTTP/1.1 keep-alive: requests one after another on the connection, each within the same limits; between
            // them the connection counts as arriving again (it can be cut off to make room, like a slow head).
            for (var served = 0; ; served++)
            {
                HttpRequestHead? head = null;
                using var headCts = CancellationTokenSource.CreateLinkedTokenSource(serverCt, arriving.Cut.Token);
                headCts.CancelAfter(served == 0 ? _limits.HeadTimeout : _limits.KeepAliveTimeout);
                HttpServerResponse response;
                bool unread = false;
                // While the request is handled, the connection is watched: a client that closes it cancels the call (s38 attacker #10).
                CancellationTokenSource? call = null, watching = null;
                Task? watch = null;
                try
                {
                    if (reader is null)
                    {
                        if (_certificate is not null)
                        {
                            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                            stream = ssl;
                            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                            {
                                ServerCertificate = _certificate,
                                ClientCertificateRequired = _clientPolicy is not null,
                                CertificateChainPolicy = _clientPolicy,
                                // No certificate is allowed (the request may carry a token); one that does not chain to the roots is not.
                                RemoteCertificateValidationCallback = _clientPolicy is null ? null
                                    : (_, cert, chain, errors) =>
                                    {
                                        if (errors is not (SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateNotAvailable))
                                            refusedCertificate = CertificateRefusal(cert, chain, errors);
                                        return true;
                                    },
                                ApplicationProtocols = [SslApplicationProtocol.Http11],
                            }, headCts.Token).ConfigureAwait(false);
                            if (refusedCertificate is { } refused) _handler.ClientCertificateRefused(remote, refused.Reason, refused.Detail);
                            else if (_clientPolicy is not null && ssl.RemoteCertificate is { } rc)
                                clientCertificate = X509CertificateLoader.LoadCertificate(rc.GetRawCertData());
                        }
                        reader = new HttpRequestReader(stream, _limits);
                    }
                    try { head = await reader.ReadHeadAsync(remote, _certificate is not null, headCts.Token).ConfigureAwait(false); }
                    catch (Exception e) when (served > 0 && !reader.HasPending && e is EndOfStreamException or OperationCanceledException or IOException)
                    {
                        return; // a kept-alive connection closed, idle too long, or cut off to make room: nothing to answer
                    }
                    if (draining.IsCancellationRequested) throw new HttpRequestRejected(503, Draining);
                    if (refusedCertificate is { } why) throw new HttpRequestRejected(403, why.Detail); // answered, never run; the connection then closes
                    if (await _handler.ScreenAsync(head, clientCertificate, headCts.Token).ConfigureAwait(false) is { } early)
                        throw new Screened(early); // answered from the head: the body is never read
                    var framing = HttpRequestReader.Framing(head);
                    var maxBody = _handler.MaxBody(head);
                    if (framing > maxBody)
                        throw new HttpRequestRejected(413, $"The body ({framing} bytes) is larger than the limit ({maxBody} bytes).");
                    using var bodyCts = CancellationTokenSource.CreateLinkedTokenSource(serverCt, arriving.Cut.Token);
                    bodyCts.CancelAfter(_limits.BodyTimeout);
                    if (framing != 0 && head.Header("Expect") is { } expect && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                        await WriteRawAsync(stream, "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), bodyCts.Token).ConfigureAwait(false);
                    byte[] body;
                    try { body = await reader.ReadBodyAsync(head, framing, maxBody, bodyCts.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (!serverCt.IsCancellationRequested)
                    {
                        throw new HttpRequestRejected(408, arriving.Evicted ? CutOff : $"The body did not arrive within {_limits.BodyTimeout.TotalSeconds:0.#} s.");
                    }
                    Arrived(arriving);
                    call = CancellationTokenSource.CreateLinkedTokenSource(serverCt);
                    watching = new CancellationTokenSource();
                    var cancel = call;
                    watch = reader.WatchAsync(() => { try { cancel.Cancel(); } catch (ObjectDisposedException) { } }, watching.Token);
                    response = await _handler.HandleAsync(new HttpServerRequest(head, body) { ClientCertificate = clientCertificate }, call.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (call is { IsCancellationRequested: true } && !serverCt.IsCancellationRequested)
                {
                    watching!.Cancel();
                    call.Dispose();
                    return; // the client went away while its request was handled: nothing to answer
                }
                catch (Screened screened)
                {
                    unread = true;
                    response = screened.Response;
                }
                catch (HttpRequestRejected r)
                {
                    unread = true;
                    response = _handler.Rejected(head, remote, r.Status, r.Message);
                }
                catch (OperationCanceledException) when (!serverCt.IsCancellationRequested)
                {
                    unread = true;
                    var why = arriving.Evicted ? CutOff : served == 0
                        ? $"The request head did not arrive within {_limits.HeadTimeout.TotalSeconds:0.#} s."
                        : $"The request head did not arrive within {_limits.KeepAliveTimeout.TotalSeconds:0.#} s of the previous answer.";
                    response = _handler.Rejected(head, remote, 408, why);
                }
                var keepAlive = !unread && head is { Version: "1.1" } && served + 1 < _limits.MaxRequestsPerConnection && !response.Close
                    && !serverCt.IsCancellationRequested && !draining.IsCancellationRequested && !WantsClose(head) && reader?.Discarded is null or 0;
                try
                {
                    // A HEAD answer has the head of a GET's, never a body. A streamed body runs with the call's token.
                    keepAlive = await WriteAsync(stream, response, keepAlive, head?.Version == "1.1", call?.Token ?? serverCt, headOnly: head?.Method == "HEAD").ConfigureAwait(false);
                    if (draining.IsCancellationRequested) keepAlive = false; // a drain that began while the answer was made or streamed
                }
                finally
                {
                    if (watching is not null)
                    {
                        watching.Cancel();
                        await watch!.ConfigureAwait(false);
                        watching.Dispose();
                    }
                    call?.Dispose();
                }
                if (call is { IsCancellationRequested: true } && !serverCt.IsCancellationRequested) return; // the client has gone
                if (reader?.Discarded > 0) keepAlive = false; // bytes after the request were dropped to keep watching: its next request is lost
                if (!keepAlive)
                {
                    try { client.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
                    if (unread) await DrainAsync(client).ConfigureAwait(false);
                    return;
                }
                Rearrive(arriving);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException
                                      or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            // The client went away, the TLS handshake failed, or the server is stopping: nothing to answer.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
            Leave(address, arriving);
        }
    }

    sealed class Screened(HttpServerResponse response) : Exception
    {
        public HttpServerResponse Response { get; } = response;
    }

    /// <summary>The request asks for the connection to end after its answer (`Connection: close`).</summary>
    /// <summary>Why a client certificate failed the chain policy: a fixed reason word (a metric label) and one sentence.</summary>
    static (string Reason, string Detail) CertificateRefusal(X509Certificate? cert, X509Chain? chain, SslPolicyErrors errors)
    {
        var status = X509ChainStatusFlags.NoError;
        foreach (var s in chain?.ChainStatus ?? []) status |= s.Status;
        var subject = cert?.Subject is { Length: > 0 } sub ? $" ({(sub.Length > 120 ? sub[..120] + "…" : sub)})" : "";
        if ((status & X509ChainStatusFlags.NotTimeValid) != 0)
            return ("expired", $"The client certificate{subject} is expired or not yet valid; nothing was run.");
        // Another CA of the same name signed it: its signature does not verify with the trusted one's key.
        if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
            return ("unknown_ca", $"The client certificate{subject} is not issued by a CA this server trusts (--client-ca); nothing was run.");
        if ((status & (X509ChainStatusFlags.NotValidForUsage | X509ChainStatusFlags.InvalidExtension)) != 0)
            return ("bad_usage", $"The client certificate{subject} is not valid for client authentication (extended key usage clientAuth); nothing was run.");
        return ("invalid", $"The client certificate{subject} failed verification ({(status != X509ChainStatusFlags.NoError ? status : errors)}); nothing was run.");
    }

    static bool WantsClose(HttpRequestHead head) =>
        head.Header("Connection") is { } c && c.Split(',').Any(t => t.Trim().Equals("close", StringComparison.OrdinalIgnoreCase));

    /// <summary>After an answer on a kept-alive connection: it waits for its next request, so it may be cut off to make room again.</summary>
    void Rearrive(Arriving arriving)
    {
        lock (_perClient)
        {
            arriving.Started = System.Diagnostics.Stopwatch.GetTimestamp();
            if (arriving.Node is null) arriving.Node = _arriving.AddLast(arriving);
        }
    }

    const string CutOff = "Every connection slot was taken and this request was the slowest to arrive; send it whole at once.";

    /// <summary>
    /// After refusing a request whose body was not read (413, 431): read and drop what the client still sends, up to
    /// 256 KiB or 1 s, before closing. Closing with unread data makes the kernel send a reset, which can destroy the
    /// answer before the client reads it.
    /// </summary>
    static async Task DrainAsync(Socket client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var buffer = new byte[16 * 1024];
        long total = 0;
        try
        {
            int n;
            while (total < 256 * 1024 && (n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token).ConfigureAwait(false)) > 0) total += n;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>Writes the answer; true when the connection stays open for another request.</summary>
    async Task<bool> WriteAsync(Stream stream, HttpServerResponse response, bool keepAlive, bool http11, CancellationToken serverCt, bool headOnly = false)
    {
        var streamed = headOnly ? null : response.Streamed;
        var chunked = streamed is not null && http11;
        if (streamed is not null && !chunked) keepAlive = false; // HTTP/1.0: the close ends the body
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(Reason(response.Status)).Append("\r\n");
        sb.Append("Content-Type: ").Append(response.ContentType).Append("\r\n");
        if (chunked) sb.Append("Transfer-Encoding: chunked\r\n");
        else if (headOnly && response.Streamed is not null) { }
        else if (streamed is null) sb.Append("Content-Length: ").Append(response.Body.Length).Append("\r\n");
        sb.Append("Date: ").Append(DateTime.UtcNow.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var (k, v) in response.Headers)
        {
            if (k.AsSpan().IndexOfAny("\r\n:") >= 0 || v.AsSpan().IndexOfAny("\r\n\0") >= 0) continue; // never split the head
            sb.Append(k).Append(": ").Append(v).Append("\r\n");
        }
        if (keepAlive) sb.Append("Connection: keep-alive\r\nKeep-Alive: timeout=").Append((int)Math.Max(1, _limits.KeepAliveTimeout.TotalSeconds)).Append("\r\n\r\n");
        else sb.Append("Connection: close\r\n\r\n");
        var head = Encoding.Latin1.GetBytes(sb.ToString());
        if (streamed is null)
        {
            var all = new byte[head.Length + (headOnly ? 0 : response.Body.Length)];
            head.CopyTo(all, 0);
            if (!headOnly) response.Body.CopyTo(all, head.Length);
            using var writeCts = new CancellationTokenSource(_limits.WriteTimeout);
            await WriteRawAsync(stream, all, writeCts.Token).ConfigureAwait(false);
            return keepAlive;
        }
        using (var headCts = new CancellationTokenSource(_limits.WriteTimeout))
            await WriteRawAsync(stream, head, headCts.Token).ConfigureAwait(false);
        var writer = new BodyWriter(stream, chunked, _limits.WriteTimeout);
        try { await streamed(writer, serverCt).ConfigureAwait(false); }
        catch (Exception e) when (e is not (IOException or OperationCanceledException or OutOfMemoryException))
        {
            // The body cannot be finished (a bug in its writer): the connection ends without the last chunk, so the client sees it cut short.
            throw new IOException("The streamed answer failed: " + e.Message, e);
        }
        if (chunked)
        {
            using var endCts = new CancellationTokenSource(_limits.WriteTimeout);
            await WriteRawAsync(stream, "0\r\n\r\n"u8.ToArray(), endCts.Token).ConfigureAwait(false);
        }
        return keepAlive;
    }

    /// <summary>A streamed body's writes: each one a chunk (HTTP/1.1) or the bytes as they are (HTTP/1.0), flushed, within the write timeout.</summary>
    sealed class BodyWriter(Stream stream, bool chunked, TimeSpan timeout) : IHttpBodyWriter
    {
        readonly SemaphoreSlim _one = new(1, 1);

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data)
        {
            if (data.IsEmpty) return; // an empty chunk would end the body
            byte[] bytes;
            if (chunked)
            {
                var size = Encoding.ASCII.GetBytes(data.Length.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "\r\n");
                bytes = new byte[size.Length + data.Length + 2];
                size.CopyTo(bytes, 0);
                data.CopyTo(bytes.AsMemory(size.Length));
                bytes[^2] = (byte)'\r';
                bytes[^1] = (byte)'\n';
            }
            else bytes = data.ToArray();
            using var cts = new CancellationTokenSource(timeout);
            await _one.WaitAsync(cts.Token).ConfigureAwait(false);
            try { await WriteRawAsync(stream, bytes, cts.Token).ConfigureAwait(false); }
            finally { _one.Release(); }
        }
    }

    static async Task WriteRawAsync(Stream stream, byte[] bytes, CancellationToken ct)
    {
        await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    public static string Reason(int status) => status switch
    {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        406 => "Not Acceptable",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    };

    public void Dispose()
    {
        _listener.Dispose();
        _certificate?.Dispose();
    }
}
