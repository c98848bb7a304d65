using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Core.Platform;

namespace Resh.Handles.Cert;

/// <summary>What the creating verbs share: subjects, SANs, key usages, and reading or creating the key they sign with.</summary>
internal static class CertBuild
{
    public static readonly string[] KeyUsageChoices = ["digital_signature", "non_repudiation", "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"];
    public static readonly string[] EkuChoices = ["server", "client", "code_signing", "email_protection", "time_stamping", "ocsp_signing"];

    public static Arg<IReadOnlyList<string>> SansArg(string description) =>
        Arg.List("sans", description, examples: ["sans=www.example.org,example.org,127.0.0.1", "sans=DNS:a.test,IP:::1"]);
    public static Arg<IReadOnlyList<string>> KeyUsageArg() =>
        Arg.List("key_usage", "Key usage bits (default: digital_signature, plus key_encipherment for rsa).", choices: KeyUsageChoices);
    public static Arg<IReadOnlyList<string>> EkuArg(string description) => Arg.List("eku", description, choices: EkuChoices);
    public static Arg<string?> KeyTypeArg() => Arg.Enum("key_type", "Algorithm of a new key.", ["ecdsa", "rsa", "ed25519"], "ecdsa");
    public static Arg<long?> KeySizeArg() => Arg.Int("key_size", "Bits of a new key: 256 (P-256), 384 (P-384) or 521 for ecdsa (default 256); 2048, 3072 or 4096 for rsa (default 3072); fixed for ed25519.");
    public static Arg<SecretRef?> PassphraseArg(string description) => Arg.Secret("passphrase", description);

    public static X500DistinguishedName Subject(string text)
    {
        try
        {
            var dn = new X500DistinguishedName(text);
            if (dn.RawData.Length > 4096) throw new CryptographicException();
            return dn;
        }
        catch (CryptographicException)
        {
            throw ReshError.Usage($"subject={Clip(text)} is not a distinguished name.", "Write it as 'CN=www.example.org,O=Example'.").ToException();
        }
    }

    static string Clip(string s) => s.Length > 80 ? s[..80] + "..." : s;

    /// <summary>Parses DNS:name, IP:addr, email:addr, URI:uri, or a bare name/address. Returns null for an empty list.</summary>
    public static X509Extension? Sans(IReadOnlyList<string> sans)
    {
        if (sans.Count == 0) return null;
        if (sans.Count > 1000) throw ReshError.Usage("At most 1000 sans.", null).ToException();
        var b = new SubjectAlternativeNameBuilder();
        foreach (var raw in sans)
        {
            var s = raw.Trim();
            var colon = s.IndexOf(':');
            var prefix = colon > 0 ? s[..colon].ToUpperInvariant() : "";
            var value = prefix is "DNS" or "IP" or "EMAIL" or "URI" ? s[(colon + 1)..] : s;
            try
            {
                switch (prefix)
                {
                    case "IP": b.AddIpAddress(IPAddress.Parse(value)); break;
                    case "EMAIL": b.AddEmailAddress(value); break;
                    case "URI": b.AddUri(new Uri(value, UriKind.Absolute)); break;
                    case "DNS": b.AddDnsName(CheckDns(value)); break;
                    default:
                        if (IPAddress.TryParse(value, out var ip)) b.AddIpAddress(ip);
                        else b.AddDnsName(CheckDns(value));
                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or UriFormatException)
            {
                throw ReshError.Usage($"sans: `{Clip(raw)}` is not a DNS name, IP address, email:ADDR or URI:URI.", "For example sans=www.example.org,127.0.0.1.").ToException();
            }
        }
        return b.Build();
    }

    static string CheckDns(string name)
    {
        if (name.Length is 0 or > 253 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '*' or '_')) || !ValidWildcard(name)
            || name.Split('.').Any(l => l.Length == 0))
            throw new FormatException();
        return name;
    }

    /// <summary>RFC 6125: a wildcard is the whole leftmost label, followed by at least two labels (*.example.org, never *.org or a*.b.c).</summary>
    public static bool ValidWildcard(string name) =>
        !name.Contains('*') || name.StartsWith("*.", StringComparison.Ordinal) && name.IndexOf('*', 1) < 0 && name[2..].Split('.') is { Length: >= 2 } rest && rest.All(l => l.Length > 0);

    /// <summary>Whether a certificate's SANs cover a host name or address (RFC 6125: no CN fallback, wildcards only as ValidWildcard allows, one label deep).</summary>
    public static bool HostMatches(X509Certificate2 cert, string host)
    {
        var ext = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (ext is null) return false;
        try
        {
            if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return ext.EnumerateIPAddresses().Any(a => a.Equals(ip));
            var h = host.TrimEnd('.');
            foreach (var raw in ext.EnumerateDnsNames())
            {
                var san = raw.TrimEnd('.');
                if (string.Equals(san, h, StringComparison.OrdinalIgnoreCase)) return true;
                if (san.StartsWith("*.", StringComparison.Ordinal) && ValidWildcard(san)
                    && h.EndsWith(san[1..], StringComparison.OrdinalIgnoreCase) && h.Length > san.Length - 1 && !h[..^(san.Length - 1)].Contains('.'))
                    return true;
            }
        }
        catch (CryptographicException) { }
        return false;
    }

    public static X509KeyUsageFlags KeyUsage(IReadOnlyList<string> names, string keyType)
    {
        if (names.Count == 0)
            return X509KeyUsageFlags.DigitalSignature | (keyType == "rsa" ? X509KeyUsageFlags.KeyEncipherment : 0);
        X509KeyUsageFlags f = 0;
        foreach (var n in names)
            f |= n switch
            {
                "digital_signature" => X509KeyUsageFlags.DigitalSignature,
                "non_repudiation" => X509KeyUsageFlags.NonRepudiation,
                "key_encipherment" => X509KeyUsageFlags.KeyEncipherment,
                "data_encipherment" => X509KeyUsageFlags.DataEncipherment,
                "key_agreement" => X509KeyUsageFlags.KeyAgreement,
                "key_cert_sign" => X509KeyUsageFlags.KeyCertSign,
                "crl_sign" => X509KeyUsageFlags.CrlSign,
                _ => 0,
            };
        return f;
    }

    public static OidCollection Eku(IReadOnlyList<string> names)
    {
        var oids = new OidCollection();
        foreach (var n in names.Count > 0 ? names : ["server"])
            oids.Add(new Oid(n switch
            {
                "client" => "1.3.6.1.5.5.7.3.2",
                "code_signing" => "1.3.6.1.5.5.7.3.3",
                "email_protection" => "1.3.6.1.5.5.7.3.4",
                "time_stamping" => "1.3.6.1.5.5.7.3.8",
                "ocsp_signing" => "1.3.6.1.5.5.7.3.9",
                _ => "1.3.6.1.5.5.7.3.1",
            }));
        return oids;
    }

    /// <summary>The key at <paramref name="keyPath"/>; or, when none is there, a new one written 0600 (unless dry run). Created tells which.</summary>
    public static (CertKey Key, bool Created) KeyOrNew(VerbContext ctx, string keyPath, string keyType, long? keySize, string? passphrase)
    {
        if (Posix.Stat(keyPath, follow: false, out _) is not null)
        {
            // An existing key is only read (a link to it is fine, as Let's Encrypt's live/ keys are).
            return (CertKey.Load(CertFiles.ReadBounded(keyPath), passphrase, keyPath), false);
        }
        var size = (int)(keySize ?? CertKey.DefaultSize(keyType));
        if (CertKey.SizeProblem(keyType, size) is { } problem)
            throw ReshError.Usage($"key_size={size} is not valid for {keyType}.", problem).ToException();
        CertWrites.CheckDestination(keyPath, "key");
        var key = CertKey.Generate(keyType, size);
        if (!ctx.DryRun) WriteKey(keyPath, key, passphrase);
        return (key, true);
    }

    public static void WriteKey(string path, CertKey key, string? passphrase)
    {
        var pem = key.ExportPem(passphrase);
        try { CertWrites.Write(path, pem, CertWrites.Private); }
        finally { CryptographicOperations.ZeroMemory(pem); }
    }

    public static byte[] Pem(params X509Certificate2[] certs) =>
        Encoding.ASCII.GetBytes(string.Concat(certs.Select(c => c.ExportCertificatePem() + "\n")));

    public static DateTimeOffset Utc(DateTime t) => new(t.ToUniversalTime(), TimeSpan.Zero);

    public static string SpkiSha256(PublicKey key) => CertDescribe.Colons(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
}
