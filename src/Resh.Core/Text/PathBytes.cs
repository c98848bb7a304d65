using System.Buffers;
using System.Text;

namespace Resh.Core.Text;

/// <summary>
/// Linux names are bytes, not text. resh carries a name that is not valid UTF-8 inside an ordinary
/// .NET string the way Python's <c>surrogateescape</c> does: each byte of an invalid sequence
/// (always 0x80–0xFF) becomes the lone surrogate U+DC80–U+DCFF, so the string round-trips to the
/// exact bytes. Such strings must reach the kernel through <see cref="Encode"/> (the runtime's own
/// marshalling would turn the surrogates into U+FFFD), and reach JSON through <see cref="Display"/>:
/// the percent-escaped form (<c>%XX</c> for each raw byte, <c>%25</c> for a literal %), which is
/// exactly what a target accepts back (SPEC §1 percent-decoding). Results flag such names with
/// <c>escaped: true</c> so a reader knows to decode them.
/// </summary>
public static class PathBytes
{
    const char EscapeBase = '\uDC00';

    /// <summary>Decodes bytes as UTF-8, keeping each byte of an invalid sequence as U+DC80+.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var sb = new StringBuilder(bytes.Length);
        int i = 0;
        while (i < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[i..], out var rune, out var consumed);
            if (status == OperationStatus.Done)
            {
                sb.Append(rune.ToString());
                i += consumed;
                continue;
            }
            // An invalid or truncated sequence: escape its first byte alone and resynchronise after it.
            sb.Append((char)(EscapeBase + bytes[i]));
            i++;
        }
        return sb.ToString();
    }

    /// <summary>True when the string holds raw (non-UTF-8) bytes escaped by <see cref="Decode"/>.</summary>
    public static bool HasRawBytes(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (IsRawByte(c)) return true;
        return false;
    }

    /// <summary>The exact bytes a string names: raw-byte surrogates back to their byte, the rest as UTF-8.
    /// A surrogate that is neither part of a pair nor a raw byte becomes U+FFFD.</summary>
    public static byte[] Encode(ReadOnlySpan<char> text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 8);
        Encode(text, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The bytes plus a terminating NUL, for libc calls.</summary>
    public static byte[] EncodeNullTerminated(ReadOnlySpan<char> text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 9);
        Encode(text, buffer);
        buffer.GetSpan(1)[0] = 0;
        buffer.Advance(1);
        return buffer.WrittenSpan.ToArray();
    }

    static void Encode(ReadOnlySpan<char> text, ArrayBufferWriter<byte> output)
    {
        if (!ContainsSurrogate(text))
        {
            var n = Encoding.UTF8.GetByteCount(text);
            Encoding.UTF8.GetBytes(text, output.GetSpan(n));
            output.Advance(n);
            return;
        }
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsRawByte(c))
            {
                output.GetSpan(1)[0] = (byte)(c - EscapeBase);
                output.Advance(1);
                continue;
            }
            Rune rune;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                rune = new Rune(c, text[i + 1]);
                i++;
            }
            else rune = char.IsSurrogate(c) ? Rune.ReplacementChar : new Rune(c);
            var written = rune.EncodeToUtf8(utf8);
            utf8[..written].CopyTo(output.GetSpan(written));
            output.Advance(written);
        }
    }

    /// <summary>
    /// The JSON-safe form of a name: unchanged when it is valid UTF-8 (<paramref name="escaped"/> false);
    /// otherwise percent-escaped (each raw byte <c>%XX</c>, each literal % <c>%25</c>), which a target
    /// decodes back to the same bytes.
    /// </summary>
    public static string Display(string text, out bool escaped)
    {
        escaped = HasRawBytes(text);
        if (!escaped) return TextSafety.Scrub(text);
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsRawByte(c)) sb.Append('%').Append(((int)(c - EscapeBase)).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else if (c == '%') sb.Append("%25");
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }

    /// <summary>The JSON-safe form when the caller does not need the flag.</summary>
    public static string Display(string text) => Display(text, out _);

    /// <summary>True for U+DC80–U+DCFF: a raw byte 0x80–0xFF kept by <see cref="Decode"/>.</summary>
    public static bool IsRawByte(char c) => c >= '\uDC80' && c <= '\uDCFF';

    static bool ContainsSurrogate(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (char.IsSurrogate(c)) return true;
        return false;
    }
}
