using System.Runtime.InteropServices;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Text;

namespace Resh.Core.Grammar;

/// <summary>Decodes <c>%XX</c> escapes in a target as UTF-8; a literal % is written %25. Escapes that are
/// not UTF-8 are raw bytes of a name and are kept as such (<see cref="PathBytes"/>).</summary>
public static class PercentDecoding
{
    public static string Decode(string text)
    {
        if (!text.Contains('%')) return text;
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]))
                {
                    bytes.Add((byte)(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
                    i += 2;
                    continue;
                }
                throw ReshError.Usage($"Bad percent escape at position {i + 1} of the target.",
                    "Write a literal % as %25; escapes are two hex digits, like %20.").ToException();
            }
            if (char.IsSurrogatePair(text, i))
            {
                var n = Encoding.UTF8.GetBytes(text.AsSpan(i, 2), utf8);
                for (int j = 0; j < n; j++) bytes.Add(utf8[j]);
                i++;
                continue;
            }
            var m = Encoding.UTF8.GetBytes(text.AsSpan(i, 1), utf8);
            for (int j = 0; j < m; j++) bytes.Add(utf8[j]);
        }
        // Escapes that are not UTF-8 name raw bytes (Linux names are bytes): kept losslessly (Text/PathBytes).
        return PathBytes.Decode(CollectionsMarshal.AsSpan(bytes));
    }

    static bool IsHex(char c) => char.IsAsciiHexDigit(c);
    static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
