using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Tomlyn.Syntax;

namespace Resh.Handles.Config.Formats;

/// <summary>
/// TOML: read with Tomlyn's deserializer; edited through Tomlyn's syntax tree, whose spans say where each key,
/// value and [table] sits, so a set replaces one value's text and a new key is one new line in its table.
/// </summary>
internal sealed class TomlFormat : TreeFormat
{
    public static readonly TomlFormat Instance = new();
    public override string Name => "toml";

    enum Where { Root, Table, TableArrayItem, Dotted, Implicit, Inline }

    /// <summary>How a map is written: where its lines end (to add one) and the key text that prefixes a dotted key.</summary>
    sealed class Info(Where where, List<string> path)
    {
        public Where Where = where;
        public List<string> Path = path;
        public int InsertAt = -1;
        public string? DottedPrefix;
        public List<(int Start, int End)> Sections = [];
    }

    public override JsonNode? Read(string text)
    {
        ParseTree(text); // the same checks an edit makes (duplicate keys, syntax), with the line
        return ReshConfig.FromText(text, null).Root.DeepClone();
    }

    public override string Render(JsonNode? data) => TomlText.Document(data);

    static (int Start, int End) Span(SyntaxNodeBase n) => (n.Span.Start.Offset, n.Span.End.Offset + 1);

    static string KeyString(BareKeyOrStringValueSyntax k) => k switch
    {
        BareKeySyntax b => b.Key!.Text!,
        StringValueSyntax s => s.Value!,
        _ => k.ToString() ?? "",
    };

    static List<string> Segments(KeySyntax key)
    {
        var list = new List<string> { KeyString(key.Key!) };
        foreach (var d in key.DotKeys) list.Add(KeyString(d.Key!));
        return list;
    }

    protected override SNode ParseTree(string text)
    {
        DocumentSyntax doc;
        try { doc = Tomlyn.Parsing.SyntaxParser.Parse(text, "config", false); }
        catch (Exception ex) when (ex is Tomlyn.TomlException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw Invalid("TOML", ex.Message.Split('\n')[0].Trim());
        }
        if (doc.HasErrors)
        {
            var d = doc.Diagnostics.FirstOrDefault();
            throw Invalid("TOML", d?.Message ?? "syntax error", d is null ? null : d.Span.Start.Line + 1);
        }
        var root = new SNode { Kind = NodeKind.Map, Start = 0, End = text.Length, Tag = new Info(Where.Root, []) };
        var rootInfo = (Info)root.Tag;
        rootInfo.InsertAt = 0;
        foreach (var kv in doc.KeyValues) AddKeyValue(text, root, kv, 0);
        if (doc.KeyValues.ChildrenCount > 0) rootInfo.InsertAt = TextSpans.NextLineStart(text, Span(doc.KeyValues.GetChild(doc.KeyValues.ChildrenCount - 1)!).End - 1);
        var tables = doc.Tables;
        for (int t = 0; t < tables.ChildrenCount; t++)
        {
            var table = tables.GetChild(t)!;
            var path = Segments(table.Name!);
            var headerStart = TextSpans.LineStart(text, Span(table).Start);
            int sectionEnd = t + 1 < tables.ChildrenCount ? TextSpans.LineStart(text, Span(tables.GetChild(t + 1)!).Start) : text.Length;
            SNode map;
            if (table is TableArraySyntax)
            {
                var seq = Walk(root, path, path.Count - 1, create: true, text);
                var last = path[^1];
                var idx = seq.FindLast(last);
                SNode arr;
                if (idx < 0)
                {
                    arr = new SNode { Kind = NodeKind.Seq, Start = headerStart, End = sectionEnd, Tag = new Info(Where.TableArrayItem, path) };
                    seq.Entries.Add(new SEntry(last, headerStart, headerStart, arr));
                }
                else arr = seq.Entries[idx].Value;
                map = new SNode { Kind = NodeKind.Map, Start = headerStart, End = sectionEnd, Tag = new Info(Where.TableArrayItem, path) };
                arr.Items.Add(map);
                arr.End = sectionEnd;
            }
            else
            {
                map = Walk(root, path, path.Count, create: true, text);
                map.Start = headerStart;
                map.End = sectionEnd;
                ((Info)map.Tag!).Where = Where.Table;
            }
            var info = (Info)map.Tag!;
            info.Sections.Add((headerStart, sectionEnd));
            info.InsertAt = TextSpans.NextLineStart(text, Span(table.Name!).End);
            foreach (var kv in table.Items)
            {
                AddKeyValue(text, map, kv, 0);
                info.InsertAt = TextSpans.NextLineStart(text, Span(kv).End - 1);
            }
        }
        return root;
    }

    /// <summary>The map at path[..count], created (implicit) when missing.</summary>
    static SNode Walk(SNode from, List<string> path, int count, bool create, string text)
    {
        var node = from;
        for (int i = 0; i < count; i++)
        {
            var idx = node.FindLast(path[i]);
            if (idx < 0)
            {
                var child = new SNode { Kind = NodeKind.Map, Start = text.Length, End = text.Length, Tag = new Info(Where.Implicit, path.Take(i + 1).ToList()) };
                node.Entries.Add(new SEntry(path[i], -1, -1, child));
                node = child;
                continue;
            }
            node = node.Entries[idx].Value;
            if (node.Kind == NodeKind.Seq && node.Items.Count > 0) node = node.Items[^1]; // [[a]] then [a.b]: the last item
        }
        return node;
    }

    void AddKeyValue(string text, SNode map, KeyValueSyntax kv, int depth)
    {
        if (depth > MaxDepth) throw Invalid("TOML", $"nested deeper than {MaxDepth} levels");
        var segs = Segments(kv.Key!);
        var (kvStart, kvEnd) = Span(kv);
        var node = map;
        var mapInfo = map.Tag as Info;
        for (int i = 0; i < segs.Count - 1; i++)
        {
            var idx = node.FindLast(segs[i]);
            SNode child;
            if (idx < 0)
            {
                var prefix = string.Join(".", segs.Take(i + 1).Select(TomlText.Key));
                var basePath = mapInfo?.Path ?? [];
                child = new SNode { Kind = NodeKind.Map, Start = kvStart, End = kvEnd, Flow = map.Flow, Tag = new Info(map.Flow ? Where.Inline : Where.Dotted, [.. basePath, .. segs.Take(i + 1)]) { DottedPrefix = prefix } };
                node.Entries.Add(new SEntry(segs[i], -1, -1, child));
            }
            else child = node.Entries[idx].Value;
            if (child.Tag is Info ci && ci.Where == Where.Dotted) ci.InsertAt = TextSpans.NextLineStart(text, kvEnd - 1);
            node = child;
        }
        if (node.FindLast(segs[^1]) >= 0)
            throw Invalid("TOML", $"the key `{string.Join(".", segs)}` is defined twice", kv.Span.Start.Line + 1);
        var value = ValueNode(text, kv.Value!, mapInfo?.Path ?? [], depth);
        node.Entries.Add(new SEntry(segs[^1], kvStart, kvEnd, value));
    }

    SNode ValueNode(string text, ValueSyntax value, List<string> path, int depth)
    {
        var (start, end) = Span(value);
        switch (value)
        {
            case InlineTableSyntax it:
                var map = new SNode { Kind = NodeKind.Map, Start = start, End = end, Flow = true, Tag = new Info(Where.Inline, path) };
                foreach (var item in it.Items) AddKeyValue(text, map, item.KeyValue!, depth + 1);
                return map;
            case ArraySyntax a:
                var seq = new SNode { Kind = NodeKind.Seq, Start = start, End = end, Flow = true };
                foreach (var item in a.Items) seq.Items.Add(ValueNode(text, item.Value!, path, depth + 1));
                return seq;
            default:
                var quote = text[start] is '\'' or '"' ? text[start] : '\0';
                if (quote != '\0' && end - start >= 6 && text.AsSpan(start, 3).SequenceEqual(new string(quote, 3))) quote = 'M'; // multi-line string
                return new SNode { Kind = NodeKind.Scalar, Start = start, End = end, Quote = quote, Scalar = JsonValue.Create(text[start..end]) };
        }
    }

    protected override Splice ReplaceValue(string text, SNode? parent, SEntry? entry, SNode node, JsonNode? value)
    {
        if (node.Tag is Info { Where: not Where.Inline } info && !node.Flow)
            throw ReshError.Conflict($"`{KeyPath.Of(info.Path)}` is a table written as [section] or dotted keys; set its keys one by one, or use merge.",
                "Example: key=" + string.Join(".", info.Path) + ".name value=x").ToException();
        if (node.Kind == NodeKind.Seq && !node.Flow)
            throw ReshError.Conflict("An array of tables ([[name]]) is replaced item by item.", "Set name[0].key, or delete the array first.").ToException();
        return new Splice(node.Start, node.End, TomlText.Inline(value, node.Quote));
    }

    protected override Splice InsertEntry(string text, SNode map, string key, JsonNode? value)
    {
        var info = (Info?)map.Tag ?? new Info(Where.Implicit, []);
        var nl = TextSpans.Newline(text);
        if (map.Flow)
        {
            if (map.Entries.Count == 0) return new Splice(map.Start, map.End, "{ " + TomlText.Key(key) + " = " + TomlText.Inline(value) + " }");
            var last = map.Entries[^1].Value;
            return new Splice(last.End, last.End, ", " + TomlText.Key(key) + " = " + TomlText.Inline(value));
        }
        if (value is JsonObject { Count: > 0 } obj && info.Where is Where.Root or Where.Table or Where.TableArrayItem or Where.Implicit)
        {
            // A new table: a [section] at the end, as an operator would add it.
            var sb = new StringBuilder();
            TomlText.Table(sb, obj, [.. info.Path, key]);
            return AtEnd(text, sb.ToString().TrimStart('\n'), nl);
        }
        var line = TomlText.Key(key) + " = " + TomlText.Inline(value);
        switch (info.Where)
        {
            case Where.Dotted:
                return new Splice(info.InsertAt, info.InsertAt, Prefix(text, info.InsertAt, nl) + info.DottedPrefix + "." + line + nl);
            case Where.Implicit:
                return AtEnd(text, "[" + string.Join(".", info.Path.Select(TomlText.Key)) + "]" + nl + line + nl, nl);
            default:
                var at = info.InsertAt;
                return new Splice(at, at, Prefix(text, at, nl) + line + nl);
        }
    }

    static string Prefix(string text, int at, string nl) => at > 0 && at == text.Length && text[^1] != '\n' ? nl : "";

    static Splice AtEnd(string text, string block, string nl)
    {
        var sep = text.Length == 0 ? "" : text.EndsWith('\n') ? nl : nl + nl;
        return new Splice(text.Length, text.Length, sep + block.Replace("\n", nl, StringComparison.Ordinal));
    }

    protected override Splice AppendItem(string text, SNode seq, JsonNode? value)
    {
        var nl = TextSpans.Newline(text);
        if (!seq.Flow && seq.Tag is Info info)
        {
            if (value is not JsonObject o) throw ReshError.Usage("An array of tables ([[name]]) takes tables.", "Pass value:={\"key\": ...}.").ToException();
            var sb = new StringBuilder();
            TomlText.Table(sb, o, info.Path, arrayItem: true);
            return AtEnd(text, sb.ToString().TrimStart('\n'), nl);
        }
        if (seq.Items.Count == 0) return new Splice(seq.Start, seq.End, "[" + TomlText.Inline(value) + "]");
        var last = seq.Items[^1];
        return new Splice(last.End, last.End, ", " + TomlText.Inline(value, last.Quote));
    }

    protected override Splice RemoveEntry(string text, SNode map, int index)
    {
        var e = map.Entries[index];
        if (map.Flow) return FlowRemove(map.Entries.Select(x => (x.KeyStart, x.Value.End)).ToList(), index, map);
        if (e.KeyStart < 0 || (e.Value.Tag is Info { Where: not Where.Inline } && !e.Value.Flow) || (e.Value.Kind == NodeKind.Seq && !e.Value.Flow))
            throw new TableRemoval(e.Value);
        return new Splice(TextSpans.LineStart(text, e.KeyStart), TextSpans.NextLineStart(text, e.Value.End - 1), "");
    }

    protected override Splice RemoveItem(string text, SNode seq, int index)
    {
        if (!seq.Flow) throw new TableRemoval(seq.Items[index]);
        return FlowRemove(seq.Items.Select(x => (x.Start, x.End)).ToList(), index, seq);
    }

    static Splice FlowRemove(List<(int Start, int End)> members, int index, SNode container)
    {
        var (start, end) = members[index];
        if (members.Count == 1) return new Splice(container.Start + 1, container.End - 1, "");
        if (index + 1 < members.Count) return new Splice(start, members[index + 1].Start, "");
        return new Splice(members[index - 1].End, end, "");
    }

    /// <summary>Deleting a table: every line that defines it (its [sections], sub-sections and dotted keys) goes.</summary>
    sealed class TableRemoval(SNode node) : Exception { public SNode Node { get; } = node; }

    public override string? Delete(string text, KeyPath path)
    {
        try
        {
            return base.Delete(text, path);
        }
        catch (TableRemoval r)
        {
            var ranges = new List<(int Start, int End)>();
            Collect(text, r.Node, ranges);
            var merged = new List<(int Start, int End)>();
            foreach (var r2 in ranges.OrderBy(x => x.Start))
            {
                if (merged.Count > 0 && r2.Start <= merged[^1].End) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, r2.End));
                else merged.Add(r2);
            }
            var sb = new StringBuilder(text);
            for (int i = merged.Count - 1; i >= 0; i--) sb.Remove(merged[i].Start, merged[i].End - merged[i].Start);
            return sb.ToString();
        }
    }

    static void Collect(string text, SNode node, List<(int, int)> ranges)
    {
        if (node.Tag is Info info) ranges.AddRange(info.Sections);
        foreach (var e in node.Entries)
        {
            if (e.KeyStart >= 0 && !(e.Value.Tag is Info { Where: Where.Table or Where.TableArrayItem }))
                ranges.Add((TextSpans.LineStart(text, e.KeyStart), TextSpans.NextLineStart(text, e.Value.End - 1)));
            if (!e.Value.Flow) Collect(text, e.Value, ranges);
        }
        foreach (var item in node.Items) if (!item.Flow) Collect(text, item, ranges);
    }
}
