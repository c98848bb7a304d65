using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;

namespace Resh.Handles.Cert;

/// <summary>
/// Encrypted PKCS#8 (RFC 8018 PBES2) for every key type, Ed25519 included, with the platform's PBKDF2 and AES:
/// writes PBKDF2-HMAC-SHA256 + AES-256-CBC (what `openssl pkcs8 -topk8 -v2 aes256` writes), reads PBES2 with
/// PBKDF2 (HMAC-SHA1/224/256/384/512) and AES-128/192/256-CBC or 3DES-CBC. Wrong passphrases and anything else
/// are a CryptographicException.
/// </summary>
internal static class CertPkcs8Crypto
{
    const string Pbes2 = "1.2.840.113549.1.5.13";
    const string Pbkdf2 = "1.2.840.113549.1.5.12";
    const string HmacSha256 = "1.2.840.113549.2.9";
    const string Aes256Cbc = "2.16.840.1.101.3.4.1.42";
    public const int Iterations = 100_000;
    const int MaxIterations = 10_000_000;

    public static byte[] Encrypt(byte[] pkcs8, string passphrase)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var iv = RandomNumberGenerator.GetBytes(16);
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, Iterations, HashAlgorithmName.SHA256, 32);
        byte[] cipher;
        using (var aes = Aes.Create())
        {
            aes.Key = key;
            cipher = aes.EncryptCbc(pkcs8, iv, PaddingMode.PKCS7);
        }
        CryptographicOperations.ZeroMemory(key);
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(Pbes2);
                using (w.PushSequence())
                {
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(Pbkdf2);
                        using (w.PushSequence())
                        {
                            w.WriteOctetString(salt);
                            w.WriteInteger(Iterations);
                            using (w.PushSequence())
                            {
                                w.WriteObjectIdentifier(HmacSha256);
                                w.WriteNull();
                            }
                        }
                    }
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(Aes256Cbc);
                        w.WriteOctetString(iv);
                    }
                }
            }
            w.WriteOctetString(cipher);
        }
        return w.Encode();
    }

    public static byte[] Decrypt(byte[] encrypted, string passphrase)
    {
        try
        {
            var top = new AsnReader(encrypted, AsnEncodingRules.BER).ReadSequence();
            var alg = top.ReadSequence();
            if (alg.ReadObjectIdentifier() != Pbes2) throw new Pkcs8FormatException("Only PBES2-encrypted keys are supported.");
            var pbes2 = alg.ReadSequence();
            var kdf = pbes2.ReadSequence();
            if (kdf.ReadObjectIdentifier() != Pbkdf2) throw new Pkcs8FormatException("Only PBKDF2 is supported.");
            var kp = kdf.ReadSequence();
            var salt = kp.ReadOctetString();
            if (!kp.TryReadInt32(out var iterations) || iterations is < 1 or > MaxIterations) throw new Pkcs8FormatException("Bad iteration count.");
            int? keyLength = null;
            if (kp.HasData && kp.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                if (!kp.TryReadInt32(out var kl) || kl is < 1 or > 64) throw new Pkcs8FormatException("Bad key length.");
                keyLength = kl;
            }
            var prf = HashAlgorithmName.SHA1;
            if (kp.HasData)
            {
                var prfAlg = kp.ReadSequence();
                prf = prfAlg.ReadObjectIdentifier() switch
                {
                    "1.2.840.113549.2.7" => HashAlgorithmName.SHA1,
                    "1.2.840.113549.2.9" => HashAlgorithmName.SHA256,
                    "1.2.840.113549.2.10" => HashAlgorithmName.SHA384,
                    "1.2.840.113549.2.11" => HashAlgorithmName.SHA512,
                    var o => throw new Pkcs8FormatException($"Unsupported PRF {o}."),
                };
            }
            var scheme = pbes2.ReadSequence();
            var cipherOid = scheme.ReadObjectIdentifier();
            var iv = scheme.ReadOctetString();
            var data = top.ReadOctetString();
            var pass = Encoding.UTF8.GetBytes(passphrase);
            switch (cipherOid)
            {
                case "2.16.840.1.101.3.4.1.2" or "2.16.840.1.101.3.4.1.22" or Aes256Cbc:
                {
                    int len = cipherOid switch { "2.16.840.1.101.3.4.1.2" => 16, "2.16.840.1.101.3.4.1.22" => 24, _ => 32 };
                    if (keyLength is { } k && k != len || iv.Length != 16) throw new Pkcs8FormatException("Bad AES parameters.");
                    var key = Rfc2898DeriveBytes.Pbkdf2(pass, salt, iterations, prf, len);
                    using var aes = Aes.Create();
                    aes.Key = key;
                    CryptographicOperations.ZeroMemory(key);
                    return aes.DecryptCbc(data, iv, PaddingMode.PKCS7);
                }
                case "1.2.840.113549.3.7":
                {
                    if (iv.Length != 8) throw new Pkcs8FormatException("Bad 3DES parameters.");
                    var key = Rfc2898DeriveBytes.Pbkdf2(pass, salt, iterations, prf, 24);
                    using var des = TripleDES.Create();
                    des.Key = key;
                    CryptographicOperations.ZeroMemory(key);
                    return des.DecryptCbc(data, iv, PaddingMode.PKCS7);
                }
                default: throw new Pkcs8FormatException($"Unsupported cipher {cipherOid}.");
            }
        }
        catch (AsnContentException ex) { throw new Pkcs8FormatException("Malformed encrypted key.", ex); }
    }
}

/// <summary>An encrypted key whose parameters resh does not take (unsupported or malformed, or a hostile iteration count): not a wrong passphrase.</summary>
internal sealed class Pkcs8FormatException(string message, Exception? inner = null) : CryptographicException(message, inner);
