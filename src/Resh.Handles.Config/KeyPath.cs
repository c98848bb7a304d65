using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Config;

/// <summary>
/// A key inside a document: dotted (<c>server.tls.port</c>, <c>servers[0].name</c>, <c>a\.b</c> for a key
/// holding a dot) or a JSON Pointer (<c>/server/tls.port</c>, RFC 6901: <c>~1</c> is '/', <c>~0</c> is '~').
/// Empty (or <c>/</c>... no: <c>""</c>) names the whole document.
/// </summary>
public sealed class KeyPath
{
    KeyPath(IReadOnlyList<string> segments, string text, bool pointer, IReadOnlyCollection<int>? indices = null)
    {
        Segments = segments;
        Text = text;
        IsPointer = pointer;
        _indices = indices;
    }

    readonly IReadOnlyCollection<int>? _indices;

    /// <summary>True when segment <paramref name="i"/> was written as an array index (<c>servers[0]</c>), not a key.</summary>
    public bool IsIndex(int i) => _indices?.Contains(i) == true;

    public IReadOnlyList<string> Segments { get; }
    /// <summary>The key as the caller wrote it.</summary>
    public string Text { get; }
    public bool IsPointer { get; }
    public bool IsRoot => Segments.Count == 0;

    public static readonly KeyPath Root = new([], "", true);

    public static KeyPath Of(IReadOnlyList<string> segments) => new(segments.ToArray(), Pointer(segments), true);

    public KeyPath Child(string segment) => Of([.. Segments, segment]);

    public static KeyPath Parse(string? text)
    {
        var path = ParseText(text);
        if (path.Segments.Count > Formats.ConfigFormat.MaxDepth)
            throw ReshError.Usage($"The key `{Clip(path.Text)}` has {path.Segments.Count} levels; configuration documents here nest at most {Formats.ConfigFormat.MaxDepth}.",
                "Name a key at most 200 levels deep.").ToException();
        return path;
    }

    static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "...";

    static KeyPath ParseText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return Root;
        if (text[0] == '/') return new(ParsePointer(text), text, true);
        var segments = new List<string>();
        var indices = new List<int>();
        var sb = new StringBuilder();
        bool pending = false;
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '.' or '[' or '\\') { sb.Append(text[++i]); pending = true; continue; }
            if (c == '.')
            {
                if (!pending && sb.Length == 0) throw Bad(text, "an empty key between dots");
                segments.Add(sb.ToString());
                sb.Clear();
                pending = false;
                continue;
            }
            if (c == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0) throw Bad(text, "an unclosed [");
                var index = text[(i + 1)..close];
                if (index.Length == 0 || !index.All(char.IsAsciiDigit)) throw Bad(text, $"[{Clip(index)}], which is not an array index (indexes count 0, 1, 2 ...; the next free index appends)");
                if (pending || sb.Length > 0) segments.Add(sb.ToString());
                sb.Clear();
                pending = false;
                indices.Add(segments.Count);
                segments.Add(index);
                i = close;
                if (i + 1 < text.Length && text[i + 1] == '.') { i++; if (i + 1 == text.Length) throw Bad(text, "a trailing dot"); }
                else if (i + 1 < text.Length && text[i + 1] != '[') throw Bad(text, "text after ]");
                continue;
            }
            sb.Append(c);
            pending = true;
        }
        if (pending || sb.Length > 0) segments.Add(sb.ToString());
        else if (text.EndsWith('.')) throw Bad(text, "a trailing dot");
        return new(segments, text, false, indices.Count == 0 ? null : indices);
    }

    static List<string> ParsePointer(string text)
    {
        var list = new List<string>();
        foreach (var raw in text[1..].Split('/'))
        {
            var s = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            list.Add(s);
        }
        return list;
    }

    public static string Pointer(IEnumerable<string> segments)
    {
        var sb = new StringBuilder();
        foreach (var s in segments) sb.Append('/').Append(s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
        return sb.ToString();
    }

    public string PointerText => Pointer(Segments);

    public override string ToString() => Text.Length == 0 ? "(document)" : Text;

    static ReshException Bad(string text, string why) =>
        ReshError.Usage($"The key `{Clip(text)}` has {why}.", "Write a dotted path (server.tls.port, servers[0].name, a\\.b for a key with a dot) or a JSON Pointer (/server/tls.port).").ToException();
}
