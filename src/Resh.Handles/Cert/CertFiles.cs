using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Files;

namespace Resh.Handles.Cert;

/// <summary>
/// Reads certificate, key and CSR files: PEM (any number of blocks), DER, PKCS#12. Input is untrusted:
/// size and count are bounded, non-regular files are refused (a FIFO would hang), parse failures are `usage`.
/// </summary>
internal static class CertFiles
{
    public const long MaxFileBytes = 16 << 20;
    public const int MaxCertificates = 1000;

    public static byte[] ReadBounded(string path)
    {
        if (Posix.Stat(path, follow: true, out var errno) is not { } st) throw FileErrors.Throw(errno, path, "read");
        if (!st.IsRegular)
            throw ReshError.Usage($"{path} is not a regular file.", "Name a certificate, key or CSR file.").ToException();
        if (st.Size > MaxFileBytes)
            throw ReshError.Usage($"{path} is {st.Size} bytes; certificate files are read up to {MaxFileBytes >> 20} MiB.", "Split the bundle, or name the certificate file itself.").ToException();
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            var buffer = new byte[Math.Min(st.Size + 1, MaxFileBytes + 1)];
            int total = 0, n;
            while (total < buffer.Length && (n = fs.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            if (total > MaxFileBytes)
                throw ReshError.Usage($"{path} grew past {MaxFileBytes >> 20} MiB while it was read.", null).ToException();
            return buffer.AsSpan(0, total).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.FromException(ex, path, "read").ToException();
        }
    }

    public static CertMaterial Load(CertTarget target, string? password)
    {
        var path = target.Path!;
        var bytes = ReadBounded(path);
        if (LooksLikePem(bytes)) return LoadPem(target, Encoding.ASCII.GetString(bytes));
        return LoadDer(target, bytes, password);
    }

    static bool LooksLikePem(byte[] bytes) => bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    static CertMaterial LoadPem(CertTarget target, string text)
    {
        var m = new CertMaterial { Target = target, Format = "pem" };
        string current = "";
        try
        {
            int blocks = 0;
            var rest = text.AsSpan();
            // Legacy encrypted keys (Proc-Type headers) are not RFC 7468 PEM; note them by label.
            foreach (var legacy in new[] { "RSA", "EC", "DSA" })
                if (text.Contains($"-----BEGIN {legacy} PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED", StringComparison.Ordinal)
                    || text.Contains($"-----BEGIN {legacy} PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
                    m.Keys.Add(new KeyInfo(legacy == "EC" ? "ecdsa" : legacy.ToLowerInvariant(), null, null, true));
            while (PemEncoding.TryFind(rest, out var fields))
            {
                var label = rest[fields.Label].ToString();
                current = label;
                var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                rest = rest[fields.Location.End.Value..];
                blocks++;
                switch (label)
                {
                    case "CERTIFICATE" or "X509 CERTIFICATE":
                        if (m.Certificates.Count >= MaxCertificates) throw TooMany(target);
                        m.Certificates.Add(X509CertificateLoader.LoadCertificate(der));
                        break;
                    case "TRUSTED CERTIFICATE":
                        if (m.Certificates.Count >= MaxCertificates) throw TooMany(target);
                        m.Certificates.Add(X509CertificateLoader.LoadCertificate(FirstElement(der)));
                        break;
                    case "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST":
                        m.Csrs.Add(CertDescribe.Csr(CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256,
                            CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions)));
                        break;
                    case "PRIVATE KEY": m.Keys.Add(CertKeys.FromPkcs8(der)); break;
                    case "ENCRYPTED PRIVATE KEY": m.Keys.Add(new KeyInfo(null, null, null, true)); break;
                    case "RSA PRIVATE KEY": m.Keys.Add(CertKeys.FromRsa(der)); break;
                    case "EC PRIVATE KEY": m.Keys.Add(CertKeys.FromEc(der)); break;
                }
            }
            if (m.Certificates.Count == 0 && m.Keys.Count == 0 && m.Csrs.Count == 0)
                throw Malformed(target, blocks == 0 ? "no well-formed PEM block" : "no certificate, private key or certificate request among its PEM blocks");
            return m;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or System.Formats.Asn1.AsnContentException)
        {
            m.Dispose();
            _ = ex;
            throw Malformed(target, $"a {current} PEM block that does not parse");
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <summary>OpenSSL's TRUSTED CERTIFICATE is the certificate followed by trust settings: keep the first DER element.</summary>
    static byte[] FirstElement(byte[] der)
    {
        var reader = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER, new() { SkipSetSortOrderVerification = true });
        return reader.ReadEncodedValue().ToArray();
    }

    static CertMaterial LoadDer(CertTarget target, byte[] bytes, string? password)
    {
        if (bytes.Length == 0) throw Malformed(target, "an empty file");
        try
        {
            var m = new CertMaterial { Target = target, Format = "der" };
            m.Certificates.Add(X509CertificateLoader.LoadCertificate(bytes));
            return m;
        }
        catch (CryptographicException) { }
        if (IsPkcs12(bytes))
            return LoadPkcs12(target, bytes, password);
        try
        {
            var m = new CertMaterial { Target = target, Format = "der" };
            m.Csrs.Add(CertDescribe.Csr(CertificateRequest.LoadSigningRequest(bytes, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions)));
            return m;
        }
        catch (CryptographicException) { }
        try
        {
            var m = new CertMaterial { Target = target, Format = "der" };
            m.Keys.Add(CertKeys.FromPkcs8(bytes));
            return m;
        }
        catch (Exception ex) when (ex is CryptographicException or System.Formats.Asn1.AsnContentException) { }
        throw Malformed(target, "neither PEM nor a DER certificate, CSR, PKCS#8 key or PKCS#12 bundle");
    }

    static bool IsPkcs12(byte[] bytes)
    {
        try { return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12; }
        catch (CryptographicException) { return false; }
    }

    static CertMaterial LoadPkcs12(CertTarget target, byte[] bytes, string? password)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException)
        {
            // A bundle with an Ed25519 key (the platform's loader takes none): read bag by bag.
            if (CertPkcs12Ed25519.TryRead(bytes, password, noKey: false) is var (certs, key))
            {
                var ed = new CertMaterial { Target = target, Format = "pkcs12" };
                if (key is not null)
                {
                    ed.Keys.Add(new KeyInfo(key.Type, key.Size, key.Curve, false));
                    key.Dispose();
                }
                ed.Certificates.AddRange(certs);
                return ed;
            }
            if (password is null)
                throw ReshError.Usage($"{target.Display} is a PKCS#12 bundle that needs a password.", "Give password=secret:NAME (or env:VAR, file:PATH, @-).").ToException();
            // A wrong credential is permission_denied (SPEC §3), as a rejected login is; `usage` is for a missing one.
            throw ReshError.PermissionDenied($"{target.Display} is a PKCS#12 bundle that cannot be opened with the password given.", "Check the password.").ToException();
        }
        var m = new CertMaterial { Target = target, Format = "pkcs12" };
        // Leaf (the one with the key) first, as in a PEM chain.
        foreach (var c in collection.OrderByDescending(c => c.HasPrivateKey))
        {
            if (c.HasPrivateKey)
            {
                var (type, size, curve) = CertDescribe.PublicKey(c.PublicKey);
                m.Keys.Add(new KeyInfo(type, size, curve, false));
            }
            m.Certificates.Add(c);
        }
        return m;
    }

    static ReshException Malformed(CertTarget target, string what) =>
        ReshError.Usage($"{target.Display} holds {what}.", "Name a PEM or DER certificate, a private key, a CSR or a PKCS#12 bundle.",
            new JsonObject { ["path"] = target.Path }).ToException();

    static ReshException TooMany(CertTarget target) =>
        ReshError.Usage($"{target.Display} holds more than {MaxCertificates} certificates.", "Name a single certificate or chain, not a whole store.").ToException();
}
