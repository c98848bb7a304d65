using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Resh.Core.Errors;

namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// Ed25519 over a registry index: the signature file holds the base64 of the 64-byte signature over the exact bytes of
/// index.json (what `openssl pkeyutl -sign -rawin` writes, base64-encoded). Trusted keys are written `ed25519:BASE64`
/// where BASE64 is the 32-byte raw public key, or the 44-byte DER SubjectPublicKeyInfo `openssl pkey -pubout -outform DER` prints.
/// </summary>
public static class PluginSignature
{
    static readonly byte[] SpkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    public sealed record TrustedKey(string Text, byte[] Raw)
    {
        /// <summary>A short fingerprint for envelopes: the first 16 base64 characters of the raw key.</summary>
        public string Id => "ed25519:" + Convert.ToBase64String(Raw)[..16];
    }

    public static TrustedKey ParseKey(string text, string where)
    {
        var t = text.Trim();
        var body = t.StartsWith("ed25519:", StringComparison.OrdinalIgnoreCase) ? t[8..] : t;
        byte[] raw;
        try { raw = Convert.FromBase64String(body.Trim()); }
        catch (FormatException) { throw BadKey(where); }
        if (raw.Length == 44 && raw.AsSpan(0, 12).SequenceEqual(SpkiPrefix)) raw = raw[12..];
        if (raw.Length != 32) throw BadKey(where);
        return new TrustedKey(t, raw);
    }

    static ReshException BadKey(string where) => ReshError.Usage($"A trusted key in {where} is not an Ed25519 public key.",
        "Write it as ed25519:BASE64 with the 32-byte key (openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | base64).").ToException();

    /// <summary>The signature's bytes from the .sig file: base64 (whitespace ignored), or the raw 64 bytes.</summary>
    public static byte[]? DecodeSignature(byte[] file)
    {
        if (file.Length == 64) return file;
        var text = System.Text.Encoding.ASCII.GetString(file).Trim();
        try
        {
            var sig = Convert.FromBase64String(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
            return sig.Length == 64 ? sig : null;
        }
        catch (FormatException) { return null; }
    }

    /// <summary>The trusted key that made <paramref name="signature"/> over <paramref name="data"/>, or null.</summary>
    public static TrustedKey? Verify(byte[] data, byte[] signature, IEnumerable<TrustedKey> keys)
    {
        foreach (var k in keys)
        {
            var v = new Ed25519Signer();
            v.Init(false, new Ed25519PublicKeyParameters(k.Raw, 0));
            v.BlockUpdate(data, 0, data.Length);
            if (v.VerifySignature(signature)) return k;
        }
        return null;
    }
}
