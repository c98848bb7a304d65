using System.Globalization;
using System.Text;
using Resh.Core.Text;

namespace Resh.Handles.Archive.Formats.Tar;

/// <summary>Which tar dialect to write.</summary>
public enum TarDialect
{
    /// <summary>GNU tar's default: long names in 'L'/'K' records, base-256 numbers, old GNU sparse ('S').</summary>
    Gnu,
    /// <summary>POSIX.1-2001 pax: long names, big numbers, sub-second times, xattrs, ACLs and sparse maps (1.0) in pax records.</summary>
    Pax,
}

/// <summary>
/// Writes tar headers and data as GNU tar does (byte-exact names, checksums, padding, the two-block end
/// and a 10240-byte record). An entry that carries xattrs or ACLs gets a pax record even in GNU mode,
/// which GNU tar and bsdtar read (GNU tar itself writes those only in pax format).
/// </summary>
public sealed class TarWriter
{
    const int Block = 512;
    const int Record = 10240;
    readonly Stream _out;
    readonly TarDialect _dialect;
    readonly byte[] _header = new byte[Block];
    long _written;

    public TarWriter(Stream output, TarDialect dialect)
    {
        _out = output;
        _dialect = dialect;
    }

    /// <summary>Writes one entry; for a file, <paramref name="data"/> supplies exactly the stored bytes (the regions of a sparse file, back to back).</summary>
    public void Write(ArchiveItem item, Stream? data)
    {
        var name = PathBytes.Encode(item.Kind == ItemKind.Directory && !item.Name.EndsWith('/') ? item.Name + "/" : item.Name);
        var link = item.LinkTarget is null ? [] : PathBytes.Encode(item.LinkTarget);
        var sparse = item.Kind == ItemKind.File ? item.Sparse : null;
        long storedSize = item.Kind == ItemKind.File ? sparse?.StoredSize ?? item.Size : 0;
        var pax = new List<(string Key, byte[] Value)>();
        var needsPax = _dialect == TarDialect.Pax;
        byte type = item.Kind switch
        {
            ItemKind.Directory => (byte)'5',
            ItemKind.Symlink => (byte)'2',
            ItemKind.Hardlink => (byte)'1',
            ItemKind.CharDevice => (byte)'3',
            ItemKind.BlockDevice => (byte)'4',
            ItemKind.Fifo => (byte)'6',
            _ => (byte)'0',
        };
        byte[] headerName = name;
        byte[]? sparseMapBlock = null;

        if (sparse is not null && _dialect == TarDialect.Pax)
        {
            // GNU sparse 1.0: the real name in a record, the map at the start of the data.
            pax.Add(("GNU.sparse.major", "1"u8.ToArray()));
            pax.Add(("GNU.sparse.minor", "0"u8.ToArray()));
            pax.Add(("GNU.sparse.name", name));
            pax.Add(("GNU.sparse.realsize", Ascii(sparse.RealSize)));
            // As GNU tar writes it: the regions, then an empty one at the real size (readers extend the file to it).
            var regions = sparse.Regions.ToList();
            if (regions.Count == 0 || regions[^1].Offset + regions[^1].Length < sparse.RealSize) regions.Add((sparse.RealSize, 0));
            var map = new StringBuilder();
            map.Append(regions.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            foreach (var (o, n) in regions) map.Append(o.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(n.ToString(CultureInfo.InvariantCulture)).Append('\n');
            var bytes = Encoding.ASCII.GetBytes(map.ToString());
            sparseMapBlock = new byte[(bytes.Length + Block - 1) / Block * Block];
            bytes.CopyTo(sparseMapBlock, 0);
            headerName = PathBytes.Encode(SparseStandIn(item.Name));
            storedSize += sparseMapBlock.Length;
        }

        if (needsPax)
        {
            if (!SplitUstar(headerName, out _, out _) || !IsPortable(headerName)) pax.Add(("path", headerName));
            if (link.Length > 100 || !IsPortable(link)) pax.Add(("linkpath", link));
            if (!IsPortable(name) || !IsPortable(link)) pax.Insert(0, ("hdrcharset", "BINARY"u8.ToArray()));
            if (storedSize >= 1L << 33) pax.Add(("size", Ascii(storedSize)));
            if (item.Uid is < 0 or >= 1L << 21) pax.Add(("uid", Ascii(item.Uid)));
            if (item.Gid is < 0 or >= 1L << 21) pax.Add(("gid", Ascii(item.Gid)));
            if (item.UserName is { Length: > 32 } un) pax.Add(("uname", PathBytes.Encode(un)));
            if (item.GroupName is { Length: > 32 } gn) pax.Add(("gname", PathBytes.Encode(gn)));
            var unix = item.Mtime.ToUnixTimeSeconds();
            var frac = (item.Mtime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % TimeSpan.TicksPerSecond;
            if (frac != 0 || unix < 0 || unix >= 1L << 33) pax.Add(("mtime", Encoding.ASCII.GetBytes(PaxTime(item.Mtime))));
        }
        if (item.Xattrs is { Count: > 0 } xattrs)
            foreach (var (k, v) in xattrs) pax.Add(("SCHILY.xattr." + k, v));
        if (item.AclAccess is { Length: > 0 } acl) pax.Add(("SCHILY.acl.access", Encoding.UTF8.GetBytes(acl)));
        if (item.AclDefault is { Length: > 0 } dacl) pax.Add(("SCHILY.acl.default", Encoding.UTF8.GetBytes(dacl)));

        if (!needsPax)
        {
            if (link.Length > 100) WriteLong((byte)'K', link);
            if (name.Length > 100) WriteLong((byte)'L', name);
        }
        if (pax.Count > 0) WritePax(headerName, pax);

        var h = _header.AsSpan();
        h.Clear();
        if (needsPax && SplitUstar(headerName, out var prefix, out var rest))
        {
            rest.CopyTo(h);
            prefix.CopyTo(h.Slice(345, 155));
        }
        else headerName.AsSpan(0, Math.Min(100, headerName.Length)).CopyTo(h);
        Octal(h.Slice(100, 8), item.Mode & 0xFFF);
        Number(h.Slice(108, 8), Math.Max(0, item.Uid));
        Number(h.Slice(116, 8), Math.Max(0, item.Gid));
        Number(h.Slice(124, 12), sparse is not null && _dialect == TarDialect.Gnu ? sparse.StoredSize : storedSize);
        Number(h.Slice(136, 12), item.Mtime.ToUnixTimeSeconds());
        h[156] = sparse is not null && _dialect == TarDialect.Gnu ? (byte)'S' : type;
        link.AsSpan(0, Math.Min(100, link.Length)).CopyTo(h.Slice(157, 100));
        if (_dialect == TarDialect.Pax) { "ustar\0"u8.CopyTo(h[257..]); "00"u8.CopyTo(h[263..]); }
        else "ustar  \0"u8.CopyTo(h[257..]);
        if (item.UserName is { } u) Truncated(PathBytes.Encode(u), 32).CopyTo(h.Slice(265, 32));
        if (item.GroupName is { } g) Truncated(PathBytes.Encode(g), 32).CopyTo(h.Slice(297, 32));
        if (item.Kind is ItemKind.CharDevice or ItemKind.BlockDevice)
        {
            Octal(h.Slice(329, 8), item.DevMajor);
            Octal(h.Slice(337, 8), item.DevMinor);
        }
        List<(long, long)>? extension = null;
        if (sparse is not null && _dialect == TarDialect.Gnu)
        {
            // Old GNU sparse: four regions in the header, the rest in extension blocks of 21.
            var regions = sparse.Regions.Count == 0 ? [(sparse.RealSize, 0L)] : sparse.Regions.ToList();
            if (regions[^1].Offset + regions[^1].Length < sparse.RealSize) regions.Add((sparse.RealSize, 0));
            for (int i = 0; i < Math.Min(4, regions.Count); i++)
            {
                Number(h.Slice(386 + i * 24, 12), regions[i].Offset);
                Number(h.Slice(386 + i * 24 + 12, 12), regions[i].Length);
            }
            h[482] = (byte)(regions.Count > 4 ? 1 : 0);
            Number(h.Slice(483, 12), sparse.RealSize);
            if (regions.Count > 4) extension = regions.Skip(4).ToList();
        }
        Checksum(h);
        Emit(h);
        if (extension is not null)
        {
            for (int i = 0; i < extension.Count; i += 21)
            {
                h.Clear();
                for (int j = 0; j < 21 && i + j < extension.Count; j++)
                {
                    Number(h.Slice(j * 24, 12), extension[i + j].Item1);
                    Number(h.Slice(j * 24 + 12, 12), extension[i + j].Item2);
                }
                h[504] = (byte)(i + 21 < extension.Count ? 1 : 0);
                Emit(h);
            }
        }
        if (sparseMapBlock is not null) Emit(sparseMapBlock);
        var dataSize = storedSize - (sparseMapBlock?.Length ?? 0);
        if (dataSize > 0)
        {
            if (data is null) throw new InvalidOperationException("a file entry needs its data");
            CopyExactly(data, dataSize);
            Pad(dataSize);
        }
    }

    /// <summary>Ends the archive: two zero blocks, then zeros to a whole 10240-byte record, as GNU tar does.</summary>
    public void Finish()
    {
        var zeros = new byte[Block];
        Emit(zeros);
        Emit(zeros);
        while (_written % Record != 0) Emit(zeros);
        _out.Flush();
    }

    void CopyExactly(Stream data, long size)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(size, 1 << 20));
        try
        {
            var left = size;
            while (left > 0)
            {
                var n = data.Read(buffer, 0, (int)Math.Min(left, buffer.Length));
                if (n == 0)
                {
                    // A file that shrank while it was read: keep the promised size with zeros (as GNU tar does).
                    Array.Clear(buffer);
                    n = (int)Math.Min(left, buffer.Length);
                }
                _out.Write(buffer, 0, n);
                left -= n;
                _written += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    void Pad(long size)
    {
        var rem = (int)(size % Block);
        if (rem == 0) return;
        Span<byte> zeros = stackalloc byte[Block - rem];
        zeros.Clear();
        _out.Write(zeros);
        _written += zeros.Length;
    }

    void Emit(ReadOnlySpan<byte> block)
    {
        _out.Write(block);
        _written += block.Length;
    }

    void WriteLong(byte type, byte[] value)
    {
        var h = _header.AsSpan();
        h.Clear();
        "././@LongLink"u8.CopyTo(h);
        Octal(h.Slice(100, 8), 0);
        Octal(h.Slice(108, 8), 0);
        Octal(h.Slice(116, 8), 0);
        Number(h.Slice(124, 12), value.Length + 1);
        Octal(h.Slice(136, 12), 0);
        h[156] = type;
        "ustar  \0"u8.CopyTo(h[257..]);
        "root"u8.CopyTo(h.Slice(265, 32));
        "root"u8.CopyTo(h.Slice(297, 32));
        Checksum(h);
        Emit(h);
        var data = new byte[value.Length + 1];
        value.CopyTo(data, 0);
        Emit(data);
        Pad(data.Length);
    }

    void WritePax(byte[] entryName, List<(string Key, byte[] Value)> records)
    {
        var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var k = Encoding.UTF8.GetBytes(key);
            // "LEN KEY=VALUE\n", where LEN counts its own digits.
            var rest = 1 + k.Length + 1 + value.Length + 1;
            var len = rest + 1;
            while (len.ToString(CultureInfo.InvariantCulture).Length + rest != len) len++;
            body.Write(Encoding.ASCII.GetBytes(len.ToString(CultureInfo.InvariantCulture)));
            body.WriteByte((byte)' ');
            body.Write(k);
            body.WriteByte((byte)'=');
            body.Write(value);
            body.WriteByte((byte)'\n');
        }
        var h = _header.AsSpan();
        h.Clear();
        // GNU tar names these "DIR/PaxHeaders/NAME"; any name works, readers only look at the type.
        var baseName = entryName.AsSpan().TrimEnd((byte)'/');
        var slash = baseName.LastIndexOf((byte)'/');
        var paxName = new List<byte>();
        if (slash >= 0) paxName.AddRange(baseName[..(slash + 1)].ToArray());
        paxName.AddRange("PaxHeaders/"u8.ToArray());
        paxName.AddRange(baseName[(slash + 1)..].ToArray());
        var pn = paxName.ToArray();
        pn.AsSpan(0, Math.Min(100, pn.Length)).CopyTo(h);
        Octal(h.Slice(100, 8), 0x1A4);
        Octal(h.Slice(108, 8), 0);
        Octal(h.Slice(116, 8), 0);
        Number(h.Slice(124, 12), body.Length);
        Number(h.Slice(136, 12), 0);
        h[156] = (byte)'x';
        "ustar\0"u8.CopyTo(h[257..]);
        "00"u8.CopyTo(h[263..]);
        Checksum(h);
        Emit(h);
        Emit(body.GetBuffer().AsSpan(0, (int)body.Length));
        Pad(body.Length);
    }

    /// <summary>The name GNU tar gives a sparse file's header in pax format (readers without sparse support extract this).</summary>
    static string SparseStandIn(string name)
    {
        var slash = name.LastIndexOf('/');
        return (slash >= 0 ? name[..(slash + 1)] : "") + "GNUSparseFile.0/" + name[(slash + 1)..];
    }

    /// <summary>Splits a name into ustar's prefix (155) and name (100) at a slash, when it fits.</summary>
    static bool SplitUstar(byte[] name, out byte[] prefix, out byte[] rest)
    {
        prefix = [];
        rest = name;
        if (name.Length <= 100) return true;
        if (name.Length > 256) return false;
        for (int i = Math.Min(155, name.Length - 2); i > 0; i--)
        {
            if (name[i] != '/' || name.Length - i - 1 > 100 || name.Length - i - 1 == 0) continue;
            prefix = name[..i];
            rest = name[(i + 1)..];
            return true;
        }
        return false;
    }

    static bool IsPortable(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    static byte[] Ascii(long v) => Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));

    static string PaxTime(DateTimeOffset t)
    {
        var ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        return rem == 0 ? sec.ToString(CultureInfo.InvariantCulture) : $"{sec.ToString(CultureInfo.InvariantCulture)}.{(rem * 100).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0')}";
    }

    static byte[] Truncated(byte[] b, int max) => b.Length <= max ? b : b[..max];

    /// <summary>Octal with a NUL, zero-padded to the field (as GNU tar writes mode, uid, gid and device numbers).</summary>
    static void Octal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        for (int i = digits - 1; i >= 0; i--) { field[i] = (byte)('0' + (value & 7)); value >>= 3; }
        field[digits] = 0;
    }

    /// <summary>Octal when it fits (values below 8^(len-1)), else GNU base-256 (negative numbers too).</summary>
    static void Number(Span<byte> field, long value)
    {
        if (value >= 0 && value < 1L << (3 * (field.Length - 1)))
        {
            Octal(field, value);
            return;
        }
        for (int i = field.Length - 1; i >= 1; i--) { field[i] = (byte)value; value >>= 8; }
        field[0] = value < 0 ? (byte)0xFF : (byte)0x80;
    }

    static void Checksum(Span<byte> h)
    {
        h.Slice(148, 8).Fill((byte)' ');
        long sum = 0;
        foreach (var b in h) sum += b;
        var f = h.Slice(148, 8);
        for (int i = 5; i >= 0; i--) { f[i] = (byte)('0' + (sum & 7)); sum >>= 3; }
        f[6] = 0;
        f[7] = (byte)' ';
    }
}
