using System.Buffers.Binary;

namespace Resh.Handles.Archive.Formats;

/// <summary>One central-directory record of a zip, with the extra fields resh uses already decoded.</summary>
public sealed class ZipEntryRecord
{
    public required byte[] RawName { get; init; }
    public int HostOs { get; init; }
    public int Flags { get; init; }
    public int Method { get; set; }
    public int DosTime { get; init; }
    public int DosDate { get; init; }
    public uint Crc { get; init; }
    public long CompressedSize { get; set; }
    public long Size { get; set; }
    public uint ExternalAttributes { get; init; }
    public long LocalOffset { get; set; }
    public long? UnixMtime { get; set; }
    public long? Uid { get; set; }
    public long? Gid { get; set; }
    /// <summary>The Info-ZIP Unicode Path (0x7075) name, when its CRC matches the header name.</summary>
    public byte[]? UnicodeName { get; set; }
    /// <summary>WinZip AES: key strength (1-3), vendor version (1 = AE-1 with CRC, 2 = AE-2 without) and the real method.</summary>
    public int AesStrength { get; set; }
    public int AesVersion { get; set; }
    public bool Zip64 { get; set; }
    public bool Encrypted => (Flags & 1) != 0;
    public bool HasDataDescriptor => (Flags & 8) != 0;
    public bool Utf8 => (Flags & 0x800) != 0;
}

/// <summary>
/// Finds and reads a zip's central directory the way Info-ZIP and libarchive do: the end record is
/// searched from the end (bytes after it are tolerated), zip64 records are followed, and data before
/// the first entry (a self-extractor stub, a prepended header) shifts every offset by the same amount.
/// </summary>
public static class ZipLocator
{
    const uint EndSig = 0x06054b50, End64Sig = 0x06064b50, Locator64Sig = 0x07064b50, CentralSig = 0x02014b50;
    /// <summary>How far from the end the end record is looked for: a maximal comment plus tolerated padding.</summary>
    const int SearchWindow = 65557 + (1 << 20);
    const long MaxCentralDirectory = 1L << 30;

    /// <summary>True when the file ends with (or near) a zip end-of-central-directory record that leads to a central directory.</summary>
    public static bool HasEndRecord(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            return Locate(fs, out _, out _, out _) is not null;
        }
        catch (ArchiveCorruptException) { return false; }
        catch (IOException) { return false; }
    }

    /// <summary>The central directory's records, and the shift of all offsets (bytes before the archive).</summary>
    public static List<ZipEntryRecord> Read(Stream file, out long shift, List<string> warnings)
    {
        var found = Locate(file, out var cdOffset, out var cdSize, out var entries)
            ?? throw new ArchiveCorruptException("no zip end-of-central-directory record was found (the file is not a zip, or it is truncated)");
        shift = found;
        if (shift > 0) warnings.Add($"the zip starts after {shift} bytes of other data (a self-extractor or prepended header); read as unzip does");
        if (cdSize > MaxCentralDirectory) throw new ArchiveCorruptException($"the zip's central directory claims {cdSize} bytes, more than any real one");
        var cd = new byte[cdSize];
        file.Position = cdOffset + shift;
        if (file.ReadAtLeast(cd, cd.Length, throwOnEndOfStream: false) != cd.Length)
            throw new ArchiveCorruptException("the zip's central directory is cut short (truncated)");
        var list = new List<ZipEntryRecord>((int)Math.Min(entries, 1 << 20));
        var p = 0;
        while (p + 46 <= cd.Length && BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) == CentralSig)
        {
            var h = cd.AsSpan(p);
            var nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            var extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            var commentLen = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            if (p + 46 + nameLen + extraLen + commentLen > cd.Length)
                throw new ArchiveCorruptException($"central directory record {list.Count + 1} runs past the end of the directory");
            var e = new ZipEntryRecord
            {
                HostOs = h[5],
                Flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]),
                Method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]),
                DosTime = BinaryPrimitives.ReadUInt16LittleEndian(h[12..]),
                DosDate = BinaryPrimitives.ReadUInt16LittleEndian(h[14..]),
                Crc = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]),
                CompressedSize = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]),
                Size = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]),
                ExternalAttributes = BinaryPrimitives.ReadUInt32LittleEndian(h[38..]),
                LocalOffset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]),
                RawName = h.Slice(46, nameLen).ToArray(),
            };
            ReadExtras(e, h.Slice(46 + nameLen, extraLen), central: true);
            list.Add(e);
            p += 46 + nameLen + extraLen + commentLen;
        }
        if (list.Count != entries && entries != 0xFFFF)
            warnings.Add($"the zip's end record counts {entries} entries but its central directory holds {list.Count}");
        return list;
    }

    /// <summary>Decodes the extra fields resh uses: zip64 sizes, Unix times and owners, the Unicode path, AES.</summary>
    public static void ReadExtras(ZipEntryRecord e, ReadOnlySpan<byte> extra, bool central)
    {
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var len = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + len > extra.Length) break;
            var d = extra.Slice(4, len);
            switch (id)
            {
                case 0x0001 when central:
                {
                    // Only the fields whose 32-bit value is saturated are present, in this order.
                    var q = 0;
                    if (e.Size == 0xFFFFFFFF && q + 8 <= d.Length) { e.Size = BinaryPrimitives.ReadInt64LittleEndian(d[q..]); q += 8; }
                    if (e.CompressedSize == 0xFFFFFFFF && q + 8 <= d.Length) { e.CompressedSize = BinaryPrimitives.ReadInt64LittleEndian(d[q..]); q += 8; }
                    if (e.LocalOffset == 0xFFFFFFFF && q + 8 <= d.Length) { e.LocalOffset = BinaryPrimitives.ReadInt64LittleEndian(d[q..]); }
                    e.Zip64 = true;
                    break;
                }
                case 0x5455 when d.Length >= 5 && (d[0] & 1) != 0:
                    e.UnixMtime = BinaryPrimitives.ReadInt32LittleEndian(d[1..]);
                    break;
                case 0x7875 when d.Length >= 3 && d[0] == 1:
                {
                    var us = d[1];
                    if (2 + us + 1 > d.Length || us > 8) break;
                    e.Uid = LittleEndian(d.Slice(2, us));
                    var gs = d[2 + us];
                    if (3 + us + gs > d.Length || gs > 8) break;
                    e.Gid = LittleEndian(d.Slice(3 + us, gs));
                    break;
                }
                case 0x5855 when d.Length >= 8:
                    e.UnixMtime ??= BinaryPrimitives.ReadInt32LittleEndian(d[4..]);
                    if (d.Length >= 12) { e.Uid ??= BinaryPrimitives.ReadUInt16LittleEndian(d[8..]); e.Gid ??= BinaryPrimitives.ReadUInt16LittleEndian(d[10..]); }
                    break;
                case 0x7075 when d.Length >= 5 && d[0] == 1:
                    if (BinaryPrimitives.ReadUInt32LittleEndian(d[1..]) == System.IO.Hashing.Crc32.HashToUInt32(e.RawName))
                        e.UnicodeName = d[5..].ToArray();
                    break;
                case 0x9901 when d.Length >= 7:
                    e.AesVersion = BinaryPrimitives.ReadUInt16LittleEndian(d);
                    e.AesStrength = d[4];
                    e.Method = BinaryPrimitives.ReadUInt16LittleEndian(d[5..]);
                    break;
            }
            extra = extra[(4 + len)..];
        }
    }

    static long LittleEndian(ReadOnlySpan<byte> b)
    {
        long v = 0;
        for (int i = b.Length - 1; i >= 0; i--) v = (v << 8) | b[i];
        return v;
    }

    /// <summary>Finds the end record; returns the offset shift, or null when there is none.</summary>
    static long? Locate(Stream file, out long cdOffset, out long cdSize, out long entries)
    {
        cdOffset = cdSize = entries = 0;
        var length = file.Length;
        if (length < 22) return null;
        var window = (int)Math.Min(length, SearchWindow);
        var tail = new byte[window];
        file.Position = length - window;
        file.ReadExactly(tail);
        for (var i = window - 22; i >= 0; i--)
        {
            if (tail[i] != 0x50 || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != EndSig) continue;
            var r = tail.AsSpan(i);
            var endAt = length - window + i;
            long n = BinaryPrimitives.ReadUInt16LittleEndian(r[10..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(r[12..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(r[16..]);
            var commentLen = BinaryPrimitives.ReadUInt16LittleEndian(r[20..]);
            if (endAt + 22 + commentLen > length) continue; // not a real end record: its comment would run past the file
            var cdEnd = endAt;
            // zip64: a locator right before the end record points at the zip64 end record.
            if (endAt >= 20 && (n == 0xFFFF || size == 0xFFFFFFFF || offset == 0xFFFFFFFF))
            {
                var loc = new byte[20];
                file.Position = endAt - 20;
                file.ReadExactly(loc);
                if (BinaryPrimitives.ReadUInt32LittleEndian(loc) == Locator64Sig)
                {
                    var at = BinaryPrimitives.ReadInt64LittleEndian(loc.AsSpan(8));
                    var rec = new byte[56];
                    // The zip64 end record sits right before the locator, whatever its stated offset (prefix data shifts it).
                    foreach (var candidate in new[] { endAt - 20 - 56, at })
                    {
                        if (candidate < 0 || candidate + 56 > length) continue;
                        file.Position = candidate;
                        file.ReadExactly(rec);
                        if (BinaryPrimitives.ReadUInt32LittleEndian(rec) != End64Sig) continue;
                        n = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(32));
                        size = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(40));
                        offset = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(48));
                        cdEnd = candidate;
                        break;
                    }
                }
            }
            if (size < 0 || offset < 0 || size > cdEnd) continue;
            var shift = cdEnd - size - offset;
            if (shift < 0) continue;
            if (n == 0 && size == 0) { cdOffset = offset; cdSize = 0; entries = 0; return shift; }
            var sig = new byte[4];
            foreach (var s in shift == 0 ? new long[] { 0 } : [shift, 0])
            {
                if (offset + s + 4 > length) continue;
                file.Position = offset + s;
                file.ReadExactly(sig);
                if (BinaryPrimitives.ReadUInt32LittleEndian(sig) != CentralSig) continue;
                cdOffset = offset;
                cdSize = size;
                entries = n;
                return s;
            }
        }
        return null;
    }
}
