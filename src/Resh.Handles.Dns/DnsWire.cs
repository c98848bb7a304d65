using System.Buffers.Binary;
using System.Text;

namespace Resh.Handles.Dns;

/// <summary>
/// A read-only walk over one DNS message in wire form (RFC 1035 §4): where each resource record and its data
/// start. Used where the parsed form loses something: the TSIG of every message of a zone transfer (ARSoft keeps
/// only the first) and TXT bytes above 0x7F (ARSoft decodes them as ASCII, turning them into `?`).
/// </summary>
internal sealed class DnsWire
{
    /// <summary>One resource record: its section (1 answer, 2 authority, 3 additional), where it starts, its type and its data.</summary>
    public readonly record struct Rr(int Section, int Start, ushort Type, int DataStart, int DataLength);

    public byte[] Message { get; }
    public IReadOnlyList<Rr> Records { get; }
    public ushort Id => BinaryPrimitives.ReadUInt16BigEndian(Message);

    DnsWire(byte[] message, List<Rr> records) { Message = message; Records = records; }

    /// <summary>The records of a message, or null when it is not a well-formed message (a count or length that runs past the end).</summary>
    public static DnsWire? Parse(byte[] m)
    {
        if (m.Length < 12) return null;
        int qd = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4)), an = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6)),
            ns = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(8)), ar = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(10));
        var pos = 12;
        for (var i = 0; i < qd; i++)
        {
            pos = SkipName(m, pos);
            if (pos < 0 || pos + 4 > m.Length) return null;
            pos += 4;
        }
        var records = new List<Rr>(an + ns + ar);
        for (var i = 0; i < an + ns + ar; i++)
        {
            var start = pos;
            pos = SkipName(m, pos);
            if (pos < 0 || pos + 10 > m.Length) return null;
            var type = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(pos));
            var length = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(pos + 8));
            pos += 10;
            if (pos + length > m.Length) return null;
            records.Add(new Rr(i < an ? 1 : i < an + ns ? 2 : 3, start, type, pos, length));
            pos += length;
        }
        return new DnsWire(m, records);
    }

    /// <summary>The offset after the name at <paramref name="pos"/> (labels, ending with a zero byte or a compression pointer), or -1.</summary>
    public static int SkipName(byte[] m, int pos)
    {
        for (var labels = 0; labels < 128; labels++)
        {
            if (pos >= m.Length) return -1;
            var b = m[pos];
            if (b == 0) return pos + 1;
            if ((b & 0xC0) == 0xC0) return pos + 2 <= m.Length ? pos + 2 : -1;
            if ((b & 0xC0) != 0) return -1;
            pos += 1 + b;
        }
        return -1;
    }

    /// <summary>The name at <paramref name="pos"/> as lower-case dotted text (compression pointers followed, bounded), or null when malformed.</summary>
    public static string? ReadName(byte[] m, int pos)
    {
        var sb = new StringBuilder();
        for (var hops = 0; hops < 128; hops++)
        {
            if (pos >= m.Length) return null;
            var b = m[pos];
            if (b == 0) return sb.Length == 0 ? "." : sb.ToString();
            if ((b & 0xC0) == 0xC0)
            {
                if (pos + 1 >= m.Length) return null;
                pos = ((b & 0x3F) << 8) | m[pos + 1];
                continue;
            }
            if ((b & 0xC0) != 0 || pos + 1 + b > m.Length) return null;
            sb.Append(Encoding.ASCII.GetString(m, pos + 1, b).ToLowerInvariant()).Append('.');
            pos += 1 + b;
        }
        return null;
    }

    /// <summary>A name in canonical (lower-case, uncompressed) wire form.</summary>
    public static byte[] NameWire(string name)
    {
        var ms = new MemoryStream();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = Encoding.ASCII.GetBytes(label.ToLowerInvariant());
            ms.WriteByte((byte)bytes.Length);
            ms.Write(bytes);
        }
        ms.WriteByte(0);
        return ms.ToArray();
    }

    /// <summary>
    /// TXT-style data (one or more character-strings) in presentation form as dig prints it: each string quoted,
    /// `"` and `\` escaped with a backslash, bytes outside printable ASCII as \DDD. Null when the data is malformed.
    /// </summary>
    public static string? CharacterStrings(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(data.Length + 8);
        var pos = 0;
        while (pos < data.Length)
        {
            var len = data[pos++];
            if (pos + len > data.Length) return null;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append('"');
            foreach (var b in data.Slice(pos, len))
            {
                if (b is (byte)'"' or (byte)'\\') sb.Append('\\').Append((char)b);
                else if (b is >= 0x20 and < 0x7f) sb.Append((char)b);
                else sb.Append('\\').Append(((int)b).ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }
            sb.Append('"');
            pos += len;
        }
        return sb.ToString();
    }
}
