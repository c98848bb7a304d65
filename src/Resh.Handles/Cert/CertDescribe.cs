using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Resh.Handles.Cert;

/// <summary>Turns certificates, CSRs and public keys into the result records (the fields `openssl x509 -text` shows).</summary>
internal static class CertDescribe
{
    public static CertificateInfo Certificate(X509Certificate2 c, DateTimeOffset now)
    {
        var notBefore = new DateTimeOffset(c.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(c.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var (keyType, keySize, curve) = PublicKey(c.PublicKey);
        bool isCa = false; int? pathLength = null;
        var keyUsage = new List<string>();
        var eku = new List<string>();
        var sans = new List<string>();
        string? ski = null, aki = null;
        bool? keyUsageCritical = null, ekuCritical = null;
        foreach (var ext in c.Extensions)
        {
            switch (ext)
            {
                case X509BasicConstraintsExtension bc:
                    isCa = bc.CertificateAuthority;
                    if (bc.HasPathLengthConstraint) pathLength = bc.PathLengthConstraint;
                    break;
                case X509KeyUsageExtension ku:
                    keyUsage.AddRange(KeyUsageNames(ku.KeyUsages));
                    keyUsageCritical = ku.Critical;
                    break;
                case X509EnhancedKeyUsageExtension e:
                    ekuCritical = e.Critical;
                    foreach (var oid in e.EnhancedKeyUsages) eku.Add(EkuName(oid.Value));
                    break;
                case X509SubjectAlternativeNameExtension san: sans.AddRange(Sans(san)); break;
                // Colon-separated, as openssl prints them and as the fingerprints are.
                case X509SubjectKeyIdentifierExtension s: ski = Colons(s.SubjectKeyIdentifierBytes.ToArray()); break;
                case X509AuthorityKeyIdentifierExtension a when a.KeyIdentifier is { } id: aki = Colons(id.ToArray()); break;
            }
        }
        return new CertificateInfo(
            c.SubjectName.Name, c.IssuerName.Name, Serial(c.SerialNumber), c.Version,
            Rfc3339(notBefore), Rfc3339(notAfter), DaysLeft(notAfter, now), now > notAfter, now < notBefore,
            sans, keyType, keySize, curve, SignatureName(c.SignatureAlgorithm.Value),
            Colons(c.GetCertHash(HashAlgorithmName.SHA256)), Colons(c.GetCertHash(HashAlgorithmName.SHA1)),
            isCa, pathLength, keyUsage, keyUsageCritical, eku, ekuCritical, ski, aki,
            c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData));
    }

    public static CsrInfo Csr(CertificateRequest req)
    {
        var (type, size, curve) = PublicKey(req.PublicKey);
        var sans = new List<string>();
        foreach (var ext in req.CertificateExtensions)
            if (ext.Oid?.Value == "2.5.29.17") sans.AddRange(Sans(ext));
        return new CsrInfo(req.SubjectName.Name, sans, type, size, curve);
    }

    /// <summary>The serial as openssl prints it: without the DER sign byte (a leading 00 pair).</summary>
    public static string Serial(string hex)
    {
        while (hex.Length > 2 && hex.StartsWith("00", StringComparison.Ordinal)) hex = hex[2..];
        return hex;
    }

    public static long DaysLeft(DateTimeOffset notAfter, DateTimeOffset now) => (long)Math.Floor((notAfter - now).TotalDays);

    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Colons(byte[] hash) => string.Join(':', hash.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

    /// <summary>
    /// Every name in a SAN extension as openssl prints it: DNS:, IP Address as IP:, email:, URI: (other forms, such
    /// as otherName or directoryName, as othername: / dirname:). .NET enumerates only DNS names and addresses, so the
    /// GeneralNames are read here (RFC 5280 4.2.1.6).
    /// </summary>
    public static List<string> Sans(X509Extension san)
    {
        var list = new List<string>();
        try
        {
            var seq = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
            while (seq.HasData)
            {
                var tag = seq.PeekTag();
                if (tag.TagClass != System.Formats.Asn1.TagClass.ContextSpecific) { seq.ReadEncodedValue(); list.Add("invalid"); continue; }
                switch (tag.TagValue)
                {
                    case 1: list.Add("email:" + seq.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, tag)); break;
                    case 2: list.Add("DNS:" + seq.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, tag)); break;
                    case 6: list.Add("URI:" + seq.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, tag)); break;
                    case 7:
                        var bytes = seq.ReadOctetString(tag);
                        list.Add(bytes.Length is 4 or 16 ? "IP:" + new System.Net.IPAddress(bytes) : "invalid");
                        break;
                    case 0: seq.ReadEncodedValue(); list.Add("othername:<unsupported>"); break;
                    case 4: seq.ReadEncodedValue(); list.Add("dirname:<unsupported>"); break;
                    default: seq.ReadEncodedValue(); list.Add("invalid"); break;
                }
            }
        }
        catch (Exception ex) when (ex is System.Formats.Asn1.AsnContentException or CryptographicException or ArgumentException) { list.Add("invalid"); }
        return list;
    }

    /// <summary>Type, size and curve of a public key, from its algorithm OID (no key object for ed25519/ed448).</summary>
    public static (string Type, int? Size, string? Curve) PublicKey(PublicKey key)
    {
        switch (key.Oid.Value)
        {
            case "1.2.840.113549.1.1.1":
                using (var rsa = key.GetRSAPublicKey()) return ("rsa", rsa?.KeySize, null);
            case "1.2.840.10045.2.1":
                var curve = key.EncodedParameters?.RawData is { } p ? CurveName(p) : null;
                int? size = curve switch { "P-256" => 256, "P-384" => 384, "P-521" => 521, _ => null };
                return ("ecdsa", size, curve);
            case "1.3.101.112": return ("ed25519", 256, null);
            case "1.3.101.113": return ("ed448", 456, null);
            case "1.2.840.10040.4.1": return ("dsa", null, null);
            default: return (key.Oid.Value ?? "unknown", null, null);
        }
    }

    /// <summary>The named-curve OID in EC parameters (DER: 06 len oid).</summary>
    public static string? CurveName(byte[] parameters)
    {
        try
        {
            var oid = new System.Formats.Asn1.AsnReader(parameters, System.Formats.Asn1.AsnEncodingRules.DER).ReadObjectIdentifier();
            return CurveFromOid(oid);
        }
        catch (System.Formats.Asn1.AsnContentException) { return null; }
    }

    public static string CurveFromOid(string? oid) => oid switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        _ => oid ?? "unknown",
    };

    static string SignatureName(string? oid) => oid switch
    {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        _ => oid ?? "unknown",
    };

    static string EkuName(string? oid) => oid switch
    {
        "1.3.6.1.5.5.7.3.1" => "server_auth",
        "1.3.6.1.5.5.7.3.2" => "client_auth",
        "1.3.6.1.5.5.7.3.3" => "code_signing",
        "1.3.6.1.5.5.7.3.4" => "email_protection",
        "1.3.6.1.5.5.7.3.8" => "time_stamping",
        "1.3.6.1.5.5.7.3.9" => "ocsp_signing",
        "2.5.29.37.0" => "any",
        _ => oid ?? "unknown",
    };

    static IEnumerable<string> KeyUsageNames(X509KeyUsageFlags f)
    {
        if (f.HasFlag(X509KeyUsageFlags.DigitalSignature)) yield return "digital_signature";
        if (f.HasFlag(X509KeyUsageFlags.NonRepudiation)) yield return "non_repudiation";
        if (f.HasFlag(X509KeyUsageFlags.KeyEncipherment)) yield return "key_encipherment";
        if (f.HasFlag(X509KeyUsageFlags.DataEncipherment)) yield return "data_encipherment";
        if (f.HasFlag(X509KeyUsageFlags.KeyAgreement)) yield return "key_agreement";
        if (f.HasFlag(X509KeyUsageFlags.KeyCertSign)) yield return "key_cert_sign";
        if (f.HasFlag(X509KeyUsageFlags.CrlSign)) yield return "crl_sign";
        if (f.HasFlag(X509KeyUsageFlags.EncipherOnly)) yield return "encipher_only";
        if (f.HasFlag(X509KeyUsageFlags.DecipherOnly)) yield return "decipher_only";
    }
}
