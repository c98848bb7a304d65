using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Text;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// Zip, read by resh itself from the central directory (as unzip and bsdtar do): data before the
/// archive and bytes after it tolerated; names by the archive's own signals (UTF-8 flag, Info-ZIP
/// Unicode Path, else bytes as stored or the caller's encoding); types from every signal (trailing
/// slash, Unix mode, MS-DOS attributes); stored, deflate, deflate64, bzip2, LZMA, PPMd, xz and zstd
/// data; ZipCrypto and WinZip AES; every entry's size and CRC-32 (or AES code) checked as it is read,
/// data descriptors checked against the directory.
/// </summary>
public sealed class ZipFormatReader : ArchiveReader
{
    readonly FileStream _file;
    readonly SafeFileHandle _handle;
    readonly List<ZipEntryRecord> _entries;
    readonly long _shift;
    readonly byte[]? _password;
    readonly Action<long>? _progress;
    readonly Func<ReadOnlySpan<byte>, string>? _decodeName;
    int _index = -1;
    long _consumed;
    FileWindowStream? _window;

    public ZipFormatReader(string path, string? password, Action<long>? progress, Func<ReadOnlySpan<byte>, string>? decodeName = null)
    {
        _progress = progress;
        _decodeName = decodeName;
        _password = password is null ? null : Encoding.UTF8.GetBytes(password);
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        try
        {
            _handle = _file.SafeFileHandle;
            _entries = ZipLocator.Read(_file, out _shift, Warnings);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
        long total = 0;
        foreach (var e in _entries) total += e.Size;
        DeclaredTotalSize = total;
        DeclaredEntryCount = _entries.Count;
        Encrypted = _entries.Any(e => e.Encrypted);
    }

    public override ArchiveFormat Format { get; } = new(Container.Zip, Codec.None);
    /// <summary>Compressed bytes of finished entries plus what the current entry's decoder has read.</summary>
    public override long ConsumedBytes => _consumed + (_window?.BytesRead ?? 0);
    public override long? DeclaredTotalSize { get; }
    public override int? DeclaredEntryCount { get; }
    public bool Encrypted { get; }
    /// <summary>Compression methods used, by name (for info).</summary>
    public IEnumerable<string> Methods => _entries.Select(e => MethodName(e.Method)).Distinct();

    ZipEntryRecord Entry => _entries[_index];

    public override ArchiveItem? Next()
    {
        if (_index >= 0 && _index < _entries.Count)
        {
            _consumed += Entry.CompressedSize;
            _progress?.Invoke(Entry.CompressedSize);
        }
        _window = null;
        if (++_index >= _entries.Count) return Current = null;
        var e = Entry;
        var name = Name(e);
        var unixMode = e.ExternalAttributes >> 16;
        // Unix (3) and macOS (19) keep the mode in the high bits, sometimes without the type bits; MS-DOS, OS/2, NTFS
        // and VFAT (0, 6, 10, 14) keep attributes only (what the high bits hold there is ignored, as bsdtar does);
        // others count when the type bits are set.
        var hasUnixMode = e.HostOs switch
        {
            3 or 19 => unixMode != 0,
            0 or 6 or 10 or 14 => false,
            _ => (unixMode & 0xF000) != 0,
        };
        var isDir = name.EndsWith('/') || (hasUnixMode && (unixMode & 0xF000) == 0x4000) || (!hasUnixMode && (e.ExternalAttributes & 0x10) != 0);
        var kind = isDir ? ItemKind.Directory
            : hasUnixMode ? (unixMode & 0xF000) switch
            {
                0xA000 => ItemKind.Symlink,
                0x2000 => ItemKind.CharDevice,
                0x6000 => ItemKind.BlockDevice,
                0x1000 => ItemKind.Fifo,
                0xC000 => ItemKind.Other,
                _ => ItemKind.File,
            }
            : ItemKind.File;
        // Without a Unix mode: 0775 / 0664, less the write bits for the MS-DOS read-only attribute (as bsdtar; the umask applies later).
        uint perms = hasUnixMode ? unixMode & 0xFFF
            : (kind == ItemKind.Directory ? 0x1FDu : 0x1B4u) & ((e.ExternalAttributes & 1) != 0 ? ~0x92u : ~0u);
        var clean = name.Length > 1 ? name.TrimEnd('/') : name;
        var mtime = e.UnixMtime is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : DosTime(e.DosDate, e.DosTime);
        string? link = null;
        if (kind == ItemKind.Symlink && !(e.Encrypted && _password is null))
        {
            Current = new ArchiveItem(clean, kind, 0, perms, mtime);
            using var s = OpenData();
            var buf = new byte[4096];
            var n = s.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
            if (n == buf.Length) throw new ArchiveCorruptException($"{PathBytes.Display(clean)}: the symlink target is longer than 4095 bytes");
            Drain(s);
            link = PathBytes.Decode(buf.AsSpan(0, n));
        }
        return Current = new ArchiveItem(clean, kind, kind == ItemKind.File ? e.Size : 0, perms, mtime, e.Uid ?? 0, e.Gid ?? 0,
            LinkTarget: link, CompressedSize: e.CompressedSize, Encrypted: e.Encrypted);
    }

    static void Drain(Stream s)
    {
        Span<byte> b = stackalloc byte[256];
        while (s.Read(b) > 0) { }
    }

    string Name(ZipEntryRecord e)
    {
        string name;
        if (e.Utf8) name = PathBytes.Decode(e.RawName);
        else if (e.UnicodeName is { } u) name = PathBytes.Decode(u);
        else name = _decodeName is null ? PathBytes.Decode(e.RawName) : _decodeName(e.RawName);
        // Zips made on Windows separate directories with backslashes; bsdtar reads every backslash in a zip name as a slash, and so does resh.
        if (name.Contains('\\')) name = name.Replace('\\', '/');
        return name;
    }

    static DateTimeOffset DosTime(int date, int time)
    {
        try
        {
            var local = new DateTime(1980 + (date >> 9), Math.Max(1, (date >> 5) & 15), Math.Max(1, date & 31), (time >> 11) & 31, (time >> 5) & 63, Math.Min(59, (time & 31) * 2), DateTimeKind.Local);
            return new DateTimeOffset(local);
        }
        catch (ArgumentOutOfRangeException) { return new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero); }
    }

    public override Stream OpenData()
    {
        var e = Entry;
        if (e.Encrypted && _password is null)
            throw new Resh.Core.Errors.ReshException(Resh.Core.Errors.ReshError.Usage("The zip is encrypted and no password was given.", "Pass password=... (or password=@file to read it from a file)."));
        var display = PathBytes.Display(Current?.Name ?? PathBytes.Decode(e.RawName));
        // The local header: its name and extra lengths decide where the data starts; the directory decides the sizes.
        Span<byte> local = stackalloc byte[30];
        var at = e.LocalOffset + _shift;
        if (RandomAccess.Read(_handle, local, at) != 30 || BinaryPrimitives.ReadUInt32LittleEndian(local) != 0x04034b50)
            throw new ArchiveCorruptException($"{display}: its local header is missing at byte {at}");
        var dataAt = at + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
        var window = new FileWindowStream(_handle, dataAt, e.CompressedSize);
        _window = window;
        Stream raw = window;
        Action? atEnd = e.HasDataDescriptor ? () => CheckDescriptor(e, dataAt + e.CompressedSize, display) : null;
        uint? crc = e.Crc;
        long encryptedLength = e.CompressedSize;
        if (e.Encrypted)
        {
            if (e.AesStrength != 0)
            {
                var saltLength = WinZipAes.SaltLength(e.AesStrength);
                var head = new byte[saltLength + 2];
                if (raw.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) != head.Length) throw new ArchiveCorruptException($"{display}: the AES header is cut short");
                var (aesKey, macKey, check) = WinZipAes.Derive(_password!, head[..saltLength], e.AesStrength);
                if (!check.AsSpan().SequenceEqual(head.AsSpan(saltLength))) throw new WrongPasswordException("the password does not decrypt this entry");
                var cipherLength = e.CompressedSize - head.Length - 10;
                if (cipherLength < 0) throw new ArchiveCorruptException($"{display}: the AES data is shorter than its header");
                var aes = new WinZipAesReadStream(raw, new WinZipAesTransform(aesKey, macKey), cipherLength);
                raw = aes;
                var previous = atEnd;
                atEnd = () => { Drain(aes); previous?.Invoke(); };
                if (e.AesVersion == 2) crc = null; // AE-2 stores no CRC: the authentication code stands for it
                encryptedLength = cipherLength;
            }
            else if ((e.Flags & 0x40) != 0)
                throw new ArchiveUnsupportedException($"{display} uses PKWARE strong encryption, which resh cannot decrypt", "Extract it with PKWARE's tools or 7-Zip.");
            else
            {
                var check = e.HasDataDescriptor ? (byte)(e.DosTime >> 8) : (byte)(e.Crc >> 24);
                raw = new ZipCryptoStream(raw, _password!, check);
                encryptedLength -= 12;
            }
        }
        var decoded = Decode(e.Method, raw, encryptedLength, e.Size, display);
        return new CheckedEntryStream(decoded, display, e.Size, crc, atEnd);
    }

    /// <summary>A data descriptor after the data (optional signature, CRC, 32- or 64-bit sizes) must agree with the directory.</summary>
    void CheckDescriptor(ZipEntryRecord e, long at, string display)
    {
        Span<byte> d = stackalloc byte[28];
        var n = RandomAccess.Read(_handle, d, at);
        if (n < 12) throw new ArchiveCorruptException($"{display}: its data descriptor is missing (truncated)");
        d = d[..n];
        if (BinaryPrimitives.ReadUInt32LittleEndian(d) == 0x08074b50) d = d[4..];
        if (d.Length < 12) throw new ArchiveCorruptException($"{display}: its data descriptor is cut short");
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(d);
        var crcOk = crc == e.Crc || (e.AesVersion == 2 && crc == 0);
        var sizes32 = BinaryPrimitives.ReadUInt32LittleEndian(d[4..]) == (uint)e.CompressedSize && BinaryPrimitives.ReadUInt32LittleEndian(d[8..]) == (uint)e.Size;
        var sizes64 = d.Length >= 20 && BinaryPrimitives.ReadInt64LittleEndian(d[4..]) == e.CompressedSize && BinaryPrimitives.ReadInt64LittleEndian(d[12..]) == e.Size;
        if (!crcOk || !(sizes32 || sizes64))
            throw new ArchiveCorruptException($"{display}: its data descriptor disagrees with the central directory (CRC or sizes differ): the archive is damaged");
    }

    static Stream Decode(int method, Stream raw, long compressedLength, long size, string display)
    {
        switch (method)
        {
            case 0: return raw;
            case 8: return new DeflateStream(raw, CompressionMode.Decompress, leaveOpen: false);
            case 9: return new GuardedStream(new SharpCompress.Compressors.Deflate64.Deflate64Stream(raw, SharpCompress.Compressors.CompressionMode.Decompress), display);
            case 12: return Codecs.OpenRead(raw, Codec.Bzip2);
            case 93: return Codecs.OpenRead(raw, Codec.Zstd);
            case 95: return Codecs.OpenRead(raw, Codec.Xz);
            case 14:
            {
                // LZMA in zip: version (2 bytes), properties size (2), properties, then the raw stream.
                var head = new byte[4];
                raw.ReadExactly(head);
                var propsSize = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(2));
                if (propsSize is < 5 or > 64) throw new ArchiveCorruptException($"{display}: its LZMA properties are invalid");
                var props = new byte[propsSize];
                raw.ReadExactly(props);
                return new GuardedStream(SharpCompress.Compressors.LZMA.LzmaStream.Create(props, raw, compressedLength - 4 - propsSize, size, leaveOpen: false), display);
            }
            case 98:
            {
                var props = new byte[2];
                raw.ReadExactly(props);
                return new GuardedStream(SharpCompress.Compressors.PPMd.PpmdStream.Create(new SharpCompress.Compressors.PPMd.PpmdProperties(props), raw, false), display);
            }
            default:
                throw new ArchiveUnsupportedException($"{display} is compressed with {MethodName(method)}, which resh cannot read",
                    "Extract it with 7-Zip (7z x), which reads more zip methods.");
        }
    }

    public static string MethodName(int method) => method switch
    {
        0 => "stored",
        1 => "shrink",
        2 or 3 or 4 or 5 => "reduce",
        6 => "implode",
        8 => "deflate",
        9 => "deflate64",
        10 => "PKWARE DCL implode",
        12 => "bzip2",
        14 => "LZMA",
        16 => "IBM z/OS CMPSC",
        18 => "IBM TERSE",
        19 => "IBM LZ77",
        93 => "zstd",
        94 => "MP3",
        95 => "xz",
        96 => "JPEG",
        97 => "WavPack",
        98 => "PPMd",
        99 => "AES",
        _ => $"method {method}",
    };

    public override void Dispose() => _file.Dispose();

    /// <summary>What a managed decoder throws on bad input (index errors and the like) becomes damage named by entry.</summary>
    sealed class GuardedStream(Stream inner, string entry) : Resh.Handles.Storage.ForwardReadStream
    {
        public override bool CanRead => true;

        public override int Read(Span<byte> buffer)
        {
            try { return inner.Read(buffer); }
            catch (Exception ex) when (ex is not Resh.Core.Errors.ReshException and not OperationCanceledException and not ArchiveCorruptException)
            {
                throw new ArchiveCorruptException($"{entry}: the compressed data is damaged ({ArchiveErrors.Describe(ex)})");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
