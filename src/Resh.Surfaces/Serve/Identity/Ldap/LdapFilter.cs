using System.Text;

namespace Resh.Surfaces.Serve.Identity.Ldap;

/// <summary>
/// RFC 4515 filter strings to their BER form (RFC 4511 §4.5.1): and, or, not, =, ~=, &gt;=, &lt;=, presence (=*) and
/// substrings. Values given by users are put in with <see cref="Escape"/>, so `*`, `(`, `)`, `\` and NUL in a user
/// name are matched as characters, never as filter syntax.
/// </summary>
public static class LdapFilter
{
    const int MaxDepth = 32;

    /// <summary>RFC 4515 §3: `*`, `(`, `)`, `\`, NUL (and every non-ASCII or control byte, for clarity) as \XX.</summary>
    public static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (byte)'*' or (byte)'(' or (byte)')' or (byte)'\\' or < 0x20 or >= 0x7F) sb.Append('\\').Append(b.ToString("x2"));
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    public static byte[] Encode(string filter)
    {
        var text = filter.Trim();
        if (!text.StartsWith('(')) text = "(" + text + ")";
        int pos = 0;
        var encoded = Parse(text, ref pos, 0);
        if (pos != text.Length) throw new FormatException($"the filter has text after its end at {pos + 1}");
        return encoded;
    }

    static byte[] Parse(string s, ref int pos, int depth)
    {
        if (depth > MaxDepth) throw new FormatException("the filter is nested too deep");
        Expect(s, ref pos, '(');
        if (pos >= s.Length) throw new FormatException("the filter ends early");
        byte[] result;
        switch (s[pos])
        {
            case '&' or '|':
            {
                var tag = Ber.Context(s[pos] == '&' ? 0 : 1, true);
                pos++;
                var items = new List<byte[]>();
                while (pos < s.Length && s[pos] == '(') items.Add(Parse(s, ref pos, depth + 1));
                if (items.Count == 0) throw new FormatException("& and | need at least one filter");
                result = Ber.Tlv(tag, items.ToArray());
                break;
            }
            case '!':
                pos++;
                result = Ber.Tlv(Ber.Context(2, true), Parse(s, ref pos, depth + 1));
                break;
            default:
                result = Item(s, ref pos);
                break;
        }
        Expect(s, ref pos, ')');
        return result;
    }

    static byte[] Item(string s, ref int pos)
    {
        int start = pos;
        while (pos < s.Length && s[pos] is not ('=' or '~' or '>' or '<' or '(' or ')')) pos++;
        var attr = s[start..pos];
        if (attr.Length == 0 || attr.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.;") >= 0)
            throw new FormatException($"`{attr}` is not an attribute name");
        if (pos >= s.Length) throw new FormatException("the filter ends early");
        int op = s[pos] switch { '=' => 3, '~' => 8, '>' => 5, '<' => 6, _ => throw new FormatException($"no operator after `{attr}`") };
        pos += op == 3 ? 1 : 2;
        if (op != 3 && s[pos - 1] != '=') throw new FormatException($"`{s[pos - 2]}` must be followed by `=`");
        int vstart = pos;
        while (pos < s.Length && s[pos] != ')') { if (s[pos] == '(') throw new FormatException("an unescaped `(` in a value"); pos++; }
        var raw = s[vstart..pos];
        if (op != 3) return Ber.Tlv(Ber.Context(op, true), Ber.Str(attr), Ber.Raw(Ber.OctetString, Unescape(raw)));
        if (raw == "*") return Ber.Str(attr, Ber.Context(7));
        if (!raw.Contains('*')) return Ber.Tlv(Ber.Context(3, true), Ber.Str(attr), Ber.Raw(Ber.OctetString, Unescape(raw)));
        var parts = raw.Split('*');
        var subs = new List<byte[]>();
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0) continue;
            var kind = i == 0 ? 0 : i == parts.Length - 1 ? 2 : 1;
            subs.Add(Ber.Raw(Ber.Context(kind), Unescape(parts[i])));
        }
        return Ber.Tlv(Ber.Context(4, true), Ber.Str(attr), Ber.Tlv(Ber.Sequence, subs.ToArray()));
    }

    static byte[] Unescape(string v)
    {
        var ms = new MemoryStream();
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] != '\\') { ms.Write(Encoding.UTF8.GetBytes(v[i].ToString())); continue; }
            if (i + 2 >= v.Length) throw new FormatException("a `\\` needs two hex digits after it");
            if (!byte.TryParse(v.AsSpan(i + 1, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
                throw new FormatException("a `\\` needs two hex digits after it");
            ms.WriteByte(b);
            i += 2;
        }
        return ms.ToArray();
    }

    static void Expect(string s, ref int pos, char c)
    {
        if (pos >= s.Length || s[pos] != c) throw new FormatException($"`{c}` expected at {pos + 1}");
        pos++;
    }
}
