using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Text;

namespace Resh.Core.Output;

/// <summary>
/// The human view of an envelope (SPEC §4): a result object as aligned key/value rows, lists of
/// records as column tables (kubectl style) that fit the terminal, trees (records with `children`)
/// drawn as trees, sizes and durations in human units, long text as a block, and errors in red with
/// their hint. Text from data is escaped (<see cref="TerminalText"/>): nothing in a result can send
/// a control sequence to the terminal. It only reads the envelope; the JSON keeps exact values.
/// </summary>
public sealed class TableRenderer(Ansi ansi, int? width = null, FieldUnits? units = null, IReadOnlyList<string>? columns = null)
{
    const int BlockThreshold = 120;
    const int MaxCell = 60;
    readonly FieldUnits _units = units ?? FieldUnits.None;

    public string Render(Envelope env)
    {
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        Render(env, text);
        return text.ToString();
    }

    /// <summary>
    /// Writes the view to <paramref name="output"/>. A verb's own view goes out as the verb writes it (a
    /// listing of a whole tree streams); the generic views are built first (their columns are sized from
    /// every row), which is bounded because the results they show are.
    /// </summary>
    public void Render(Envelope env, TextWriter output)
    {
        var sb = new StringBuilder();
        if (!env.Ok && env.Error is { } e)
        {
            // A partial failure (a fleet with some hosts down) shows what did happen before the error.
            if (env.HasResult) RenderResult(sb, env);
            RenderError(sb, env, e);
            output.Write(sb);
            return;
        }

        // A verb's own view, unless the caller picked columns (they name JSON fields, which the generic view shows).
        if (env.Human is not null && env.Result is not null && columns is null)
        {
            var escaped = new EscapingWriter(output);
            env.Human(env.Result, escaped);
            if (escaped.Last is not (null or '\n')) output.Write('\n');
        }
        else
        {
            RenderNode(sb, env.ResultAsNode(), 0, top: true);
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
        }

        var footer = new List<string>();
        if (env.DryRun) footer.Add(ansi.Yellow(env.Changed ? "dry run: would change" : "dry run: no change needed"));
        else if (env.Mutating) footer.Add(env.Changed ? ansi.Yellow("changed") : ansi.Dim("unchanged"));
        if (env.Host != "local") footer.Add(ansi.Dim("host " + Esc(env.Host)));
        if (footer.Count > 0) sb.Append(string.Join(ansi.Dim(" · "), footer)).Append('\n');
        foreach (var w in env.Warnings) sb.Append(ansi.Yellow("warning: ")).Append(Esc(w)).Append('\n');
        output.Write(sb);
    }

    void RenderResult(StringBuilder sb, Envelope env)
    {
        if (env.Human is not null && env.Result is not null && columns is null)
        {
            var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            env.Human(env.Result, new EscapingWriter(text));
            sb.Append(text.GetStringBuilder());
        }
        else
            RenderNode(sb, env.ResultAsNode(), 0, top: true);
    }

    /// <summary>Escapes each piece of a verb's own view as it is written (<see cref="TerminalText"/> works character by character).</summary>
    sealed class EscapingWriter(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        /// <summary>The last character written, or null.</summary>
        public char? Last { get; private set; }

        public override void Write(char value) => Write(value.ToString());

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            inner.Write(TerminalText.Escape(value, keepNewlines: true));
            Last = value[^1];
        }
    }

    void RenderError(StringBuilder sb, Envelope env, ReshError e)
    {
        sb.Append(ansi.Red(ansi.Bold($"error[{e.Code.ToWire()}]"))).Append(ansi.Red(": " + Esc(e.Message))).Append('\n');
        if (e.Hint is not null) sb.Append(ansi.Cyan("hint: ")).Append(Esc(e.Hint)).Append('\n');
        if (e.Details is { Count: > 0 } d)
        {
            foreach (var (k, v) in d)
            {
                if (v is JsonValue || v is null)
                    sb.Append(ansi.Dim($"  {Esc(k)}: {Cell(k, v)}")).Append('\n');
                else if (v is JsonArray arr && arr.All(x => x is JsonValue))
                    sb.Append(ansi.Dim($"  {Esc(k)}: {string.Join(", ", arr.Select(x => Cell(k, x)))}")).Append('\n');
                else
                    sb.Append(ansi.Dim($"  {Esc(k)}:")).Append('\n').Append(ansi.Dim(Indent(TerminalText.Escape(Block(v), keepNewlines: true), 4)));
            }
        }
        foreach (var w in env.Warnings) sb.Append(ansi.Yellow("warning: ")).Append(Esc(w)).Append('\n');
    }

    void RenderNode(StringBuilder sb, JsonNode? node, int indent, bool top = false)
    {
        switch (node)
        {
            case null:
                break;
            case JsonObject obj:
                RenderObject(sb, obj, indent, top);
                break;
            case JsonArray arr when arr.Count > 0 && arr.All(x => x is JsonObject):
                RenderTable(sb, arr, indent);
                break;
            case JsonArray arr:
                foreach (var item in arr) sb.Append(' ', indent).Append(Cell("", item)).Append('\n');
                break;
            case JsonValue v:
                var text = v.GetValueKind() == JsonValueKind.String ? TerminalText.Escape(v.GetValue<string>(), keepNewlines: true) : Cell("", v);
                sb.Append(text);
                if (!text.EndsWith('\n')) sb.Append('\n');
                break;
        }
    }

    void RenderObject(StringBuilder sb, JsonObject obj, int indent, bool top)
    {
        // With --columns, a result holding a list is shown as that list's table alone; without a list,
        // the columns pick the rows of the object view.
        var hasList = obj.Any(kv => kv.Value is JsonArray a && a.Count > 0 && a.All(x => x is JsonObject));
        if (top && columns is not null && hasList)
        {
            var list = (JsonArray)obj.First(kv => kv.Value is JsonArray a && a.Count > 0 && a.All(x => x is JsonObject)).Value!;
            RenderTable(sb, list, indent);
            return;
        }
        var rows = new List<(string Key, string Value)>();
        var blocks = new List<(string Key, JsonNode Node)>();
        foreach (var (key, value) in obj)
        {
            if (top && columns is not null && !hasList && !Selected(key)) continue;
            switch (value)
            {
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && (v.GetValue<string>().Contains('\n') || v.GetValue<string>().Length > BlockThreshold):
                    blocks.Add((key, v));
                    break;
                case JsonArray a when a.Count > 0 && a.Any(x => x is JsonObject or JsonArray):
                    blocks.Add((key, a));
                    break;
                case JsonObject o when o.Count > 0 && o.Count <= 8 && o.All(kv => kv.Value is JsonValue or null):
                    rows.Add((key, string.Join("  ", o.Select(kv => $"{Esc(kv.Key)}={Cell(kv.Key, kv.Value)}"))));
                    break;
                case JsonObject o when o.Count > 0:
                    blocks.Add((key, o));
                    break;
                case JsonArray a:
                    rows.Add((key, a.Count == 0 ? ansi.Dim("-") : string.Join(", ", a.Select(x => Cell(key, x)))));
                    break;
                default:
                    // A humanised number drops the unit from its name (rss_bytes shows as rss  1.2 MiB).
                    rows.Add((value is JsonValue nv && nv.GetValueKind() == JsonValueKind.Number && _units.Of(key) is not null ? FieldUnits.HeaderOf(key) : key, Cell(key, value)));
                    break;
            }
        }
        if (rows.Count > 0)
        {
            var keyWidth = rows.Max(r => TerminalText.Width(Esc(r.Key)));
            var valueWidth = width is { } w ? w - indent - keyWidth - 2 : int.MaxValue;
            foreach (var (k, v) in rows)
            {
                sb.Append(' ', indent).Append(ansi.Bold(TerminalText.PadRight(Esc(k), keyWidth))).Append("  ");
                AppendWrapped(sb, v, valueWidth, indent + keyWidth + 2);
            }
        }
        foreach (var (key, node) in blocks)
        {
            sb.Append(' ', indent).Append(ansi.Bold(Esc(key) + ":")).Append('\n');
            if (node is JsonValue v)
            {
                var text = TerminalText.Escape(v.GetValue<string>(), keepNewlines: true);
                sb.Append(Indent(text.EndsWith('\n') ? text : text + "\n", indent + 2));
            }
            else RenderNode(sb, node, indent + 2);
        }
    }

    /// <summary>A value that does not fit the terminal continues on the next lines, under itself.</summary>
    static void AppendWrapped(StringBuilder sb, string value, int width, int hang)
    {
        if (width < 20 || TerminalText.Width(value) <= width || value.Contains('\x1b'))
        {
            sb.Append(value).Append('\n');
            return;
        }
        var rest = value;
        var first = true;
        while (rest.Length > 0)
        {
            var take = Math.Min(rest.Length, width);
            if (take < rest.Length)
            {
                var space = rest.LastIndexOf(' ', take - 1, take);
                if (space > width / 2) take = space + 1;
            }
            if (!first) sb.Append(' ', hang);
            sb.Append(rest.AsSpan(0, take).TrimEnd()).Append('\n');
            rest = rest[take..];
            first = false;
        }
    }

    void RenderTable(StringBuilder sb, JsonArray items, int indent)
    {
        // Records with `children` records are a tree (proc.tree): one row per node, the name drawn as a tree.
        var rows = new List<(JsonObject Row, string Prefix)>();
        var tree = items.OfType<JsonObject>().Any(r => r["children"] is JsonArray c && c.All(x => x is JsonObject));
        if (tree)
            foreach (var item in items) Flatten((JsonObject)item!, "", "", rows, 0);
        else
            foreach (var item in items) rows.Add(((JsonObject)item!, ""));

        var keys = new List<string>();
        foreach (var (row, _) in rows.Take(200))
            foreach (var (k, v) in row)
                if (!keys.Contains(k) && !(tree && k == "children") && (v is not JsonObject and not JsonArray || IsSmall(v) || IsError(v)))
                    keys.Add(k);
        if (columns is not null)
        {
            var chosen = new List<string>();
            foreach (var c in columns)
                if (keys.FirstOrDefault(k => Matches(k, c)) is { } k && !chosen.Contains(k)) chosen.Add(k);
            keys = chosen;
        }
        if (keys.Count == 0) return;

        var treeColumn = tree ? TreeColumn(keys) : -1;
        var table = new TableLayout(keys.Select(k => FieldUnits.HeaderOf(k).ToUpperInvariant()).ToList());
        var numeric = new bool[keys.Count];
        for (int i = 0; i < keys.Count; i++)
            numeric[i] = rows.All(r => !r.Row.TryGetPropertyValue(keys[i], out var v) || v is null || v is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number);
        foreach (var (row, prefix) in rows)
        {
            var cells = new string[keys.Count];
            for (int i = 0; i < keys.Count; i++)
            {
                var cell = row.TryGetPropertyValue(keys[i], out var v) ? Cell(keys[i], v, oneLine: true) : "";
                if (i == treeColumn) cell = prefix + cell;
                cells[i] = width is null ? Clip(cell) : cell;
            }
            table.Add(cells);
        }
        for (int i = 0; i < keys.Count; i++) if (numeric[i] && i != treeColumn) table.AlignRight(i);
        sb.Append(table.Render(indent, ansi.Bold, width));
    }

    static void Flatten(JsonObject node, string lead, string branch, List<(JsonObject, string)> rows, int depth)
    {
        rows.Add((node, lead + branch));
        if (depth > 512 || node["children"] is not JsonArray kids) return;
        var childLead = lead + (branch.Length == 0 ? "" : branch == "└─ " ? "   " : "│  ");
        for (int i = 0; i < kids.Count; i++)
            if (kids[i] is JsonObject k) Flatten(k, childLead, i == kids.Count - 1 ? "└─ " : "├─ ", rows, depth + 1);
    }

    static int TreeColumn(List<string> keys)
    {
        foreach (var name in (ReadOnlySpan<string>)["name", "command", "path"])
        {
            var i = keys.IndexOf(name);
            if (i >= 0) return i;
        }
        return 0;
    }

    bool Selected(string key) => columns!.Any(c => Matches(key, c));

    /// <summary>A requested column matches a field by its name or by its header (rss for rss_bytes), case-insensitively.</summary>
    public static bool Matches(string key, string requested) =>
        string.Equals(key, requested, StringComparison.OrdinalIgnoreCase)
        || string.Equals(FieldUnits.HeaderOf(key), requested, StringComparison.OrdinalIgnoreCase)
        || string.Equals(key, requested.Replace('-', '_'), StringComparison.OrdinalIgnoreCase);

    static bool IsSmall(JsonNode? v) => v is JsonArray a && a.Count <= 4 && a.All(x => x is JsonValue);

    /// <summary>
    /// An error as envelopes write it (<c>{"code", "message", ...}</c>): a row's outcome, so a column of its own, shown as
    /// <c>code: message</c> (a pipeline's items, s42 user D6: when every item shown had failed, the column was dropped).
    /// </summary>
    static bool IsError(JsonNode? v) =>
        v is JsonObject o && o["code"] is JsonValue c && c.GetValueKind() == JsonValueKind.String && o["message"] is JsonValue m && m.GetValueKind() == JsonValueKind.String;

    static string Clip(string s) => TerminalText.Truncate(s, MaxCell);

    static string Esc(string s) => TerminalText.Escape(s);

    /// <summary>One value as a cell: strings escaped, numbers with a unit humanised, null as "-".</summary>
    string Cell(string key, JsonNode? v, bool oneLine = false)
    {
        switch (v)
        {
            case null:
                return "-";
            case JsonValue jv when jv.GetValueKind() == JsonValueKind.String:
                var s = jv.GetValue<string>();
                return oneLine ? Esc(s.ReplaceLineEndings("⏎")) : Esc(s);
            case JsonValue jv when jv.GetValueKind() == JsonValueKind.Number:
                if (_units.Of(key) is { } unit && jv.TryGetValue<double>(out var d)) return FieldUnits.Humanize(d, unit);
                return jv.ToJsonString();
            case JsonArray a when a.All(x => x is JsonValue):
                return string.Join(",", a.Select(x => Cell(key, x, oneLine)));
            case JsonObject o when IsError(o):
                var message = o["code"]!.GetValue<string>() + ": " + o["message"]!.GetValue<string>();
                return oneLine ? Esc(message.ReplaceLineEndings("⏎")) : Esc(message);
            default:
                return Esc(v.ToJsonString());
        }
    }

    static string Block(JsonNode? v) => (v?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null") + "\n";

    static string Indent(string text, int n)
    {
        var pad = new string(' ', n);
        var sb = new StringBuilder();
        foreach (var line in text.TrimEnd('\n').Split('\n')) sb.Append(pad).Append(line).Append('\n');
        return sb.ToString();
    }
}
