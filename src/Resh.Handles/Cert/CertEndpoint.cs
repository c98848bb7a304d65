using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Cert;

/// <summary>
/// Fetches the chain a TLS server sends (with SNI), as `openssl s_client -showcerts` does. Nothing is trusted
/// here: reading a certificate is not trusting it (verify does that).
/// </summary>
internal static class CertEndpoint
{
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static readonly string[] StartTlsProtocols = ["smtp", "imap"];

    public static async Task<CertMaterial> FetchAsync(VerbContext ctx, CertTarget target, string? serverName, string? startTls = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(ctx.TimeRemaining ?? DefaultTimeout);
        var served = new List<X509Certificate2>();
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(target.Host!, target.Port, cts.Token).ConfigureAwait(false);
            if (startTls is not null) await StartTls.NegotiateAsync(tcp.GetStream(), startTls, target, cts.Token).ConfigureAwait(false);
            using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName ?? target.Host,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, leaf, chain, _) =>
                {
                    if (leaf is not null) served.Add(X509CertificateLoader.LoadCertificate(leaf.GetRawCertData()));
                    if (chain is not null)
                        foreach (var c in chain.ChainPolicy.ExtraStore)
                            if (served.Count < CertFiles.MaxCertificates && !served.Any(s => s.RawDataMemory.Span.SequenceEqual(c.RawDataMemory.Span)))
                                served.Add(X509CertificateLoader.LoadCertificate(c.RawData));
                    return true;
                },
            };
            await ssl.AuthenticateAsClientAsync(options, cts.Token).ConfigureAwait(false);
            var m = new CertMaterial
            {
                Target = target, Format = "tls",
                Protocol = ssl.SslProtocol switch
                {
                    SslProtocols.Tls13 => "TLSv1.3",
                    SslProtocols.Tls12 => "TLSv1.2",
                    var p => p.ToString(),
                },
                Cipher = ssl.NegotiatedCipherSuite.ToString(),
            };
            m.Certificates.AddRange(served);
            return m;
        }
        catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
        {
            Dispose(served);
            throw ReshError.Timeout($"{target.Display} did not complete a TLS handshake in time.", "Check the port serves TLS (not plain text), or raise --timeout.", Details(target)).ToException();
        }
        catch (SocketException ex)
        {
            Dispose(served);
            throw (ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => ReshError.Unavailable($"Nothing listens on {target.Display}.", "Check the host and port, and that the server runs.", Details(target)),
                SocketError.HostNotFound or SocketError.NoData => ReshError.NotFound($"The host {target.Host} does not resolve.", "Check the name, or use an address.", Details(target)),
                _ => ReshError.Unavailable($"Cannot connect to {target.Display}: {ex.Message}", "Check the host and port.", Details(target)),
            }).ToException();
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            Dispose(served);
            _ = ex;
            throw ReshError.Failed($"The TLS handshake with {target.Display} failed: the server closed the connection or does not speak TLS on this port.", startTls is null ? "Check the port serves TLS directly; for a mail port that starts in plain text add starttls=smtp or starttls=imap." : "Check the server offers STARTTLS on this port.", Details(target)).ToException();
        }
    }

    static JsonObject Details(CertTarget target) => new() { ["host"] = target.Host, ["port"] = target.Port };

    static void Dispose(List<X509Certificate2> certs)
    {
        foreach (var c in certs) c.Dispose();
    }
}
