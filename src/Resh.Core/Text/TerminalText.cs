using System.Globalization;
using System.Text;

namespace Resh.Core.Text;

/// <summary>
/// Makes text from data safe to print on a terminal: control characters become visible escapes
/// (<c>\x1b</c>, <c>\r</c>, <c>\u202e</c>) so a file name or a log line cannot move the cursor, change
/// the title, or hide text. Covers C0, DEL, C1, the Unicode line separators, the BOM and the
/// bidirectional overrides. Only human formats use it; JSON keeps the exact text.
/// </summary>
public static class TerminalText
{
    public static bool IsControl(char c) =>
        c < ' ' || (c >= '\x7f' && c <= '\x9f')
        || c is '\u2028' or '\u2029' or '\ufeff' or '\u061c' or '\u200e' or '\u200f'
        || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');

    /// <summary>The text with every control character escaped; <paramref name="keepNewlines"/> keeps line breaks
    /// and tabs (blocks of text), otherwise they are escaped too (a cell, a message).</summary>
    public static string Escape(string s, bool keepNewlines = false)
    {
        int i = 0;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (IsControl(c) && !(keepNewlines && c is '\n' or '\t')) break;
        }
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length + 16);
        sb.Append(s, 0, i);
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (!IsControl(c) || (keepNewlines && c is '\n' or '\t')) { sb.Append(c); continue; }
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c <= '\xff') sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Columns a string takes on a terminal (wide East Asian characters count two, combining marks none).</summary>
    public static int Width(string s)
    {
        int w = 0;
        for (int i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsLowSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length) { w += IsWide(char.ConvertToUtf32(c, s[i + 1])) ? 2 : 1; continue; }
            var cat = CharUnicodeInfo.GetUnicodeCategory(c);
            if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format) continue;
            w += IsWide(c) ? 2 : 1;
        }
        return w;
    }

    static bool IsWide(int cp) =>
        (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) || (cp >= 0xac00 && cp <= 0xd7a3)
        || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6)
        || (cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);

    /// <summary>Cuts <paramref name="s"/> to at most <paramref name="width"/> columns, ending in … when cut.</summary>
    public static string Truncate(string s, int width)
    {
        if (width <= 0) return "";
        if (Width(s) <= width) return s;
        var sb = new StringBuilder();
        int w = 0;
        for (int i = 0; i < s.Length; i++)
        {
            var c = s[i];
            int cw;
            string piece;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length) { piece = s.Substring(i, 2); cw = Width(piece); i++; }
            else { piece = c.ToString(); cw = Width(piece); }
            if (w + cw > width - 1) break;
            sb.Append(piece);
            w += cw;
        }
        return sb.Append('…').ToString();
    }

    /// <summary>Pads with spaces to <paramref name="width"/> columns.</summary>
    public static string PadRight(string s, int width)
    {
        var w = Width(s);
        return w >= width ? s : s + new string(' ', width - w);
    }

    public static string PadLeft(string s, int width)
    {
        var w = Width(s);
        return w >= width ? s : new string(' ', width - w) + s;
    }
}
