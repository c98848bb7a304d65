using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Resh.Core.Text;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// Zip as Info-ZIP writes it on Unix: deflate (or stored), Unix modes and symlinks in the external
/// attributes, exact UTC times (extended timestamp) and owners (Info-ZIP Unix extra), names as their
/// bytes with the UTF-8 flag when they are UTF-8, zip64 when sizes or counts need it, and WinZip
/// AES-256 (AE-2) when a password is given. Hard links are stored as copies.
/// </summary>
public sealed class ZipFormatWriter : ArchiveWriter
{
    readonly Stream _out;
    readonly CompressionLevel _level;
    readonly bool _stored;
    readonly byte[]? _password;
    readonly List<byte[]> _central = [];
    long _pos;
    bool _finished;

    public ZipFormatWriter(Stream file, int? level, string? password = null)
    {
        if (!file.CanSeek) throw new ArgumentException("zip needs a seekable output", nameof(file));
        _out = file;
        _password = password is null ? null : System.Text.Encoding.UTF8.GetBytes(password);
        _stored = level == 0;
        _level = level switch
        {
            null => CompressionLevel.Optimal,
            <= 3 => CompressionLevel.Fastest,
            <= 8 => CompressionLevel.Optimal,
            _ => CompressionLevel.SmallestSize,
        };
    }

    public static DateTimeOffset ClampDosTime(DateTimeOffset t)
    {
        var min = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var max = new DateTimeOffset(2107, 12, 31, 0, 0, 0, TimeSpan.Zero);
        return t < min ? min : t > max ? max : t;
    }

    public override bool Supports(ItemKind kind) => kind is ItemKind.File or ItemKind.Directory or ItemKind.Symlink or ItemKind.Hardlink;

    public override void Add(ArchiveItem item, Stream? data)
    {
        var isDir = item.Kind == ItemKind.Directory;
        var name = PathBytes.Encode(isDir && !item.Name.EndsWith('/') ? item.Name + "/" : item.Name);
        if (name.Length > 0xFFFF) throw new ArchiveUnsupportedException($"{PathBytes.Display(item.Name)}: the name is too long for zip");
        uint type = item.Kind switch { ItemKind.Directory => 0x4000, ItemKind.Symlink => 0xA000, _ => 0x8000 };
        var hasData = item.Kind is ItemKind.File or ItemKind.Hardlink or ItemKind.Symlink;
        var encrypt = _password is not null && hasData;
        // Empty files are stored (method 0), as Info-ZIP does: a deflate entry needs at least one block,
        // and unzip -t / 7z t reject one with no compressed bytes.
        var method = isDir || item.Kind == ItemKind.Symlink || _stored || (item.Kind == ItemKind.File && item.Size == 0) ? 0 : 8;
        var flags = 0;
        if (name.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0 && System.Text.Unicode.Utf8.IsValid(name)) flags |= 0x800;
        if (encrypt) flags |= 1;
        var big = item.Kind != ItemKind.Symlink && item.Size >= 0xFFFF0000L;
        var (dosTime, dosDate) = Dos(item.Mtime);
        var mtime = (int)Math.Clamp(item.Mtime.ToUnixTimeSeconds(), int.MinValue, int.MaxValue);

        // Local header, with the sizes and CRC patched in once the data is written.
        var localAt = _pos;
        var extra = new MemoryStream();
        Extra(extra, 0x5455, w => { w.WriteByte(1); WriteI32(w, mtime); });
        Extra(extra, 0x7875, w => { w.WriteByte(1); w.WriteByte(4); WriteU32(w, (uint)Math.Clamp(item.Uid, 0, uint.MaxValue)); w.WriteByte(4); WriteU32(w, (uint)Math.Clamp(item.Gid, 0, uint.MaxValue)); });
        long zip64At = -1;
        if (big) { zip64At = 30 + name.Length + extra.Length + 4; Extra(extra, 0x0001, w => { WriteU64(w, 0); WriteU64(w, 0); }); }
        if (encrypt) Extra(extra, 0x9901, w => { WriteU16(w, 2); w.WriteByte((byte)'A'); w.WriteByte((byte)'E'); w.WriteByte(3); WriteU16(w, (ushort)method); });
        var versionNeeded = encrypt ? 51 : big ? 45 : isDir ? 10 : 20;
        var header = new byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), (ushort)versionNeeded);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), (ushort)flags);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)(encrypt ? 99 : method));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), dosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(12), dosDate);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(26), (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)extra.Length);
        Write(header);
        Write(name);
        Write(extra.ToArray());

        uint crc = 0;
        long size = 0, compressed = 0;
        if (hasData)
        {
            var dataStart = _pos;
            WinZipAesTransform? aes = null;
            if (encrypt)
            {
                var salt = RandomNumberGenerator.GetBytes(16);
                var (aesKey, macKey, check) = WinZipAes.Derive(_password!, salt, 3);
                Write(salt);
                Write(check);
                aes = new WinZipAesTransform(aesKey, macKey);
            }
            var payloadStart = _pos;
            var sink = new SinkStream(this, aes);
            var hasher = new System.IO.Hashing.Crc32();
            Stream encoder = method == 8 ? new DeflateStream(sink, _level, leaveOpen: true) : sink;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                if (item.Kind == ItemKind.Symlink)
                {
                    var target = PathBytes.Encode(item.LinkTarget ?? "");
                    hasher.Append(target);
                    encoder.Write(target);
                    size = target.Length;
                }
                else if (data is not null)
                {
                    int n;
                    while ((n = data.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        hasher.Append(buffer.AsSpan(0, n));
                        encoder.Write(buffer, 0, n);
                        size += n;
                    }
                }
                if (encoder != sink)
                {
                    encoder.Dispose();
                    // No input gives no deflate output at all; write the empty final stored block so the entry stays valid.
                    if (_pos == payloadStart) sink.Write([0x03, 0x00]);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
            if (aes is not null)
            {
                Write(aes.AuthCode());
                aes.Dispose();
            }
            crc = encrypt ? 0 : hasher.GetCurrentHashAsUInt32(); // AE-2: the authentication code stands for the CRC
            compressed = _pos - dataStart;
            if (!big && (size >= 0xFFFFFFFFL || compressed >= 0xFFFFFFFFL))
                throw new ArchiveUnsupportedException($"{PathBytes.Display(item.Name)} grew past 4 GiB while it was read; zip could not record it");
            // Patch the local header.
            var end = _pos;
            var fix = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(fix, crc);
            BinaryPrimitives.WriteUInt32LittleEndian(fix.AsSpan(4), big ? 0xFFFFFFFF : (uint)compressed);
            BinaryPrimitives.WriteUInt32LittleEndian(fix.AsSpan(8), big ? 0xFFFFFFFF : (uint)size);
            _out.Position = localAt + 14;
            _out.Write(fix);
            if (big)
            {
                var z = new byte[16];
                BinaryPrimitives.WriteInt64LittleEndian(z, size);
                BinaryPrimitives.WriteInt64LittleEndian(z.AsSpan(8), compressed);
                _out.Position = localAt + zip64At;
                _out.Write(z);
            }
            _out.Position = end;
        }

        // Central record.
        var needs64 = big || localAt >= 0xFFFFFFFFL;
        var cextra = new MemoryStream();
        Extra(cextra, 0x5455, w => { w.WriteByte(1); WriteI32(w, mtime); });
        Extra(cextra, 0x7875, w => { w.WriteByte(1); w.WriteByte(4); WriteU32(w, (uint)Math.Clamp(item.Uid, 0, uint.MaxValue)); w.WriteByte(4); WriteU32(w, (uint)Math.Clamp(item.Gid, 0, uint.MaxValue)); });
        if (needs64) Extra(cextra, 0x0001, w => { WriteU64(w, (ulong)size); WriteU64(w, (ulong)compressed); WriteU64(w, (ulong)localAt); });
        if (encrypt) Extra(cextra, 0x9901, w => { WriteU16(w, 2); w.WriteByte((byte)'A'); w.WriteByte((byte)'E'); w.WriteByte(3); WriteU16(w, (ushort)method); });
        var c = new byte[46 + name.Length + cextra.Length];
        var cs = c.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(cs, 0x02014b50);
        BinaryPrimitives.WriteUInt16LittleEndian(cs[4..], (3 << 8) | 30); // made on Unix, spec 3.0 (as Info-ZIP)
        BinaryPrimitives.WriteUInt16LittleEndian(cs[6..], (ushort)(needs64 && versionNeeded < 45 ? 45 : versionNeeded));
        BinaryPrimitives.WriteUInt16LittleEndian(cs[8..], (ushort)flags);
        BinaryPrimitives.WriteUInt16LittleEndian(cs[10..], (ushort)(encrypt ? 99 : method));
        BinaryPrimitives.WriteUInt16LittleEndian(cs[12..], dosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(cs[14..], dosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(cs[16..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(cs[20..], needs64 ? 0xFFFFFFFF : (uint)compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(cs[24..], needs64 ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(cs[28..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(cs[30..], (ushort)cextra.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(cs[38..], ((type | (item.Mode & 0xFFF)) << 16) | (isDir ? 0x10u : 0u));
        BinaryPrimitives.WriteUInt32LittleEndian(cs[42..], needs64 ? 0xFFFFFFFF : (uint)localAt);
        name.CopyTo(cs[46..]);
        cextra.ToArray().CopyTo(cs[(46 + name.Length)..]);
        _central.Add(c);
    }

    public override void Finish()
    {
        if (_finished) return;
        _finished = true;
        var cdAt = _pos;
        foreach (var c in _central) Write(c);
        var cdSize = _pos - cdAt;
        var count = _central.Count;
        if (count >= 0xFFFF || cdAt >= 0xFFFFFFFFL || cdSize >= 0xFFFFFFFFL)
        {
            var end64At = _pos;
            var r = new byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(r, 0x06064b50);
            BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(4), 44);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(12), (3 << 8) | 45);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(14), 45);
            BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(24), count);
            BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(32), count);
            BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(40), cdSize);
            BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(48), cdAt);
            Write(r);
            var loc = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(loc, 0x07064b50);
            BinaryPrimitives.WriteInt64LittleEndian(loc.AsSpan(8), end64At);
            BinaryPrimitives.WriteUInt32LittleEndian(loc.AsSpan(16), 1);
            Write(loc);
        }
        var e = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(8), (ushort)Math.Min(count, 0xFFFF));
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(10), (ushort)Math.Min(count, 0xFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(12), (uint)Math.Min(cdSize, 0xFFFFFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(16), (uint)Math.Min(cdAt, 0xFFFFFFFF));
        Write(e);
        _out.Flush();
    }

    public override void Dispose() { }

    void Write(ReadOnlySpan<byte> b)
    {
        _out.Write(b);
        _pos += b.Length;
    }

    static (ushort Time, ushort Date) Dos(DateTimeOffset t)
    {
        var local = ClampDosTime(t).ToLocalTime();
        if (local.Year < 1980) local = new DateTimeOffset(1980, 1, 1, 0, 0, 0, local.Offset);
        return ((ushort)((local.Hour << 11) | (local.Minute << 5) | (local.Second / 2)), (ushort)(((local.Year - 1980) << 9) | (local.Month << 5) | local.Day));
    }

    static void Extra(MemoryStream m, ushort id, Action<MemoryStream> body)
    {
        var inner = new MemoryStream();
        body(inner);
        WriteU16(m, id);
        WriteU16(m, (ushort)inner.Length);
        inner.WriteTo(m);
    }

    static void WriteU16(Stream s, ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); s.Write(b); }
    static void WriteU32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); }
    static void WriteI32(Stream s, int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); s.Write(b); }
    static void WriteU64(Stream s, ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); }

    /// <summary>Where the (compressed) data goes: encrypted on the way when AES is on, counted into the writer's position.</summary>
    sealed class SinkStream(ZipFormatWriter owner, WinZipAesTransform? aes) : ForwardWriteStream
    {
        byte[] _scratch = [];

        public override bool CanWrite => true;
        public override void Flush() { }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (aes is null)
            {
                owner.Write(buffer);
                return;
            }
            if (_scratch.Length < buffer.Length) _scratch = new byte[Math.Max(buffer.Length, 1 << 16)];
            var span = _scratch.AsSpan(0, buffer.Length);
            buffer.CopyTo(span);
            aes.Encrypt(span);
            owner.Write(span);
        }
    }
}
