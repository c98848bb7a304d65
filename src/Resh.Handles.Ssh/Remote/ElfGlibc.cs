using System.Buffers.Binary;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// The newest glibc symbol version an ELF executable needs (the largest GLIBC_x.y in its version-needs
/// section, what <c>objdump -T</c> lists): the oldest glibc it loads on. Read from the section headers,
/// so it costs a few small reads, and only on a first contact with a host.
/// </summary>
public static class ElfGlibc
{
    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>The version, or null when the file is not a 64-bit little-endian ELF or needs no GLIBC_ version.</summary>
    public static Version? Required(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
            return Required(f);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static Version? Required(Stream f)
    {
        var header = Read(f, 0, 64);
        if (header is null || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[4] != 2 || header[5] != 1)
            return null;
        var shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3a)), shnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3c));
        if (shentsize < 64 || shnum is 0 or > 4096) return null;
        var sections = Read(f, shoff, shentsize * shnum);
        if (sections is null) return null;
        for (int i = 0; i < shnum; i++)
        {
            var sh = sections.AsSpan(i * shentsize, shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
            var size = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[32..]);
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[44..]);
            if (link >= shnum || size is <= 0 or > 1 << 20) return null;
            var strSh = sections.AsSpan(link * shentsize, shentsize);
            var strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strSh[24..]);
            var strSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(strSh[32..]);
            if (strSize is <= 0 or > 16 << 20) return null;
            var needs = Read(f, offset, (int)size);
            var strings = Read(f, strOffset, (int)strSize);
            return needs is null || strings is null ? null : Newest(needs, strings, count);
        }
        return null;
    }

    /// <summary>Walks the Verneed entries and their Vernaux names, bounded by the section's size and entry count.</summary>
    static Version? Newest(byte[] needs, byte[] strings, int count)
    {
        Version? newest = null;
        long need = 0;
        for (int n = 0; n < count && n < 256 && need >= 0 && need + 16 <= needs.Length; n++)
        {
            var entry = needs.AsSpan((int)need);
            int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
            long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            for (int a = 0; a < auxCount && a < 1024 && aux >= 0 && aux + 16 <= needs.Length; a++)
            {
                var vernaux = needs.AsSpan((int)aux);
                var name = CString(strings, BinaryPrimitives.ReadUInt32LittleEndian(vernaux[8..]));
                if (name.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(name["GLIBC_".Length..], out var v) && (newest is null || v > newest))
                    newest = v;
                var next = BinaryPrimitives.ReadUInt32LittleEndian(vernaux[12..]);
                if (next == 0) break;
                aux += next;
            }
            var nextNeed = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
            if (nextNeed == 0) break;
            need += nextNeed;
        }
        return newest;
    }

    static string CString(byte[] table, uint start)
    {
        if (start >= table.Length) return "";
        var end = Array.IndexOf(table, (byte)0, (int)start);
        return System.Text.Encoding.ASCII.GetString(table, (int)start, (end < 0 ? table.Length : end) - (int)start);
    }

    static byte[]? Read(Stream f, long offset, int length)
    {
        if (offset < 0 || length <= 0 || offset + length > f.Length) return null;
        var buffer = new byte[length];
        f.Position = offset;
        f.ReadExactly(buffer);
        return buffer;
    }
}
