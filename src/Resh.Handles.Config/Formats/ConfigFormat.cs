using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Config;

namespace Resh.Handles.Config.Formats;

/// <summary>
/// One configuration format: reads a text into data (JSON nodes), edits the text in place (one key at a time,
/// keeping every byte it does not touch) and renders data as a new document (convert).
/// </summary>
internal abstract class ConfigFormat
{
    /// <summary>Documents nest at most this deep (a hostile file cannot exhaust the stack).</summary>
    public const int MaxDepth = 200;

    public abstract string Name { get; }
    public abstract JsonNode? Read(string text);
    /// <summary>The text with the value at <paramref name="path"/> set (missing parents created).</summary>
    public abstract string Set(string text, KeyPath path, JsonNode? value);
    /// <summary>The text without the key; null when the key is not there.</summary>
    public abstract string? Delete(string text, KeyPath path);
    public abstract string Render(JsonNode? data);
    /// <summary>Where the text of each secret value is (<see cref="ConfigSecrets"/>), to mask it in a diff.</summary>
    public abstract List<(int Start, int End)> SecretSpans(string text);

    /// <summary>The value as this format stores it (line formats hold strings), to tell whether a set changes anything.</summary>
    public virtual JsonNode? Normalize(JsonNode? value) => value;

    protected static ReshException Invalid(string format, string why, int? line = null) =>
        ReshError.Usage($"The document is not valid {format}{(line is { } l ? $" (line {l})" : "")}: {why}",
            "Fix the file, or pass syntax= if it was detected as the wrong format.",
            line is { } n ? new JsonObject { ["line"] = n } : null).ToException();

    protected static ReshException NotAContainer(KeyPath path, int depth, string what) =>
        ReshError.Conflict($"`{KeyPath.Of(path.Segments.Take(depth).ToList())}` holds {what}, so `{path}` cannot be set below it.",
            "Set the parent key itself (value:={...}), or delete it first.").ToException();

    /// <summary>
    /// The remaining segments of a path as what holds the value: nested objects, and a list for a segment written as an
    /// index (<c>x[0]</c>). A list that does not exist yet starts at index 0: any other index is past its end (usage), never a key "3".
    /// </summary>
    protected static JsonNode? Nest(KeyPath path, int from, JsonNode? value)
    {
        var segments = path.Segments;
        var node = value;
        for (int i = segments.Count - 1; i >= from; i--)
        {
            if (!path.IsIndex(i)) { node = new JsonObject { [segments[i]] = node }; continue; }
            if (segments[i] != "0")
                throw ReshError.Usage($"Index {segments[i]} is past the end: `{KeyPath.Of(segments.Take(i).ToList())}` does not exist yet, so its list would start at [0].",
                    $"Set [0] first, then append with [1], [2]... (or - as the index).").ToException();
            node = new JsonArray(node);
        }
        return node;
    }

    /// <summary>An index (<c>x[3]</c>) used on an object: refused rather than read as a key named "3".</summary>
    protected static ReshException IndexIntoObject(KeyPath path, int depth) =>
        ReshError.Conflict($"`{KeyPath.Of(path.Segments.Take(depth).ToList())}` is an object, so `[{path.Segments[depth]}]` (an array index) cannot be set in it.",
            $"To set a key named {path.Segments[depth]}, write it as a key: {KeyPath.Of(path.Segments.Take(depth + 1).ToList()).Text}.").ToException();

    public static JsonNode? Lookup(JsonNode? data, KeyPath path, out bool found)
    {
        var node = data;
        found = true;
        foreach (var seg in path.Segments)
        {
            switch (node)
            {
                case JsonObject o when o.TryGetPropertyValue(seg, out var child): node = child; break;
                case JsonArray a when int.TryParse(seg, out var i) && i >= 0 && i < a.Count: node = a[i]; break;
                default: found = false; return null;
            }
        }
        return node;
    }

    public static string TypeName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "string",
            System.Text.Json.JsonValueKind.Number => "number",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "null",
    };
}

/// <summary>
/// Formats parsed into a tree of spans (JSON, YAML, TOML): the walk to a key is shared; each format says
/// how to replace a value, add a key or an item, and remove one, in its own syntax and in the style of
/// the siblings.
/// </summary>
internal abstract class TreeFormat : ConfigFormat
{
    protected abstract SNode ParseTree(string text);
    protected abstract Splice ReplaceValue(string text, SNode? parent, SEntry? entry, SNode node, JsonNode? value);
    protected abstract Splice InsertEntry(string text, SNode map, string key, JsonNode? value);
    protected abstract Splice AppendItem(string text, SNode seq, JsonNode? value);
    protected abstract Splice RemoveEntry(string text, SNode map, int index);
    protected abstract Splice RemoveItem(string text, SNode seq, int index);

    public override List<(int Start, int End)> SecretSpans(string text)
    {
        var spans = new List<(int, int)>();
        Collect(text, ParseTree(text), false, spans);
        return spans;

        static void Collect(string text, SNode node, bool secret, List<(int, int)> into)
        {
            switch (node.Kind)
            {
                case NodeKind.Map: foreach (var e in node.Entries) Collect(text, e.Value, secret || ConfigSecrets.IsSecretKey(e.Key), into); break;
                case NodeKind.Seq: foreach (var i in node.Items) Collect(text, i, secret, into); break;
                default:
                    if (node.End <= node.Start || node.Quote == '*') break;
                    if (secret) into.Add((node.Start, node.End));
                    else into.AddRange(ConfigSecrets.CredentialSpans(text, node.Start, node.End));
                    break;
            }
        }
    }

    public override string Set(string text, KeyPath path, JsonNode? value)
    {
        if (path.IsRoot) throw ReshError.Usage("set needs a key.", "Name one: key=server.port (merge changes many keys at once).").ToException();
        var node = ParseTree(text);
        SNode? parent = null;
        SEntry? entry = null;
        var segs = path.Segments;
        for (int i = 0; i < segs.Count; i++)
        {
            var seg = segs[i];
            switch (node.Kind)
            {
                case NodeKind.Map:
                    if (path.IsIndex(i)) throw IndexIntoObject(path, i);
                    var idx = node.FindLast(seg);
                    if (idx < 0) return InsertEntry(text, node, seg, Nest(path, i + 1, value)).ApplyTo(text);
                    parent = node;
                    entry = node.Entries[idx];
                    node = entry.Value;
                    break;
                case NodeKind.Seq:
                    if (seg == "-" || (int.TryParse(seg, out var n0) && n0 == node.Items.Count))
                        return AppendItem(text, node, Nest(path, i + 1, value)).ApplyTo(text);
                    if (!int.TryParse(seg, out var n) || n < 0 || n > node.Items.Count)
                        throw ReshError.Usage($"`{KeyPath.Of(segs.Take(i).ToList())}` is an array of {node.Items.Count}; `{seg}` is not an index in it.",
                            $"Use 0 to {node.Items.Count - 1}, or {node.Items.Count} (or -) to append.").ToException();
                    parent = node;
                    entry = null;
                    node = node.Items[n];
                    break;
                default:
                    if (node.IsNullScalar) return ReplaceValue(text, parent, entry, node, Nest(path, i, value)).ApplyTo(text);
                    throw NotAContainer(path, i, $"a {TypeName(node.Scalar)}");
            }
        }
        return ReplaceValue(text, parent, entry, node, value).ApplyTo(text);
    }

    public override string? Delete(string text, KeyPath path)
    {
        if (path.IsRoot) throw ReshError.Usage("delete needs a key.", "Name one: key=server.port.").ToException();
        var node = ParseTree(text);
        var segs = path.Segments;
        for (int i = 0; i < segs.Count; i++)
        {
            var last = i == segs.Count - 1;
            switch (node.Kind)
            {
                case NodeKind.Map:
                    var idx = node.FindLast(segs[i]);
                    if (idx < 0) return null;
                    if (last) return RemoveEntry(text, node, idx).ApplyTo(text);
                    node = node.Entries[idx].Value;
                    break;
                case NodeKind.Seq:
                    if (!int.TryParse(segs[i], out var n) || n < 0 || n >= node.Items.Count) return null;
                    if (last) return RemoveItem(text, node, n).ApplyTo(text);
                    node = node.Items[n];
                    break;
                default:
                    return null;
            }
        }
        return null;
    }
}
