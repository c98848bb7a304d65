using System.Text.Json.Nodes;

namespace Resh.Handles.Config.Formats;

internal enum NodeKind { Map, Seq, Scalar }

/// <summary>
/// A value of a parsed document with the exact place of its text: what an edit splices, so everything
/// an edit does not touch (comments, order, quoting, indentation, blank lines) stays byte for byte.
/// </summary>
internal sealed class SNode
{
    public NodeKind Kind;
    /// <summary>The value's own text: [Start, End) in characters.</summary>
    public int Start, End;
    /// <summary>Written inline (JSON, YAML flow, TOML inline) rather than as indented lines or sections.</summary>
    public bool Flow;
    /// <summary>A scalar's quoting: '\0' plain, '"' double, '\'' single, '|' or '>' a YAML block scalar.</summary>
    public char Quote;
    /// <summary>Column of the children of a block collection (YAML), -1 when unknown.</summary>
    public int Column = -1;
    public readonly List<SEntry> Entries = [];
    public readonly List<SNode> Items = [];
    /// <summary>Format-specific: the TOML syntax node, a YAML anchor...</summary>
    public object? Tag;
    public JsonNode? Scalar;
    public bool IsNullScalar => Kind == NodeKind.Scalar && Scalar is null;

    public int FindLast(string key)
    {
        for (int i = Entries.Count - 1; i >= 0; i--) if (Entries[i].Key == key) return i;
        return -1;
    }
}

internal sealed class SEntry(string key, int keyStart, int keyEnd, SNode value)
{
    public string Key { get; } = key;
    public int KeyStart { get; } = keyStart;
    public int KeyEnd { get; } = keyEnd;
    public SNode Value { get; set; } = value;
}

/// <summary>One text replacement: [Start, End) becomes Text.</summary>
internal readonly record struct Splice(int Start, int End, string Text)
{
    public string ApplyTo(string text) => string.Concat(text.AsSpan(0, Start), Text, text.AsSpan(End));
}

internal static class TextSpans
{
    public static int LineStart(string text, int pos)
    {
        while (pos > 0 && text[pos - 1] != '\n') pos--;
        return pos;
    }

    /// <summary>The index just after the newline ending the line that holds pos (or the text's end).</summary>
    public static int NextLineStart(string text, int pos)
    {
        var nl = text.IndexOf('\n', pos);
        return nl < 0 ? text.Length : nl + 1;
    }

    public static int Column(string text, int pos) => pos - LineStart(text, pos);

    public static string IndentAt(string text, int pos)
    {
        var start = LineStart(text, pos);
        int i = start;
        while (i < text.Length && text[i] is ' ' or '\t') i++;
        return text[start..i];
    }

    public static bool OnlySpaceBefore(string text, int pos)
    {
        for (int i = pos - 1; i >= 0 && text[i] != '\n'; i--) if (text[i] is not (' ' or '\t')) return false;
        return true;
    }

    /// <summary>The file's line ending: CRLF when its first line ends so.</summary>
    public static string Newline(string text)
    {
        var nl = text.IndexOf('\n');
        return nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
    }
}
