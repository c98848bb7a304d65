using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// The keystore's primitives, all from BouncyCastle: AES-256-GCM with a random 96-bit nonce
/// (nonce ‖ ciphertext ‖ tag), HMAC-SHA256, HKDF-SHA256 and Argon2id. Randomness comes from the OS.
/// </summary>
internal static class Crypto
{
    public const int KeySize = 32, NonceSize = 12, TagSize = 16;

    public static byte[] RandomBytes(int n) => OsRandom.GetBytes(n);

    /// <summary>Encrypts and authenticates <paramref name="plaintext"/> and <paramref name="aad"/>.</summary>
    public static byte[] Seal(byte[] key, ReadOnlySpan<byte> plaintext, byte[] aad)
    {
        var nonce = RandomBytes(NonceSize);
        var gcm = Gcm(true, key, nonce, aad);
        var output = new byte[NonceSize + gcm.GetOutputSize(plaintext.Length)];
        nonce.CopyTo(output, 0);
        var input = plaintext.ToArray();
        var n = gcm.ProcessBytes(input, 0, input.Length, output, NonceSize);
        gcm.DoFinal(output, NonceSize + n);
        Array.Clear(input);
        return output;
    }

    /// <summary>The plaintext, or null when the key, the data or the associated data do not match (tampering).</summary>
    public static byte[]? Open(byte[] key, byte[] sealedData, byte[] aad)
    {
        if (sealedData.Length < NonceSize + TagSize) return null;
        var gcm = Gcm(false, key, sealedData.AsSpan(0, NonceSize).ToArray(), aad);
        var output = new byte[gcm.GetOutputSize(sealedData.Length - NonceSize)];
        try
        {
            var n = gcm.ProcessBytes(sealedData, NonceSize, sealedData.Length - NonceSize, output, 0);
            gcm.DoFinal(output, n);
            return output;
        }
        catch (InvalidCipherTextException)
        {
            Array.Clear(output);
            return null;
        }
    }

    static GcmBlockCipher Gcm(bool encrypt, byte[] key, byte[] nonce, byte[] aad)
    {
        var gcm = new GcmBlockCipher(AesUtilities.CreateEngine());
        gcm.Init(encrypt, new AeadParameters(new KeyParameter(key), TagSize * 8, nonce, aad));
        return gcm;
    }

    public static byte[] Hmac(byte[] key, ReadOnlySpan<byte> data)
    {
        var mac = new HMac(new Sha256Digest());
        mac.Init(new KeyParameter(key));
        var input = data.ToArray();
        mac.BlockUpdate(input, 0, input.Length);
        var output = new byte[mac.GetMacSize()];
        mac.DoFinal(output, 0);
        return output;
    }

    public static byte[] Hkdf(byte[] ikm, string info, int length = KeySize)
    {
        var hkdf = new HkdfBytesGenerator(new Sha256Digest());
        hkdf.Init(new HkdfParameters(ikm, null, System.Text.Encoding.ASCII.GetBytes(info)));
        var output = new byte[length];
        hkdf.GenerateBytes(output, 0, length);
        return output;
    }

    public static byte[] Argon2id(ReadOnlySpan<byte> passphrase, byte[] salt, int memoryKiB, int iterations, int parallelism)
    {
        var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithSalt(salt)
            .WithMemoryAsKB(memoryKiB)
            .WithIterations(iterations)
            .WithParallelism(parallelism)
            .Build();
        var generator = new Argon2BytesGenerator();
        generator.Init(parameters);
        var output = new byte[KeySize];
        var password = passphrase.ToArray();
        generator.GenerateBytes(password, output);
        Array.Clear(password);
        return output;
    }

    public static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(a, b);
}
