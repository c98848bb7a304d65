using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Resh.Core.Endpoints;

namespace Resh.Handles.Net.Http;

/// <summary>Timings of one request, filled by the connector when the request opened a connection.</summary>
internal sealed class RequestTrace
{
    public static readonly HttpRequestOptionsKey<RequestTrace> Key = new("resh.trace");
    public long Start = Stopwatch.GetTimestamp();
    public double DnsMs, ConnectMs, TlsMs;
    public bool NewConnection;
}

/// <summary>What the connector saw of the latest connection to one host (TLS details for the result).</summary>
internal sealed class ConnectionState
{
    public long ConnectEnd;
    public RequestTrace? Trace;
    public SslStream? Ssl;
    public X509Certificate2? Certificate;
    public string Protocol = "", Cipher = "", Alpn = "";
    public bool Verified;
}

/// <summary>
/// One SocketsHttpHandler per client configuration (trust, client certificate, proxy), kept for the life of
/// the process so `resh batch`, the REPL and servers reuse pooled connections (SPEC §9). Connections are
/// opened by our own callback, which measures name resolution and connect time per request; the certificate
/// callback measures the handshake and keeps the TLS details.
/// </summary>
internal sealed class HttpConnector
{
    static readonly ConcurrentDictionary<string, HttpConnector> s_pool = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, ConnectionState> _hosts = new(StringComparer.OrdinalIgnoreCase);

    public TlsTrust Trust { get; }
    public HttpMessageInvoker Invoker { get; }

    HttpConnector(TlsTrust trust, X509Certificate2? clientCert, IWebProxy? proxy, bool noProxy, TimeSpan connectTimeout)
    {
        Trust = trust;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = connectTimeout,
            ConnectCallback = ConnectAsync,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            EnableMultipleHttp2Connections = false,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        if (trust.ChainPolicy() is { } policy) handler.SslOptions.CertificateChainPolicy = policy; // ca=: never load the system store
        if (clientCert is not null) handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCert };
        if (noProxy) handler.UseProxy = false;
        else if (proxy is not null) { handler.UseProxy = true; handler.Proxy = proxy; }
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public static HttpConnector Get(string? caPath, bool insecure, X509Certificate2? clientCert, string clientCertKey,
        string? proxy, TimeSpan connectTimeout)
    {
        var key = string.Join('\n', caPath ?? "", insecure, clientCertKey, proxy ?? "", connectTimeout.Ticks);
        return s_pool.GetOrAdd(key, _ =>
        {
            var trust = TlsTrust.Create(caPath, insecure);
            IWebProxy? p = proxy is null || proxy.Length == 0 ? null : ProxyOf(new Uri(proxy));
            return new HttpConnector(trust, clientCert, p, proxy is { Length: 0 }, connectTimeout);
        });
    }

    public ConnectionState? State(string host) => _hosts.TryGetValue(host, out var s) ? s : null;

    async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        context.InitialRequestMessage.Options.TryGetValue(RequestTrace.Key, out var trace);
        var host = context.DnsEndPoint.Host;
        var t0 = Stopwatch.GetTimestamp();
        IPAddress[] addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        var t1 = Stopwatch.GetTimestamp();
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct).ConfigureAwait(false);
                var t2 = Stopwatch.GetTimestamp();
                if (trace is not null)
                {
                    trace.NewConnection = true;
                    trace.DnsMs = Ms(t0, t1);
                    trace.ConnectMs = Ms(t1, t2);
                }
                var requestHost = context.InitialRequestMessage.RequestUri?.IdnHost ?? host;
                _hosts[requestHost] = new ConnectionState { ConnectEnd = t2, Trace = trace };
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        LastConnectFailure = $"{host}:{context.DnsEndPoint.Port}";
        throw last!;
    }

    /// <summary>HOST:PORT of the latest connection that could not be opened: the target's, or a proxy's.</summary>
    public string? LastConnectFailure { get; private set; }

    bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var ok = Trust.Validate(sender, certificate, chain, errors);
        if (sender is SslStream ssl && _hosts.TryGetValue(ssl.TargetHostName, out var state))
        {
            var now = Stopwatch.GetTimestamp();
            state.Ssl = ssl;
            state.Certificate = Trust.LastCertificate;
            // Read what was negotiated while the stream is alive: a server may close it right after answering.
            try
            {
                state.Protocol = ssl.SslProtocol.ToString();
                state.Cipher = ssl.NegotiatedCipherSuite.ToString();
                state.Alpn = ssl.NegotiatedApplicationProtocol.ToString();
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException) { }
            state.Verified = errors == SslPolicyErrors.None || (ok && !Trust.Insecure);
            if (state.Trace is not null) state.Trace.TlsMs = Ms(state.ConnectEnd, now);
        }
        return ok;
    }

    public static double Ms(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds, 3);

    /// <summary>The proxy of proxy=; user:password in its URL authenticates to the proxy (Proxy-Authorization), as curl -x does.</summary>
    static WebProxy ProxyOf(Uri uri)
    {
        var proxy = new WebProxy(new UriBuilder(uri) { UserName = "", Password = "" }.Uri);
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            proxy.Credentials = new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
        }
        return proxy;
    }
}
