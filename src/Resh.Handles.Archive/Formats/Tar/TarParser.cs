using System.Globalization;
using System.Text;
using Resh.Core.Text;

namespace Resh.Handles.Archive.Formats.Tar;

/// <summary>
/// A lenient tar reader, as tolerant as GNU tar and bsdtar: v7, ustar, star, GNU (long names and
/// links, old sparse, dumpdirs) and pax (per-entry and global records, GNU sparse 0.0/0.1/1.0,
/// SCHILY xattrs and ACLs). Names stay bytes (<see cref="PathBytes"/>). Numeric fields may be octal
/// with any padding or base-256; malformed pax records are skipped with a warning; metadata records
/// (global headers, volume labels, Solaris ACL records) never become entries. Damage is reported as an
/// <see cref="ArchiveCorruptException"/> naming the problem.
/// </summary>
public sealed class TarParser
{
    const int Block = 512;
    const int MaxMetaSize = 16 << 20;

    static readonly Dictionary<string, byte[]> NoRecords = new(StringComparer.Ordinal);
    readonly Stream _s;
    readonly Func<ReadOnlySpan<byte>, string> _decodeName;
    readonly List<string> _warnings;
    readonly byte[] _header = new byte[Block];
    readonly Dictionary<string, byte[]> _global = new(StringComparer.Ordinal);
    long _remaining;
    long _padding;
    long _offset;
    int _headers;
    bool _ended;

    /// <param name="decodeName">How header names that carry no charset are decoded (default: UTF-8, other bytes kept raw).</param>
    public TarParser(Stream decoded, List<string> warnings, Func<ReadOnlySpan<byte>, string>? decodeName = null)
    {
        _s = decoded;
        _warnings = warnings;
        _decodeName = decodeName ?? (b => PathBytes.Decode(b));
    }

    /// <summary>The entry whose data is being read, for messages.</summary>
    public string? CurrentName { get; private set; }

    /// <summary>Moves to the next entry, skipping what is left of the current one's data; null at the end.</summary>
    public ArchiveItem? Next()
    {
        if (_ended) return null;
        Skip(_remaining + _padding);
        _remaining = _padding = 0;
        byte[]? longName = null, longLink = null;
        List<(string Key, byte[] Value)>? pax = null;
        while (true)
        {
            var headerAt = _offset;
            if (!ReadHeader())
            {
                _ended = true;
                if (longName is not null || pax is not null)
                    throw new ArchiveCorruptException("the archive ends after an extended header, before the entry it describes (truncated)");
                CurrentName = null;
                return null;
            }
            _headers++;
            var h = _header.AsSpan();
            var type = h[156];
            var size = Number(h.Slice(124, 12), "size", required: true);
            if (size < 0) throw new ArchiveCorruptException($"a header at byte {headerAt} has a negative size");
            switch (type)
            {
                case (byte)'L':
                    longName = TrimNul(ReadMeta(size, "GNU long name"));
                    continue;
                case (byte)'K':
                    longLink = TrimNul(ReadMeta(size, "GNU long link name"));
                    continue;
                case (byte)'x' or (byte)'X':
                    (pax ??= []).AddRange(ParsePax(ReadMeta(size, "pax header")));
                    continue;
                case (byte)'g':
                    foreach (var (k, v) in ParsePax(ReadMeta(size, "pax global header")))
                    {
                        if (v.Length == 0) _global.Remove(k);
                        else _global[k] = v;
                    }
                    continue;
                case (byte)'V':
                    Skip(Padded(size)); // a volume label: metadata, not an entry
                    continue;
                case (byte)'A' or (byte)'E' or (byte)'N':
                    // Solaris ACL and extended-attribute records, the old GNU "names" record: metadata.
                    _warnings.Add($"skipped a {(type == 'A' ? "Solaris ACL" : type == 'E' ? "Solaris extended attribute" : "GNU names")} record at byte {headerAt}");
                    Skip(Padded(size));
                    continue;
            }
            return Entry(h, type, size, headerAt, longName, longLink, pax);
        }
    }

    /// <summary>The current entry's stored data (for a sparse entry, its regions back to back).</summary>
    public Stream OpenData() => new EntryStream(this);

    ArchiveItem Entry(ReadOnlySpan<byte> h, byte type, long size, long headerAt, byte[]? longName, byte[]? longLink,
        List<(string Key, byte[] Value)>? pax)
    {
        var isUstar = h.Slice(257, 6).SequenceEqual("ustar\0"u8);
        var isGnu = h.Slice(257, 8).SequenceEqual("ustar  \0"u8);
        // Records: the global ones, then this entry's (an empty value removes a global one).
        var rec = pax is null && _global.Count == 0 ? NoRecords : new Dictionary<string, byte[]>(_global, StringComparer.Ordinal);
        List<long>? sparseOffsets = null, sparseSizes = null;
        if (pax is not null)
        {
            foreach (var (k, v) in pax)
            {
                if (k == "GNU.sparse.offset") (sparseOffsets ??= []).Add(PaxLong(k, v) ?? -1);
                else if (k == "GNU.sparse.numbytes") (sparseSizes ??= []).Add(PaxLong(k, v) ?? -1);
                else if (v.Length == 0) rec.Remove(k);
                else rec[k] = v;
            }
        }
        var binaryNames = rec.TryGetValue("hdrcharset", out var cs) && Encoding.ASCII.GetString(cs) == "BINARY";

        string name;
        if (rec.TryGetValue("GNU.sparse.name", out var sparseName)) name = PaxName(sparseName, binaryNames);
        else if (rec.TryGetValue("path", out var p)) name = PaxName(p, binaryNames);
        else if (longName is not null) name = _decodeName(longName);
        else
        {
            var n = Field(h[..100]);
            if (isUstar)
            {
                // star's xstar variant keeps times after a 131-byte prefix and marks itself with "tar\0" at 508.
                var prefixLength = h.Slice(508, 4).SequenceEqual("tar\0"u8) ? 131 : 155;
                var prefix = Field(h.Slice(345, prefixLength));
                if (prefix.Length > 0)
                {
                    var joined = new byte[prefix.Length + 1 + n.Length];
                    prefix.CopyTo(joined);
                    joined[prefix.Length] = (byte)'/';
                    n.CopyTo(joined.AsSpan(prefix.Length + 1));
                    name = _decodeName(joined);
                }
                else name = _decodeName(n);
            }
            else name = _decodeName(n);
        }
        CurrentName = name;

        var kind = type switch
        {
            (byte)'0' or 0 or (byte)'7' or (byte)'S' => ItemKind.File,
            (byte)'1' => ItemKind.Hardlink,
            (byte)'2' => ItemKind.Symlink,
            (byte)'3' => ItemKind.CharDevice,
            (byte)'4' => ItemKind.BlockDevice,
            (byte)'5' or (byte)'D' => ItemKind.Directory,
            (byte)'6' => ItemKind.Fifo,
            (byte)'M' => ItemKind.Other, // a multi-volume continuation: not a file on its own
            _ => ItemKind.File,          // POSIX: an unknown type is read as a regular file
        };
        if (type is not ((byte)'0' or 0 or (byte)'7' or (byte)'S' or (byte)'1' or (byte)'2' or (byte)'3' or (byte)'4' or (byte)'5' or (byte)'D' or (byte)'6' or (byte)'M'))
            _warnings.Add($"{PathBytes.Display(name)}: unknown tar entry type '{(char)type}', read as a regular file (as POSIX asks)");
        // Old tars mark directories only with a trailing slash.
        if (kind == ItemKind.File && type is (byte)'0' or 0 && name.EndsWith('/')) kind = ItemKind.Directory;
        name = name.Length > 1 ? name.TrimEnd('/') : name;

        if (rec.TryGetValue("size", out var ps) && PaxLong("size", ps) is { } paxSize && paxSize >= 0) size = paxSize;
        var mode = (uint)(Number(h.Slice(100, 8), "mode") & 0xFFF);
        long uid = rec.TryGetValue("uid", out var pu) && PaxLong("uid", pu) is { } u ? u : Number(h.Slice(108, 8), "uid");
        long gid = rec.TryGetValue("gid", out var pg) && PaxLong("gid", pg) is { } g ? g : Number(h.Slice(116, 8), "gid");
        var mtime = rec.TryGetValue("mtime", out var pm) && PaxTime(pm) is { } t ? t : FromSeconds(Number(h.Slice(136, 12), "mtime"), 0);
        string? uname = rec.TryGetValue("uname", out var pun) ? PathBytes.Decode(pun) : NullIfEmpty(Field(h.Slice(265, 32)));
        string? gname = rec.TryGetValue("gname", out var pgn) ? PathBytes.Decode(pgn) : NullIfEmpty(Field(h.Slice(297, 32)));
        string? link = null;
        if (kind is ItemKind.Symlink or ItemKind.Hardlink)
        {
            if (rec.TryGetValue("linkpath", out var lp)) link = PaxName(lp, binaryNames);
            else if (longLink is not null) link = _decodeName(longLink);
            else link = _decodeName(Field(h.Slice(157, 100)));
        }
        uint major = 0, minor = 0;
        if (kind is ItemKind.CharDevice or ItemKind.BlockDevice && (isUstar || isGnu))
        {
            major = (uint)Math.Max(0, Number(h.Slice(329, 8), "devmajor"));
            minor = (uint)Math.Max(0, Number(h.Slice(337, 8), "devminor"));
        }

        // What follows the header: directories, links and nodes carry no data whatever their size field
        // says (bsdtar and GNU tar ignore it); a GNU dumpdir's listing is skipped.
        long dataLength = size;
        SparseMap? sparse = null;
        if (type == 'S') sparse = OldGnuSparse(h, ref dataLength);
        else if (rec.ContainsKey("GNU.sparse.major") || rec.ContainsKey("GNU.sparse.map") || sparseOffsets is not null || rec.ContainsKey("GNU.sparse.size"))
            sparse = PaxSparse(rec, sparseOffsets, sparseSizes, ref dataLength);
        if (kind is ItemKind.Symlink or ItemKind.Hardlink or ItemKind.CharDevice or ItemKind.BlockDevice or ItemKind.Fifo || type == '5')
            dataLength = 0;
        _remaining = dataLength;
        _padding = Padded(dataLength) - dataLength;

        List<KeyValuePair<string, byte[]>>? xattrs = null;
        string? aclAccess = null, aclDefault = null;
        foreach (var (k, v) in rec)
        {
            if (k.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
            {
                var xn = k["SCHILY.xattr.".Length..];
                if (xn == "system.posix_acl_access" || xn == "system.posix_acl_default") continue;
                (xattrs ??= []).Add(new(xn, v));
            }
            else if (k.StartsWith("LIBARCHIVE.xattr.", StringComparison.Ordinal))
            {
                try { (xattrs ??= []).Add(new(Uri.UnescapeDataString(k["LIBARCHIVE.xattr.".Length..]), Convert.FromBase64String(Encoding.ASCII.GetString(v)))); }
                catch (FormatException) { _warnings.Add($"{PathBytes.Display(name)}: skipped a LIBARCHIVE.xattr record that is not base64"); }
            }
            else if (k == "SCHILY.acl.access") aclAccess = Encoding.UTF8.GetString(v);
            else if (k == "SCHILY.acl.default") aclDefault = Encoding.UTF8.GetString(v);
        }

        var logical = kind == ItemKind.File ? sparse?.RealSize ?? size : 0;
        return new ArchiveItem(name, kind, logical, mode, mtime, uid, gid, uname, gname, link, major, minor)
        {
            Xattrs = xattrs, AclAccess = aclAccess, AclDefault = aclDefault, Sparse = kind == ItemKind.File ? sparse : null,
        };
    }

    SparseMap OldGnuSparse(ReadOnlySpan<byte> h, ref long dataLength)
    {
        var regions = new List<(long, long)>();
        ReadSparsePairs(h.Slice(386, 4 * 24), 4, regions);
        var realSize = Number(h.Slice(483, 12), "realsize");
        var extended = h[482] != 0;
        var ext = new byte[Block];
        while (extended)
        {
            ReadExactly(ext, "the GNU sparse map");
            ReadSparsePairs(ext.AsSpan(0, 21 * 24), 21, regions);
            extended = ext[504] != 0;
            if (regions.Count > 1_000_000) throw new ArchiveCorruptException("a GNU sparse map has more than a million regions");
        }
        return Checked(realSize, regions, dataLength);
    }

    void ReadSparsePairs(ReadOnlySpan<byte> area, int count, List<(long, long)> regions)
    {
        for (int i = 0; i < count; i++)
        {
            var pair = area.Slice(i * 24, 24);
            if (pair[0] == 0) return;
            regions.Add((Number(pair[..12], "sparse offset", required: true), Number(pair.Slice(12, 12), "sparse size", required: true)));
        }
    }

    SparseMap PaxSparse(Dictionary<string, byte[]> rec, List<long>? offsets, List<long>? sizes, ref long dataLength)
    {
        var regions = new List<(long, long)>();
        long realSize;
        if (rec.TryGetValue("GNU.sparse.major", out var major) && Encoding.ASCII.GetString(major) == "1")
        {
            // 1.0: the map is at the start of the data, in decimal lines, padded to a block.
            realSize = rec.TryGetValue("GNU.sparse.realsize", out var rs) ? PaxLong("GNU.sparse.realsize", rs) ?? -1 : -1;
            var reader = new LineReader(this);
            var count = reader.Next();
            if (count < 0 || count > 1_000_000) throw new ArchiveCorruptException("a pax sparse map has an invalid region count");
            for (long i = 0; i < count; i++) regions.Add((reader.Next(), reader.Next()));
            var used = Padded(reader.Consumed);
            Skip(used - reader.Consumed);
            dataLength -= used;
            if (dataLength < 0) throw new ArchiveCorruptException("a pax sparse map is larger than its entry");
        }
        else
        {
            realSize = rec.TryGetValue("GNU.sparse.size", out var s) ? PaxLong("GNU.sparse.size", s) ?? -1
                : rec.TryGetValue("GNU.sparse.realsize", out var rs) ? PaxLong("GNU.sparse.realsize", rs) ?? -1 : -1;
            if (rec.TryGetValue("GNU.sparse.map", out var map))
            {
                // 0.1: "offset,size,offset,size..."
                var parts = Encoding.ASCII.GetString(map).Split(',', StringSplitOptions.TrimEntries);
                if (parts.Length % 2 != 0) throw new ArchiveCorruptException("a pax sparse map (GNU.sparse.map) has an odd number of values");
                for (int i = 0; i < parts.Length; i += 2)
                {
                    if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var o) ||
                        !long.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        throw new ArchiveCorruptException("a pax sparse map (GNU.sparse.map) holds a value that is not a number");
                    regions.Add((o, n));
                }
            }
            else
            {
                // 0.0: repeated GNU.sparse.offset / GNU.sparse.numbytes pairs.
                if (offsets is null || sizes is null || offsets.Count != sizes.Count)
                    throw new ArchiveCorruptException("a pax sparse map has unpaired GNU.sparse.offset and GNU.sparse.numbytes records");
                for (int i = 0; i < offsets.Count; i++) regions.Add((offsets[i], sizes[i]));
            }
        }
        return Checked(realSize, regions, dataLength);
    }

    static SparseMap Checked(long realSize, List<(long Offset, long Length)> regions, long dataLength)
    {
        if (realSize < 0) throw new ArchiveCorruptException("a sparse entry does not state its real size");
        long end = 0, stored = 0;
        foreach (var (o, n) in regions)
        {
            if (o < end || n < 0 || o > realSize || n > realSize - o)
                throw new ArchiveCorruptException("a sparse map has overlapping, unordered or out-of-range regions");
            end = o + n;
            stored += n;
        }
        if (stored != dataLength)
            throw new ArchiveCorruptException($"a sparse map describes {stored} bytes of data but the entry stores {dataLength}");
        // GNU tar ends a map with a zero-length region at the real size; drop empty regions.
        return new SparseMap(realSize, regions.Where(r => r.Length > 0).ToList());
    }

    /// <summary>Decimal lines of a 1.0 sparse map, read through the entry's data.</summary>
    sealed class LineReader(TarParser parser)
    {
        readonly byte[] _one = new byte[1];
        public long Consumed;

        public long Next()
        {
            long value = 0;
            int digits = 0;
            while (true)
            {
                parser.ReadExactly(_one, "a pax sparse map");
                Consumed++;
                var c = _one[0];
                if (c == '\n') break;
                if (c < '0' || c > '9' || ++digits > 18) throw new ArchiveCorruptException("a pax sparse map holds a value that is not a number");
                value = value * 10 + (c - '0');
            }
            if (digits == 0) throw new ArchiveCorruptException("a pax sparse map has an empty line");
            return value;
        }
    }

    // ---- pax records ------------------------------------------------------------------------

    List<(string Key, byte[] Value)> ParsePax(byte[] data)
    {
        var records = new List<(string, byte[])>();
        var pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0) break; // padding some writers leave
            var space = Array.IndexOf(data, (byte)' ', pos, Math.Min(20, data.Length - pos));
            if (space < 0 || !int.TryParse(data.AsSpan(pos, space - pos), NumberStyles.None, CultureInfo.InvariantCulture, out var len)
                || len <= space - pos + 1 || len > data.Length - pos)
            {
                _warnings.Add("skipped the rest of a pax header: a record has no valid length");
                break;
            }
            var record = data.AsSpan(pos, len);
            pos += len;
            var body = record[(space - (pos - len) + 1)..];
            var eq = body.IndexOf((byte)'=');
            if (eq <= 0 || body[^1] != '\n')
            {
                _warnings.Add($"skipped a malformed pax record ({Encoding.UTF8.GetString(body[..Math.Min(body.Length, 40)]).TrimEnd('\n')})");
                continue;
            }
            records.Add((Encoding.UTF8.GetString(body[..eq]), body[(eq + 1)..^1].ToArray()));
        }
        return records;
    }

    string PaxName(byte[] value, bool binary) => binary ? _decodeName(value) : PathBytes.Decode(value);

    long? PaxLong(string key, byte[] v)
    {
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
        _warnings.Add($"skipped the pax record {key}: `{Encoding.UTF8.GetString(v)}` is not a number");
        return null;
    }

    DateTimeOffset? PaxTime(byte[] v)
    {
        // [-]seconds[.fraction]; before 1970 the fraction still counts forward (-1.5 is 1969-12-31T23:59:58.5).
        var s = Encoding.ASCII.GetString(v);
        var dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sec))
        {
            _warnings.Add($"skipped the pax record mtime: `{s}` is not a time");
            return null;
        }
        long ticks = 0;
        if (dot >= 0)
        {
            var frac = s[(dot + 1)..];
            if (frac.Length > 0 && frac.All(char.IsAsciiDigit))
                ticks = long.Parse(frac.PadRight(7, '0')[..7], CultureInfo.InvariantCulture);
        }
        if (whole.StartsWith('-') && ticks > 0) { sec--; ticks = TimeSpan.TicksPerSecond - ticks; }
        return FromSeconds(sec, ticks);
    }

    static DateTimeOffset FromSeconds(long sec, long ticks)
    {
        sec = Math.Clamp(sec, -62135596800L, 253402300799L);
        return DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(ticks);
    }

    // ---- fields -----------------------------------------------------------------------------

    /// <summary>
    /// A numeric field: octal with any leading spaces or NULs and any terminator (as tars have written
    /// them over the years), or GNU base-256 (high bit set; 0xFF first means negative).
    /// </summary>
    long Number(ReadOnlySpan<byte> f, string what, bool required = false)
    {
        if ((f[0] & 0x80) != 0)
        {
            var negative = f[0] == 0xFF;
            long v = negative ? -1 : 0;
            for (int i = 0; i < f.Length; i++)
            {
                var b = i == 0 ? (negative ? f[0] : f[0] & 0x7F) : f[i];
                if (!negative && v > (long.MaxValue >> 8)) throw new ArchiveCorruptException($"the {what} field is too large");
                v = (v << 8) | (byte)b;
            }
            return v;
        }
        int p = 0;
        while (p < f.Length && (f[p] == ' ' || f[p] == 0)) p++;
        long n = 0;
        int digits = 0;
        while (p < f.Length && f[p] >= '0' && f[p] <= '7')
        {
            n = (n << 3) + (f[p] - '0');
            p++;
            if (++digits > 21) throw new ArchiveCorruptException($"the {what} field is too large");
        }
        if (p < f.Length && f[p] != ' ' && f[p] != 0)
        {
            if (required) throw new ArchiveCorruptException($"the {what} field of a header is not a number");
            _warnings.Add($"a header's {what} field is not an octal number; read as {n}");
        }
        return n;
    }

    static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> f)
    {
        var nul = f.IndexOf((byte)0);
        return nul < 0 ? f : f[..nul];
    }

    static string? NullIfEmpty(ReadOnlySpan<byte> f) => f.Length == 0 ? null : PathBytes.Decode(f);

    static byte[] TrimNul(byte[] b)
    {
        var nul = Array.IndexOf(b, (byte)0);
        return nul < 0 ? b : b[..nul];
    }

    static long Padded(long n) => (n + Block - 1) / Block * Block;

    // ---- blocks -----------------------------------------------------------------------------

    /// <summary>Reads the next header; false at the end (an all-zero block, or the end of the stream at a block boundary).</summary>
    bool ReadHeader()
    {
        var got = _s.ReadAtLeast(_header, Block, throwOnEndOfStream: false);
        _offset += got;
        if (got == 0) return false;
        if (_header.AsSpan(0, got).IndexOfAnyExcept((byte)0) < 0) return false;
        if (got < Block) throw new ArchiveCorruptException($"the archive ends inside a header at byte {_offset - got} (truncated)");
        if (!ChecksumOk(_header))
        {
            if (_headers == 0) throw new ArchiveCorruptException("the first header's checksum does not match: this is not a tar archive");
            throw new ArchiveCorruptException($"the header at byte {_offset - Block} is damaged (its checksum does not match)");
        }
        return true;
    }

    static bool ChecksumOk(ReadOnlySpan<byte> h)
    {
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Block; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : h[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        var f = h.Slice(148, 8);
        int p = 0;
        while (p < f.Length && (f[p] == ' ' || f[p] == 0)) p++;
        long stored = 0;
        int digits = 0;
        while (p < f.Length && f[p] >= '0' && f[p] <= '7') { stored = (stored << 3) + (f[p] - '0'); p++; digits++; }
        return digits > 0 && (stored == unsigned || stored == signed);
    }

    /// <summary>True when a 512-byte block is a tar header (a valid checksum), for format detection.</summary>
    public static bool LooksLikeHeader(ReadOnlySpan<byte> block) =>
        block.Length >= Block && block[..Block].IndexOfAnyExcept((byte)0) >= 0 && ChecksumOk(block[..Block]);

    byte[] ReadMeta(long size, string what)
    {
        if (size > MaxMetaSize) throw new ArchiveCorruptException($"a {what} of {size} bytes is larger than any real one");
        var data = new byte[size];
        ReadExactly(data, $"a {what}");
        Skip(Padded(size) - size);
        return data;
    }

    void ReadExactly(byte[] buffer, string what)
    {
        var got = _s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        _offset += got;
        if (got < buffer.Length) throw new ArchiveCorruptException($"the archive ends inside {what} (truncated)");
    }

    void Skip(long n)
    {
        if (n <= 0) return;
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(n, 1 << 16));
        try
        {
            while (n > 0)
            {
                var got = _s.Read(buf, 0, (int)Math.Min(n, buf.Length));
                if (got == 0) throw new ArchiveCorruptException($"the archive ends inside the data of {(CurrentName is null ? "an entry" : PathBytes.Display(CurrentName))} (truncated)");
                n -= got;
                _offset += got;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>The current entry's data: at most the bytes left, then end; ending early is truncation.</summary>
    sealed class EntryStream(TarParser p) : Resh.Handles.Storage.ForwardReadStream
    {
        public override bool CanRead => true;

        public override int Read(Span<byte> buffer)
        {
            if (p._remaining <= 0 || buffer.Length == 0) return 0;
            var want = (int)Math.Min(buffer.Length, p._remaining);
            var n = p._s.Read(buffer[..want]);
            if (n == 0) throw new ArchiveCorruptException($"the archive ends inside the data of {(p.CurrentName is null ? "an entry" : PathBytes.Display(p.CurrentName))} (truncated)");
            p._remaining -= n;
            p._offset += n;
            return n;
        }
    }
}
