using System.Text;
using System.Text.Json.Nodes;

namespace Resh.Handles.Config.Formats;

/// <summary>
/// JSON (comments and trailing commas tolerated, as in tsconfig or VS Code settings). A small parser that
/// records where every value and key starts and ends, so an edit replaces only that text.
/// </summary>
internal sealed class JsonFormat : TreeFormat
{
    public static readonly JsonFormat Instance = new();
    public override string Name => "json";

    public override JsonNode? Read(string text) => ToData(ParseTree(text));

    static JsonNode? ToData(SNode n) => n.Kind switch
    {
        NodeKind.Map => new JsonObject(n.Entries.GroupBy(e => e.Key).Select(g => KeyValuePair.Create(g.Key, ToData(g.Last().Value)))),
        NodeKind.Seq => new JsonArray(n.Items.Select(ToData).ToArray()),
        _ => n.Scalar?.DeepClone(),
    };

    protected override SNode ParseTree(string text) => new Parser(text).Document();

    public override string Render(JsonNode? data) => JsonText.Pretty(data, "  ", "") + "\n";

    /// <summary>The file's indentation unit: the first indented line's leading whitespace (default two spaces).</summary>
    static string Unit(string text, SNode root)
    {
        foreach (var line in text.Split('\n'))
        {
            var ws = line.Length - line.TrimStart(' ', '\t').Length;
            if (ws > 0 && line.Trim().Length > 0) return line[..ws];
        }
        return "  ";
    }

    static bool Multiline(string text, SNode container) => text.AsSpan(container.Start, container.End - container.Start).Contains('\n');

    static string ValueText(string text, SNode container, JsonNode? value, int at)
    {
        if (!Multiline(text, container) && container.Entries.Count + container.Items.Count > 0) return JsonText.Inline(value);
        return JsonText.Pretty(value, Unit(text, container), TextSpans.IndentAt(text, at), TextSpans.Newline(text));
    }

    protected override Splice ReplaceValue(string text, SNode? parent, SEntry? entry, SNode node, JsonNode? value)
    {
        var rendered = parent is null ? JsonText.Pretty(value, Unit(text, node), "") : ValueText(text, parent, value, entry?.KeyStart ?? node.Start);
        return new Splice(node.Start, node.End, rendered);
    }

    protected override Splice InsertEntry(string text, SNode map, string key, JsonNode? value)
    {
        if (map.Entries.Count == 0)
        {
            var indent = TextSpans.IndentAt(text, map.Start);
            var unit = Unit(text, map);
            var nl = TextSpans.Newline(text);
            var inner = JsonText.String(key) + ": " + JsonText.Pretty(value, unit, indent + unit, nl);
            return new Splice(map.Start, map.End, "{" + nl + indent + unit + inner + nl + indent + "}");
        }
        var last = map.Entries[^1];
        var member = JsonText.String(key) + ": " + ValueText(text, map, value, last.KeyStart);
        var sep = Multiline(text, map) ? "," + TextSpans.Newline(text) + TextSpans.IndentAt(text, last.KeyStart) : ", ";
        return new Splice(last.Value.End, last.Value.End, sep + member);
    }

    protected override Splice AppendItem(string text, SNode seq, JsonNode? value)
    {
        if (seq.Items.Count == 0) return new Splice(seq.Start, seq.End, "[" + JsonText.Inline(value) + "]");
        var last = seq.Items[^1];
        var sep = Multiline(text, seq) ? "," + TextSpans.Newline(text) + TextSpans.IndentAt(text, last.Start) : ", ";
        return new Splice(last.End, last.End, sep + ValueText(text, seq, value, last.Start));
    }

    protected override Splice RemoveEntry(string text, SNode map, int index) =>
        Remove(text, map.Entries.Select(e => (e.KeyStart, e.Value.End)).ToList(), index, map);

    protected override Splice RemoveItem(string text, SNode seq, int index) =>
        Remove(text, seq.Items.Select(e => (e.Start, e.End)).ToList(), index, seq);

    /// <summary>Removes member <paramref name="index"/> and one comma: its own line when it had one.</summary>
    static Splice Remove(string text, List<(int Start, int End)> members, int index, SNode container)
    {
        var (start, end) = members[index];
        if (members.Count == 1) return new Splice(container.Start + 1, container.End - 1, "");
        if (index + 1 < members.Count)
        {
            var next = members[index + 1].Start;
            if (TextSpans.OnlySpaceBefore(text, start) && TextSpans.OnlySpaceBefore(text, next))
                return new Splice(TextSpans.LineStart(text, start), TextSpans.LineStart(text, next), "");
            return new Splice(start, next, "");
        }
        var prevEnd = members[index - 1].End;
        return new Splice(prevEnd, end, "");
    }

    sealed class Parser(string text)
    {
        int _pos;

        public SNode Document()
        {
            Skip();
            if (_pos >= text.Length) return new SNode { Kind = NodeKind.Map, Start = 0, End = 0 };
            var root = Value(0);
            Skip();
            if (_pos < text.Length) throw Error("unexpected text after the document");
            return root;
        }

        SNode Value(int depth)
        {
            if (depth > MaxDepth) throw Error($"nested deeper than {MaxDepth} levels");
            Skip();
            if (_pos >= text.Length) throw Error("unexpected end of the document");
            var c = text[_pos];
            if (c == '{') return Object(depth);
            if (c == '[') return Array(depth);
            var start = _pos;
            if (c == '"')
            {
                var s = String();
                return new SNode { Kind = NodeKind.Scalar, Start = start, End = _pos, Quote = '"', Scalar = JsonValue.Create(s) };
            }
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '-' or '+' or '.')) _pos++;
            var word = text[start.._pos];
            JsonNode? data = word switch
            {
                "true" => JsonValue.Create(true),
                "false" => JsonValue.Create(false),
                "null" => null,
                _ when word.Length > 0 && (char.IsAsciiDigit(word[0]) || word[0] == '-') && double.TryParse(word, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) => JsonText.Number(word),
                _ => throw Error(word.Length == 0 ? $"unexpected '{c}'" : $"`{word}` is not a JSON value"),
            };
            return new SNode { Kind = NodeKind.Scalar, Start = start, End = _pos, Scalar = data };
        }

        SNode Object(int depth)
        {
            var node = new SNode { Kind = NodeKind.Map, Start = _pos, Flow = true };
            _pos++;
            while (true)
            {
                Skip();
                if (_pos >= text.Length) throw Error("an object is not closed");
                if (text[_pos] == '}') { _pos++; break; }
                if (text[_pos] != '"') throw Error("expected a quoted key");
                var ks = _pos;
                var key = String();
                var ke = _pos;
                Skip();
                if (_pos >= text.Length || text[_pos] != ':') throw Error("expected ':' after a key");
                _pos++;
                var value = Value(depth + 1);
                node.Entries.Add(new SEntry(key, ks, ke, value));
                Skip();
                if (_pos < text.Length && text[_pos] == ',') { _pos++; continue; }
                Skip();
                if (_pos < text.Length && text[_pos] == '}') { _pos++; break; }
                throw Error("expected ',' or '}'");
            }
            node.End = _pos;
            return node;
        }

        SNode Array(int depth)
        {
            var node = new SNode { Kind = NodeKind.Seq, Start = _pos, Flow = true };
            _pos++;
            while (true)
            {
                Skip();
                if (_pos >= text.Length) throw Error("an array is not closed");
                if (text[_pos] == ']') { _pos++; break; }
                node.Items.Add(Value(depth + 1));
                Skip();
                if (_pos < text.Length && text[_pos] == ',') { _pos++; continue; }
                Skip();
                if (_pos < text.Length && text[_pos] == ']') { _pos++; break; }
                throw Error("expected ',' or ']'");
            }
            node.End = _pos;
            return node;
        }

        string String()
        {
            var sb = new StringBuilder();
            _pos++;
            while (true)
            {
                if (_pos >= text.Length) throw Error("a string is not closed");
                var c = text[_pos++];
                if (c == '"') return sb.ToString();
                if (c == '\n') throw Error("a line break inside a string");
                if (c != '\\') { sb.Append(c); continue; }
                if (_pos >= text.Length) throw Error("a string is not closed");
                var e = text[_pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u' when _pos + 4 <= text.Length && int.TryParse(text.AsSpan(_pos, 4), System.Globalization.NumberStyles.HexNumber, null, out var u):
                        sb.Append((char)u);
                        _pos += 4;
                        break;
                    default: throw Error($"bad escape \\{e}");
                }
            }
        }

        void Skip()
        {
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (c is ' ' or '\t' or '\r' or '\n' or '\uFEFF') { _pos++; continue; }
                if (c == '/' && _pos + 1 < text.Length && text[_pos + 1] == '/') { while (_pos < text.Length && text[_pos] != '\n') _pos++; continue; }
                if (c == '/' && _pos + 1 < text.Length && text[_pos + 1] == '*')
                {
                    var close = text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                    if (close < 0) throw Error("a comment is not closed");
                    _pos = close + 2;
                    continue;
                }
                break;
            }
        }

        Resh.Core.Errors.ReshException Error(string why)
        {
            int line = 1;
            for (int i = 0; i < Math.Min(_pos, text.Length); i++) if (text[i] == '\n') line++;
            return Invalid("JSON", why, line);
        }
    }
}
