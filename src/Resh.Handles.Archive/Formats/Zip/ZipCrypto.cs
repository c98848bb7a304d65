using System.Security.Cryptography;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>The wrong password for an encrypted entry: <c>permission_denied</c>.</summary>
public sealed class WrongPasswordException(string problem) : Exception(problem);

/// <summary>PKWARE's traditional zip encryption ("ZipCrypto"): weak, but what many zips still use. Decryption only.</summary>
internal sealed class ZipCryptoStream : ForwardReadStream
{
    static readonly uint[] Table = MakeTable();
    readonly Stream _inner;
    uint _k0 = 0x12345678, _k1 = 0x23456789, _k2 = 0x34567890;

    /// <summary>Reads and checks the 12-byte header; <paramref name="check"/> is the byte the header must end with.</summary>
    public ZipCryptoStream(Stream inner, byte[] password, byte check)
    {
        _inner = inner;
        foreach (var b in password) Update(b);
        var header = new byte[12];
        if (inner.ReadAtLeast(header, 12, throwOnEndOfStream: false) != 12) throw new ArchiveCorruptException("the encryption header is cut short");
        for (int i = 0; i < 12; i++) header[i] = Decrypt(header[i]);
        if (header[11] != check) throw new WrongPasswordException("the password does not decrypt this entry");
    }

    public override bool CanRead => true;

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        for (int i = 0; i < n; i++) buffer[i] = Decrypt(buffer[i]);
        return n;
    }

    byte Decrypt(byte b)
    {
        var t = (ushort)(_k2 | 2);
        var plain = (byte)(b ^ (byte)((t * (t ^ 1)) >> 8));
        Update(plain);
        return plain;
    }

    void Update(byte b)
    {
        _k0 = Table[(_k0 ^ b) & 0xff] ^ (_k0 >> 8);
        _k1 = (_k1 + (_k0 & 0xff)) * 134775813 + 1;
        _k2 = Table[(_k2 ^ (_k1 >> 24)) & 0xff] ^ (_k2 >> 8);
    }

    static uint[] MakeTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// WinZip AES (AE-1/AE-2): PBKDF2-HMAC-SHA1 (1000 rounds) derives the AES and HMAC keys and a 2-byte
/// password check; data is AES in counter mode (little-endian counter from 1); an HMAC-SHA1 of the
/// ciphertext, cut to 10 bytes, follows it.
/// </summary>
internal static class WinZipAes
{
    public static int SaltLength(int strength) => strength switch { 1 => 8, 2 => 12, 3 => 16, _ => throw new ArchiveUnsupportedException($"AES key strength {strength} is not a WinZip AES strength") };
    public static int KeyLength(int strength) => strength switch { 1 => 16, 2 => 24, _ => 32 };

    public static (byte[] AesKey, byte[] MacKey, byte[] Check) Derive(byte[] password, byte[] salt, int strength)
    {
        var keyLength = KeyLength(strength);
        var dk = Rfc2898DeriveBytes.Pbkdf2(password, salt, 1000, HashAlgorithmName.SHA1, 2 * keyLength + 2);
        return (dk[..keyLength], dk[keyLength..(2 * keyLength)], dk[(2 * keyLength)..]);
    }
}

/// <summary>AES-CTR as WinZip uses it, the same both ways; the HMAC runs over the ciphertext.</summary>
internal sealed class WinZipAesTransform : IDisposable
{
    readonly Aes _aes = Aes.Create();
    readonly IncrementalHash _mac;
    readonly byte[] _counter = new byte[16];
    readonly byte[] _keystream = new byte[16 * 64];
    readonly byte[] _counters = new byte[16 * 64];
    int _used = 16 * 64;
    ulong _blockNumber;

    public WinZipAesTransform(byte[] aesKey, byte[] macKey)
    {
        _aes.Key = aesKey;
        _mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, macKey);
    }

    /// <summary>Decrypts in place, hashing the ciphertext first.</summary>
    public void Decrypt(Span<byte> data)
    {
        _mac.AppendData(data);
        Xor(data);
    }

    /// <summary>Encrypts in place, hashing the ciphertext after.</summary>
    public void Encrypt(Span<byte> data)
    {
        Xor(data);
        _mac.AppendData(data);
    }

    public byte[] AuthCode() => _mac.GetHashAndReset()[..10];

    void Xor(Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (_used == _keystream.Length) Refill();
            data[i] ^= _keystream[_used++];
        }
    }

    void Refill()
    {
        for (int b = 0; b < 64; b++)
        {
            _blockNumber++;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_counters.AsSpan(b * 16), _blockNumber);
        }
        _aes.EncryptEcb(_counters, _keystream, PaddingMode.None);
        _used = 0;
    }

    public void Dispose()
    {
        _aes.Dispose();
        _mac.Dispose();
    }
}

/// <summary>Reads a WinZip AES entry's encrypted data (salt and check already consumed) and verifies its HMAC at the end.</summary>
internal sealed class WinZipAesReadStream : ForwardReadStream
{
    readonly Stream _inner;
    readonly WinZipAesTransform _transform;
    long _remaining;
    bool _verified;

    public WinZipAesReadStream(Stream inner, WinZipAesTransform transform, long cipherLength)
    {
        _inner = inner;
        _transform = transform;
        _remaining = cipherLength;
    }

    public override bool CanRead => true;

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0)
        {
            Verify();
            return 0;
        }
        var n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        if (n == 0) throw new ArchiveCorruptException("the encrypted data is cut short (truncated)");
        _transform.Decrypt(buffer[..n]);
        _remaining -= n;
        return n;
    }

    void Verify()
    {
        if (_verified) return;
        _verified = true;
        var code = new byte[10];
        if (_inner.ReadAtLeast(code, 10, throwOnEndOfStream: false) != 10) throw new ArchiveCorruptException("the AES authentication code is missing (truncated)");
        if (!CryptographicOperations.FixedTimeEquals(code, _transform.AuthCode()))
            throw new ArchiveCorruptException("the AES authentication code does not match: the encrypted data is damaged");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _inner.Dispose(); _transform.Dispose(); }
        base.Dispose(disposing);
    }
}
