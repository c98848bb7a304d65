using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Resh.Handles.Cert;

/// <summary>Describes private keys (type, size, curve) without keeping or printing their material.</summary>
internal static class CertKeys
{
    public static KeyInfo FromPkcs8(byte[] der)
    {
        // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
        var seq = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
        seq.ReadInteger();
        var alg = seq.ReadSequence();
        var oid = alg.ReadObjectIdentifier();
        switch (oid)
        {
            case "1.2.840.113549.1.1.1":
                using (var rsa = RSA.Create())
                {
                    rsa.ImportPkcs8PrivateKey(der, out _);
                    return new KeyInfo("rsa", rsa.KeySize, null, false);
                }
            case "1.2.840.10045.2.1":
                var curve = alg.HasData && alg.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? CertDescribe.CurveFromOid(alg.ReadObjectIdentifier()) : null;
                return new KeyInfo("ecdsa", curve switch { "P-256" => 256, "P-384" => 384, "P-521" => 521, _ => null }, curve, false);
            case "1.3.101.112": return new KeyInfo("ed25519", 256, null, false);
            case "1.3.101.113": return new KeyInfo("ed448", 456, null, false);
            case "1.2.840.10040.4.1": return new KeyInfo("dsa", null, null, false);
            default: return new KeyInfo(oid, null, null, false);
        }
    }

    public static KeyInfo FromRsa(byte[] der)
    {
        using var rsa = RSA.Create();
        rsa.ImportRSAPrivateKey(der, out _);
        return new KeyInfo("rsa", rsa.KeySize, null, false);
    }

    public static KeyInfo FromEc(byte[] der)
    {
        using var ec = ECDsa.Create();
        ec.ImportECPrivateKey(der, out _);
        var curve = ec.KeySize switch { 256 => "P-256", 384 => "P-384", 521 => "P-521", _ => CertDescribe.CurveFromOid(ec.ExportParameters(false).Curve.Oid.Value) };
        return new KeyInfo("ecdsa", ec.KeySize, curve, false);
    }

    /// <summary>The certificate joined to the PEM private key when the key is the certificate's; null when it is not (or cannot be read).</summary>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2? MatchesKey(System.Security.Cryptography.X509Certificates.X509Certificate2 cert, string keyPem)
    {
        try
        {
            return cert.PublicKey.Oid.Value switch
            {
                "1.2.840.113549.1.1.1" => WithRsa(cert, keyPem),
                "1.2.840.10045.2.1" => WithEc(cert, keyPem),
                _ => null,
            };
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException) { return null; }
    }

    static System.Security.Cryptography.X509Certificates.X509Certificate2 WithRsa(System.Security.Cryptography.X509Certificates.X509Certificate2 cert, string pem)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return System.Security.Cryptography.X509Certificates.RSACertificateExtensions.CopyWithPrivateKey(cert, rsa);
    }

    static System.Security.Cryptography.X509Certificates.X509Certificate2 WithEc(System.Security.Cryptography.X509Certificates.X509Certificate2 cert, string pem)
    {
        using var ec = ECDsa.Create();
        ec.ImportFromPem(pem);
        return System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.CopyWithPrivateKey(cert, ec);
    }
}
