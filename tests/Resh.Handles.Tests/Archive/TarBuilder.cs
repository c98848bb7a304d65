using System.Globalization;
using System.Text;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Hand-made tar headers, byte by byte, for the cases tars disagree on or attackers craft: any type
/// flag, any size field, raw name bytes, GNU long names, pax records (repeated, malformed), global
/// headers, sparse maps. Each field can be overridden before the checksum is computed.
/// </summary>
public sealed class TarBuilder
{
    readonly MemoryStream _s = new();

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>One header (and its data, padded). <paramref name="sizeField"/> overrides the size written in the header.</summary>
    public TarBuilder Entry(byte[] name, char type = '0', int mode = 0x1A4, byte[]? data = null, string? link = null, long? sizeField = null,
        string magic = "gnu", long mtime = 1_700_000_000, int uid = 0, int gid = 0, Action<byte[]>? tweak = null, byte[]? linkBytes = null,
        bool writeData = true, string? uname = "root", string? gname = "root", int devMajor = 0, int devMinor = 0)
    {
        var h = new byte[512];
        Array.Copy(name, h, Math.Min(100, name.Length));
        Octal(h, 100, 8, mode);
        Octal(h, 108, 8, uid);
        Octal(h, 116, 8, gid);
        Octal(h, 124, 12, sizeField ?? data?.Length ?? 0);
        Octal(h, 136, 12, mtime);
        h[156] = (byte)type;
        var lb = linkBytes ?? (link is null ? [] : B(link));
        Array.Copy(lb, 0, h, 157, Math.Min(100, lb.Length));
        if (magic == "gnu") B("ustar  \0").CopyTo(h, 257);
        else if (magic == "ustar") { B("ustar\0").CopyTo(h, 257); B("00").CopyTo(h, 263); }
        if (magic != "v7")
        {
            if (uname is not null) B(uname).CopyTo(h, 265);
            if (gname is not null) B(gname).CopyTo(h, 297);
            if (type is '3' or '4') { Octal(h, 329, 8, devMajor); Octal(h, 337, 8, devMinor); }
        }
        tweak?.Invoke(h);
        Checksum(h);
        _s.Write(h);
        if (data is not null && writeData)
        {
            _s.Write(data);
            Pad(data.Length);
        }
        return this;
    }

    public TarBuilder File(string name, string content, int mode = 0x1A4, string magic = "gnu") => Entry(B(name), '0', mode, B(content), magic: magic);
    public TarBuilder Dir(string name, int mode = 0x1ED, string magic = "gnu") => Entry(B(name.TrimEnd('/') + "/"), '5', mode, magic: magic);
    public TarBuilder Symlink(string name, string target, string magic = "gnu") => Entry(B(name), '2', 0x1FF, link: target, magic: magic);
    public TarBuilder Hardlink(string name, string target, string magic = "gnu") => Entry(B(name), '1', 0x1A4, link: target, magic: magic);

    /// <summary>A GNU long name ('L') or long link ('K') record for the next entry.</summary>
    public TarBuilder Long(char type, byte[] value) => Entry(B("././@LongLink"), type, 0, [.. value, 0]);

    /// <summary>A pax extended header ('x', or 'g' for global) with the given records, each written "LEN key=value\n".</summary>
    public TarBuilder Pax(IEnumerable<(string Key, byte[] Value)> records, char type = 'x') => PaxRaw(PaxBody(records), type);

    public TarBuilder Pax(params (string Key, string Value)[] records) => Pax(records.Select(r => (r.Key, B(r.Value))));

    public TarBuilder PaxRaw(byte[] body, char type = 'x') => Entry(B("PaxHeaders/x"), type, 0x1A4, body, magic: "ustar");

    public static byte[] PaxBody(IEnumerable<(string Key, byte[] Value)> records)
    {
        var m = new MemoryStream();
        foreach (var (k, v) in records)
        {
            var rest = 1 + Encoding.UTF8.GetByteCount(k) + 1 + v.Length + 1;
            var len = rest + 1;
            while (len.ToString(CultureInfo.InvariantCulture).Length + rest != len) len++;
            m.Write(B($"{len} {k}="));
            m.Write(v);
            m.WriteByte((byte)'\n');
        }
        return m.ToArray();
    }

    /// <summary>Raw bytes appended as they are (data the header's size field lies about, garbage).</summary>
    public TarBuilder Raw(byte[] bytes)
    {
        _s.Write(bytes);
        return this;
    }

    public TarBuilder Pad(long length)
    {
        var rem = (int)(length % 512);
        if (rem != 0) _s.Write(new byte[512 - rem]);
        return this;
    }

    public byte[] Build(bool end = true)
    {
        var bytes = _s.ToArray();
        return end ? [.. bytes, .. new byte[1024]] : bytes;
    }

    public string Save(string path, bool end = true)
    {
        System.IO.File.WriteAllBytes(path, Build(end));
        return path;
    }

    public static void Octal(byte[] h, int at, int len, long value)
    {
        var s = Convert.ToString(value, 8).PadLeft(len - 1, '0');
        B(s).CopyTo(h, at);
        h[at + len - 1] = 0;
    }

    public static void Checksum(byte[] h)
    {
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        long sum = h.Sum(b => (long)b);
        B(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
    }
}
