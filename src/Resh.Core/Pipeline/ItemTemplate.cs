using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Core.Pipeline;

/// <summary>
/// Text with <c>{field}</c> placeholders filled from an item (PowerShell's ValueFromPipelineByPropertyName);
/// <c>{{</c> and <c>}}</c> are literal braces. In a target every filled value is percent-encoded (all but
/// letters, digits and <c>-_~</c>), so a value holding <c>|</c>, <c>/</c>, <c>..</c>, <c>.verb</c>, quotes,
/// parentheses or <c>{x}</c> can never change the stage's handle, verb or arguments: it decodes to exactly
/// itself as (part of) the target. In an argument value it is the value, one argv word.
/// </summary>
public sealed class ItemTemplate
{
    readonly List<(string? Literal, string? Field, int Offset)> _parts = [];

    public string Source { get; }
    public IReadOnlyList<string> Fields => _parts.Where(p => p.Field is not null).Select(p => p.Field!).ToList();
    public bool HasFields => _parts.Any(p => p.Field is not null);
    /// <summary>The source offset of the first placeholder (-1 when none).</summary>
    public int FirstFieldOffset => _parts.FirstOrDefault(p => p.Field is not null) is { Field: not null } f ? f.Offset : -1;
    /// <summary>True when the text is one placeholder and nothing else.</summary>
    public bool IsOnlyField => _parts.Count == 1 && _parts[0].Field is not null;
    /// <summary>The source offsets of the placeholders.</summary>
    public IEnumerable<int> FieldOffsets => _parts.Where(p => p.Field is not null).Select(p => p.Offset);
    /// <summary>True when the text starts with a placeholder (no literal before it).</summary>
    public bool StartsWithField => _parts.Count > 0 && _parts[0].Field is not null;

    public ItemTemplate(string source)
    {
        Source = source;
        var lit = new StringBuilder();
        for (int i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c == '{' && i + 1 < source.Length && source[i + 1] == '{') { lit.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < source.Length && source[i + 1] == '}') { lit.Append('}'); i++; continue; }
            if (c == '{')
            {
                var end = source.IndexOf('}', i + 1);
                var name = end < 0 ? "" : source[(i + 1)..end];
                if (end < 0 || name.Length == 0 || name.Any(ch => !(char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.')))
                    throw ReshError.Usage($"`{Clip(source)}` has a `{{` that does not start a {{field}} placeholder.",
                        "Write {field} with a field name of the items, or {{ for a literal brace.").ToException();
                if (lit.Length > 0) { _parts.Add((lit.ToString(), null, i)); lit.Clear(); }
                _parts.Add((null, name, i));
                i = end;
                continue;
            }
            lit.Append(c);
        }
        if (lit.Length > 0) _parts.Add((lit.ToString(), null, source.Length));
    }

    /// <summary>Fills the placeholders with a sample value (to check the stage parses before anything runs).</summary>
    public string Sample(string value) => string.Concat(_parts.Select(p => p.Literal ?? value));

    /// <summary>The text for one item; a field it lacks, or one that is null, is a usage error for this item.</summary>
    public string Render(JsonObject item, bool percentEncode)
    {
        var sb = new StringBuilder();
        foreach (var (literal, field, _) in _parts)
        {
            if (literal is not null) { sb.Append(literal); continue; }
            var (text, encoded, _) = Value(item, field!);
            sb.Append(percentEncode ? encoded : text);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The target as users read it (s41, D11): the first <paramref name="encodedLength"/> characters of the encoded
    /// rendering (the part the envelope's target holds), with each filled value shown as itself instead of encoded,
    /// but for what must stay escaped to read back as the same name (s42 user review): a literal <c>%</c> (as
    /// <c>%25</c>) and control characters. Given back to resh, the target addresses the same item.
    /// </summary>
    public string RenderShown(JsonObject item, int encodedLength)
    {
        var sb = new StringBuilder();
        int left = encodedLength;
        foreach (var (literal, field, _) in _parts)
        {
            if (left <= 0) break;
            if (literal is not null)
            {
                sb.Append(literal, 0, Math.Min(left, literal.Length));
                left -= literal.Length;
                continue;
            }
            var (_, encoded, shown) = Value(item, field!);
            sb.Append(encoded.Length <= left ? shown : encoded[..left]);
            left -= encoded.Length;
        }
        return sb.ToString();
    }

    /// <summary>A field's value as text, percent-encoded for a target, and as a target shows it (escaped only where it must be).</summary>
    static (string Text, string Encoded, string Shown) Value(JsonObject item, string field)
    {
        if (!ItemFields.TryGet(item, field, out var v, out var key))
            throw ReshError.Usage($"This item has no field `{field}`.", "Filter the items first: where " + field + " != null").ToException();
        if (v is null)
            throw ReshError.Usage($"This item's field `{field}` is null.", "Filter the items first: where " + field + " != null").ToException();
        var text = ItemFields.Text(v);
        // A name that is not valid UTF-8 is listed percent-escaped (each raw byte %XX, a literal % as %25) with
        // `escaped: true` (file.list, PathBytes.Display): its target is its exact bytes, so `%FF` from a raw byte and
        // a file literally named `%FF` (escaped false) never reach the same file (s41).
        var escaped = item["escaped"] is JsonValue ev && ev.TryGetValue<bool>(out var e) && e && key[(key.LastIndexOf('.') + 1)..] is "path" or "name";
        // An escaped name is shown as listed: its %XX already stand for its bytes (and a literal % is %25 there).
        return (text, escaped ? EncodeBytes(PercentDecode(text)) : Encode(text), escaped ? text : Readable(text));
    }

    /// <summary>
    /// A value as a shown target holds it: itself, but a <c>%</c> (which a target decodes) as <c>%25</c> and a control,
    /// bidi or line-separator character as the %XX of its UTF-8 bytes, so the text reads back as the same value.
    /// </summary>
    static string Readable(string text)
    {
        if (!text.Any(c => c == '%' || Resh.Core.Text.TerminalText.IsControl(c))) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c == '%') sb.Append("%25");
            else if (Resh.Core.Text.TerminalText.IsControl(c)) sb.Append(EncodeBytes(Encoding.UTF8.GetBytes(c.ToString())));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The bytes a percent-escaped name stands for: %XX is that byte, anything else its UTF-8.</summary>
    static byte[] PercentDecode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length && byte.TryParse(text.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
                continue;
            }
            int n = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
            bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, n)));
            i += n - 1;
        }
        return bytes.ToArray();
    }

    /// <summary>Percent-encodes all but ASCII letters, digits and -_~ (UTF-8 bytes).</summary>
    public static string Encode(string text) => EncodeBytes(Encoding.UTF8.GetBytes(text));

    static string EncodeBytes(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b < 0x80 && (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'~')) sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
