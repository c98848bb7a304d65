using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

using File = System.IO.File;

/// <summary>
/// With ca=, the server's certificate must be meant for a server (extended key usage serverAuth), as curl --cacert
/// checks: a client-only certificate from the same authority is refused (security review of issue 13).
/// </summary>
public sealed class HttpTlsPurposeTests
{
    static LoopbackServer Https(X509Certificate2 cert) => new(async (s, ct) =>
    {
        using var ssl = new SslStream(s);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = cert }, ct);
        var buf = new byte[4096];
        if (await ssl.ReadAsync(buf, ct) == 0) return;
        await ssl.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), ct);
    });

    static X509Certificate2 Leaf(X509Certificate2 ca, string eku)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        var now = DateTimeOffset.UtcNow;
        using var leaf = req.Create(ca, now.AddDays(-1), now.AddDays(5), RandomNumberGenerator.GetBytes(8));
        return X509CertificateLoader.LoadPkcs12(leaf.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    [Fact]
    public void A_certificate_without_server_auth_is_refused_with_ca()
    {
        using var tmp = new TempDir("eku");
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=resh eku test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        var caPem = tmp.File("ca.pem", ca.ExportCertificatePem());

        using var good = Https(Leaf(ca, "1.3.6.1.5.5.7.3.1"));
        var ok = NetTestKit.Resh($"https://127.0.0.1:{good.Port}/x", "get", $"ca={caPem}", "http_version=1.1");
        Assert.True(ok.Ok, ok.ToString());

        using var clientOnly = Https(Leaf(ca, "1.3.6.1.5.5.7.3.2"));
        var refused = NetTestKit.Resh($"https://127.0.0.1:{clientOnly.Port}/x", "get", $"ca={caPem}", "http_version=1.1");
        Assert.Equal("failed", refused.ErrorCode);
        Assert.Contains("TLS", refused.Envelope["error"]!["message"]!.GetValue<string>());
    }
}
