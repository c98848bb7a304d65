using System.Text;

namespace Resh.Surfaces.Serve.Identity.Ldap;

/// <summary>A BER element as LDAP uses it (RFC 4511 §5.1: definite lengths only, no constructed strings).</summary>
public readonly record struct BerElement(byte Tag, ReadOnlyMemory<byte> Content)
{
    public bool Constructed => (Tag & 0x20) != 0;

    /// <summary>The elements inside a constructed element (SEQUENCE, SET, [APPLICATION n]).</summary>
    public List<BerElement> Children()
    {
        var list = new List<BerElement>();
        var rest = Content;
        while (rest.Length > 0)
        {
            if (list.Count >= Ber.MaxChildren) throw new LdapProtocolException("an element has too many members");
            var (e, used) = Ber.Read(rest.Span, rest);
            list.Add(e);
            rest = rest[used..];
        }
        return list;
    }

    public long Integer()
    {
        var s = Content.Span;
        if (s.Length is 0 or > 8) throw new LdapProtocolException("an integer has a bad length");
        long v = (sbyte)s[0];
        for (int i = 1; i < s.Length; i++) v = (v << 8) | s[i];
        return v;
    }

    public string Text() => Encoding.UTF8.GetString(Content.Span);
}

/// <summary>A reply that is not well-formed LDAP: the connection is dropped and the login answered `unavailable`.</summary>
public sealed class LdapProtocolException(string message) : Exception(message);

/// <summary>
/// BER encoding and decoding for the few LDAPv3 messages resh needs. Every length read is bounded by the bytes at hand
/// (and a whole message by <see cref="MaxMessage"/>), so a hostile or broken server cannot make resh allocate or loop.
/// </summary>
public static class Ber
{
    public const int MaxMessage = 1024 * 1024, MaxChildren = 10_000;

    public const byte Boolean = 0x01, Integer = 0x02, OctetString = 0x04, Enumerated = 0x0A, Sequence = 0x30, Set = 0x31;

    public static byte Application(int n, bool constructed = true) => (byte)(0x40 | (constructed ? 0x20 : 0) | n);
    public static byte Context(int n, bool constructed = false) => (byte)(0x80 | (constructed ? 0x20 : 0) | n);

    /// <summary>Reads one element from the start of <paramref name="span"/> (<paramref name="memory"/> is the same bytes); returns it and the bytes used.</summary>
    public static (BerElement Element, int Used) Read(ReadOnlySpan<byte> span, ReadOnlyMemory<byte> memory)
    {
        if (span.Length < 2) throw new LdapProtocolException("an element is cut short");
        var tag = span[0];
        if ((tag & 0x1F) == 0x1F) throw new LdapProtocolException("multi-byte tags are not LDAP");
        var (length, header) = Length(span);
        if (length < 0) throw new LdapProtocolException("an element is cut short");
        if (length > span.Length - header) throw new LdapProtocolException("an element is longer than its container");
        return (new BerElement(tag, memory.Slice(header, (int)length)), header + (int)length);
    }

    /// <summary>The content length and the header size of the element at the start, or (-1, 0) when the header is not all there yet.</summary>
    public static (long Length, int Header) Length(ReadOnlySpan<byte> span)
    {
        if (span.Length < 2) return (-1, 0);
        var first = span[1];
        if (first < 0x80) return (first, 2);
        var n = first & 0x7F;
        if (n == 0) throw new LdapProtocolException("indefinite lengths are not LDAP");
        if (n > 4) throw new LdapProtocolException("a length is too large");
        if (span.Length < 2 + n) return (-1, 0);
        long len = 0;
        for (int i = 0; i < n; i++) len = (len << 8) | span[2 + i];
        if (len > MaxMessage) throw new LdapProtocolException($"an element of {len} bytes is over the limit of {MaxMessage}");
        return (len, 2 + n);
    }

    // ---- encoding: a tiny writer that builds nested elements ----

    /// <summary>A primitive element: the tag and the content bytes as they are.</summary>
    public static byte[] Raw(byte tag, ReadOnlySpan<byte> content)
    {
        var ms = new MemoryStream(content.Length + 6);
        ms.WriteByte(tag);
        WriteLength(ms, content.Length);
        ms.Write(content);
        return ms.ToArray();
    }

    /// <summary>A constructed element: the tag and its children, encoded one after the other.</summary>
    public static byte[] Tlv(byte tag, params byte[][] children)
    {
        var ms = new MemoryStream();
        foreach (var c in children) ms.Write(c);
        return Raw(tag, ms.ToArray());
    }

    public static byte[] Int(long v, byte tag = Integer)
    {
        var bytes = new List<byte>();
        do { bytes.Insert(0, (byte)(v & 0xFF)); v >>= 8; } while (v != 0 && v != -1);
        if (v == 0 && (bytes[0] & 0x80) != 0) bytes.Insert(0, 0);
        if (v == -1 && (bytes[0] & 0x80) == 0) bytes.Insert(0, 0xFF);
        return Raw(tag, bytes.ToArray());
    }

    public static byte[] Str(string s, byte tag = OctetString) => Raw(tag, Encoding.UTF8.GetBytes(s));

    public static byte[] Bool(bool b) => Raw(Boolean, [b ? (byte)0xFF : (byte)0]);

    static void WriteLength(Stream s, int length)
    {
        if (length < 0x80) { s.WriteByte((byte)length); return; }
        var n = length > 0xFFFFFF ? 4 : length > 0xFFFF ? 3 : length > 0xFF ? 2 : 1;
        s.WriteByte((byte)(0x80 | n));
        for (int i = n - 1; i >= 0; i--) s.WriteByte((byte)(length >> (8 * i)));
    }
}
