using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Resh.Handles.Cert;

/// <summary>
/// PKCS#12 bundles whose key is Ed25519, which the platform's X509 PKCS#12 loader and exporter do not handle: built
/// and read bag by bag with System.Security.Cryptography.Pkcs (Pkcs12Builder / Pkcs12Info). The layout is what
/// `openssl pkcs12 -export` writes by default: the certificates in a PBES2 (AES-256-CBC, PBKDF2-HMAC-SHA256)
/// encrypted safe, the key as a PBES2 shrouded key bag (CertPkcs8Crypto), both tied by a localKeyId (the leaf's
/// SHA-1, as openssl sets it), and an HMAC-SHA256 MAC over the whole.
/// </summary>
internal static class CertPkcs12Ed25519
{
    const int Iterations = 2048;

    public static byte[] Write(IReadOnlyList<X509Certificate2> certs, CertKey key, string password)
    {
        var keyId = new Pkcs9LocalKeyId(SHA1.HashData(certs[0].RawData));
        var certBags = new Pkcs12SafeContents();
        for (int i = 0; i < certs.Count; i++)
        {
            var bag = certBags.AddCertificate(certs[i]);
            if (i == 0) bag.Attributes.Add(keyId);
        }
        var pkcs8 = key.ExportPkcs8();
        byte[] shrouded;
        try { shrouded = CertPkcs8Crypto.Encrypt(pkcs8, password); }
        finally { CryptographicOperations.ZeroMemory(pkcs8); }
        var keyBags = new Pkcs12SafeContents();
        var keyBag = new Pkcs12ShroudedKeyBag(shrouded, skipCopy: true);
        keyBag.Attributes.Add(keyId);
        keyBags.AddSafeBag(keyBag);
        var builder = new Pkcs12Builder();
        builder.AddSafeContentsEncrypted(certBags, password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Iterations));
        builder.AddSafeContentsUnencrypted(keyBags);
        builder.SealWithMac(password, HashAlgorithmName.SHA256, Iterations);
        return builder.Encode();
    }

    /// <summary>
    /// The certificates and the Ed25519 key of a bundle whose MAC this password verifies; null when it holds a key that
    /// is not Ed25519 or a bag this reader does not know (the caller then reports the bundle as unreadable).
    /// </summary>
    public static (List<X509Certificate2> Certs, CertKey? Key)? TryRead(byte[] bytes, string? password, bool noKey)
    {
        var certs = new List<X509Certificate2>();
        CertKey? key = null;
        try
        {
            var info = Pkcs12Info.Decode(bytes, out _);
            if (info.IntegrityMode == Pkcs12IntegrityMode.Password && !info.VerifyMac(password)) return null;
            foreach (var contents in info.AuthenticatedSafe)
            {
                if (contents.ConfidentialityMode == Pkcs12ConfidentialityMode.Password) contents.Decrypt(password);
                else if (contents.ConfidentialityMode != Pkcs12ConfidentialityMode.None) return Fail(certs, key);
                foreach (var bag in contents.GetBags())
                {
                    switch (bag)
                    {
                        case Pkcs12CertBag { IsX509Certificate: true } cb:
                            certs.Add(cb.GetCertificate());
                            break;
                        case Pkcs12ShroudedKeyBag sk when !noKey:
                            if (key is not null) return Fail(certs, key);
                            var der = CertPkcs8Crypto.Decrypt(sk.EncryptedPkcs8PrivateKey.ToArray(), password ?? "");
                            try { key = CertKey.FromPkcs8(der); }
                            finally { CryptographicOperations.ZeroMemory(der); }
                            break;
                        case Pkcs12KeyBag kb when !noKey:
                            if (key is not null) return Fail(certs, key);
                            key = CertKey.FromPkcs8(kb.Pkcs8PrivateKey.Span);
                            break;
                        case Pkcs12ShroudedKeyBag or Pkcs12KeyBag:
                            break;
                        default:
                            return Fail(certs, key);
                    }
                }
            }
            if (key is not null && key.Type != "ed25519") return Fail(certs, key);
            // The leaf (the certificate of the key) first, the others in file order, as in a PEM chain.
            if (key is not null && certs.FindIndex(c => key.Matches(c.PublicKey)) is var leaf and > 0)
            {
                var c = certs[leaf];
                certs.RemoveAt(leaf);
                certs.Insert(0, c);
            }
            return (certs, key);
        }
        catch (Exception ex) when (ex is CryptographicException or System.Formats.Asn1.AsnContentException or ArgumentException)
        {
            return Fail(certs, key);
        }
    }

    static (List<X509Certificate2>, CertKey?)? Fail(List<X509Certificate2> certs, CertKey? key)
    {
        foreach (var c in certs) c.Dispose();
        key?.Dispose();
        return null;
    }
}
