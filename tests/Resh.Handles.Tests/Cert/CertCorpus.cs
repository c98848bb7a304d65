using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Resh.TestSupport;

namespace Resh.Handles.Tests.CertScheme;

/// <summary>
/// The certificates the cert:// tests read, made once per run with the test process's own X.509 code (not the
/// handle's): a root and an intermediate CA, a good leaf, an expired, a not-yet-valid, a self-signed leaf and one
/// signed by the wrong key, plus DER, PKCS#12 and key files. Every file is world-readable (tests also run as nobody)
/// except the private keys.
/// </summary>
public sealed class CertCorpus : IDisposable
{
    readonly TempDir _dir = new("cert");
    public const string P12Password = "p12-canary-Zq81";

    public string Dir => _dir.Path;
    public string this[string name] => _dir[name];

    public CertCorpus()
    {
        File.SetUnixFileMode(Dir, (UnixFileMode)0x1ed); // 0755
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var root = Ca("CN=Resh Test Root,O=Resh", rootKey, null, null, now);
        using var interKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var inter = Ca("CN=Resh Test Intermediate,O=Resh", interKey, root, rootKey, now);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leaf = Leaf("CN=localhost", leafKey, inter, interKey, now.AddDays(-1), now.AddDays(90));
        using var expired = Leaf("CN=expired.test", leafKey, inter, interKey, now.AddDays(-30), now.AddDays(-2));
        using var future = Leaf("CN=future.test", leafKey, inter, interKey, now.AddDays(5), now.AddDays(60));
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var wrongKey = Leaf("CN=wrongkey.test", leafKey, inter, otherKey, now.AddDays(-1), now.AddDays(30));
        var selfReq = Request("CN=self.test", leafKey);
        using var self = selfReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        using var rsaKey = RSA.Create(2048);
        var rsaReq = new CertificateRequest("CN=rsa.test,O=Resh,C=DE", rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rsaReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        using var rsa = rsaReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(400));

        Pem("root.pem", root);
        Pem("inter.pem", inter);
        Pem("leaf.pem", leaf);
        Pem("chain.pem", leaf, inter);
        Pem("expired-chain.pem", expired, inter);
        Pem("future-chain.pem", future, inter);
        Pem("wrongkey-chain.pem", wrongKey, inter);
        Pem("self.pem", self);
        Pem("rsa.pem", rsa);
        File.WriteAllBytes(this["leaf.der"], leaf.RawData);
        File.WriteAllText(this["leaf.key"], leafKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(this["leaf.key"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(this["rsa.key"], rsaKey.ExportRSAPrivateKeyPem() + "\n");
        File.SetUnixFileMode(this["rsa.key"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var withKey = leaf.CopyWithPrivateKey(leafKey);
        var p12 = new X509Certificate2Collection { withKey, inter }.Export(X509ContentType.Pkcs12, P12Password)!;
        File.WriteAllBytes(this["leaf.p12"], p12);
        File.WriteAllText(this["leaf-and-key.pem"], leaf.ExportCertificatePem() + "\n" + leafKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(this["leaf-and-key.pem"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    void Pem(string name, params X509Certificate2[] certs) =>
        File.WriteAllText(this[name], string.Concat(certs.Select(c => c.ExportCertificatePem() + "\n")));

    static CertificateRequest Request(string subject, ECDsa key)
    {
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req;
    }

    static X509Certificate2 Ca(string subject, ECDsa key, X509Certificate2? issuer, ECDsa? issuerKey, DateTimeOffset now)
    {
        var req = Request(subject, key);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        if (issuer is null) return req.CreateSelfSigned(now.AddDays(-10), now.AddYears(5));
        using var signed = req.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey!), now.AddDays(-10), now.AddYears(4), RandomSerial());
        return X509CertificateLoader.LoadCertificate(signed.RawData);
    }

    static X509Certificate2 Leaf(string subject, ECDsa key, X509Certificate2 issuer, ECDsa signer, DateTimeOffset from, DateTimeOffset to)
    {
        var req = Request(subject, key);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(subject[3..]);
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = req.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(signer), from, to, RandomSerial());
        return X509CertificateLoader.LoadCertificate(signed.RawData);
    }

    static byte[] RandomSerial()
    {
        var s = RandomNumberGenerator.GetBytes(12);
        s[0] = (byte)((s[0] & 0x7F) | 0x10);
        return s;
    }

    public void Dispose() => _dir.Dispose();
}
