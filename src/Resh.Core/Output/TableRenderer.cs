using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Core.Output;

/// <summary>
/// The human view of an envelope: a result object as aligned key/value rows, lists of records as
/// column tables (kubectl style), long text as a block, and errors in red with their hint.
/// It only reads the envelope; the data itself is never reshaped for humans elsewhere.
/// </summary>
public sealed class TableRenderer(Ansi ansi, int maxWidth = 120)
{
    const int MaxCell = 60;

    public string Render(Envelope env)
    {
        var sb = new StringBuilder();
        if (!env.Ok && env.Error is { } e)
        {
            // A partial failure (a fleet with some hosts down) shows what did happen before the error.
            if (env.HasResult && env.Human is not null && env.Result is not null) sb.Append(env.Human(env.Result));
            else if (env.HasResult) RenderNode(sb, env.ResultAsNode(), 0);
            RenderError(sb, env, e);
            return sb.ToString();
        }

        if (env.Human is not null && env.Result is not null)
        {
            sb.Append(env.Human(env.Result));
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
        }
        else
        {
            RenderNode(sb, env.ResultAsNode(), 0);
        }

        var footer = new List<string>();
        if (env.DryRun) footer.Add(ansi.Yellow(env.Changed ? "dry run: would change" : "dry run: no change needed"));
        else if (env.Mutating) footer.Add(env.Changed ? ansi.Yellow("changed") : ansi.Dim("unchanged"));
        if (env.Host != "local") footer.Add(ansi.Dim("host " + env.Host));
        if (footer.Count > 0) sb.Append(string.Join(ansi.Dim(" · "), footer)).Append('\n');
        foreach (var w in env.Warnings) sb.Append(ansi.Yellow("warning: ")).Append(w).Append('\n');
        return sb.ToString();
    }

    void RenderError(StringBuilder sb, Envelope env, ReshError e)
    {
        sb.Append(ansi.Red(ansi.Bold($"error[{e.Code.ToWire()}]"))).Append(ansi.Red(": " + e.Message)).Append('\n');
        if (e.Hint is not null) sb.Append(ansi.Cyan("hint: ")).Append(e.Hint).Append('\n');
        if (e.Details is { Count: > 0 } d)
        {
            foreach (var (k, v) in d)
            {
                if (v is JsonValue || v is null)
                    sb.Append(ansi.Dim($"  {k}: {Scalar(v)}")).Append('\n');
                else if (v is JsonArray arr && arr.All(x => x is JsonValue))
                    sb.Append(ansi.Dim($"  {k}: {string.Join(", ", arr.Select(Scalar))}")).Append('\n');
                else
                    sb.Append(ansi.Dim($"  {k}:")).Append('\n').Append(ansi.Dim(Indent(Block(v), 4)));
            }
        }
        foreach (var w in env.Warnings) sb.Append(ansi.Yellow("warning: ")).Append(w).Append('\n');
    }

    void RenderNode(StringBuilder sb, JsonNode? node, int indent)
    {
        switch (node)
        {
            case null:
                break;
            case JsonObject obj:
                RenderObject(sb, obj, indent);
                break;
            case JsonArray arr when arr.Count > 0 && arr.All(x => x is JsonObject):
                RenderTable(sb, arr, indent);
                break;
            case JsonArray arr:
                foreach (var item in arr) sb.Append(' ', indent).Append(Scalar(item)).Append('\n');
                break;
            case JsonValue v:
                var text = Scalar(v);
                sb.Append(text);
                if (!text.EndsWith('\n')) sb.Append('\n');
                break;
        }
    }

    void RenderObject(StringBuilder sb, JsonObject obj, int indent)
    {
        var rows = new List<(string Key, string Value)>();
        var blocks = new List<(string Key, JsonNode Node)>();
        foreach (var (key, value) in obj)
        {
            switch (value)
            {
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && (v.GetValue<string>().Contains('\n') || v.GetValue<string>().Length > maxWidth):
                    blocks.Add((key, v));
                    break;
                case JsonArray a when a.Count > 0 && a.Any(x => x is JsonObject or JsonArray):
                    blocks.Add((key, a));
                    break;
                case JsonObject o when o.Count > 0 && o.Count <= 8 && o.All(kv => kv.Value is JsonValue or null):
                    rows.Add((key, string.Join("  ", o.Select(kv => $"{kv.Key}={Scalar(kv.Value)}"))));
                    break;
                case JsonObject o when o.Count > 0:
                    blocks.Add((key, o));
                    break;
                case JsonArray a:
                    rows.Add((key, a.Count == 0 ? ansi.Dim("-") : string.Join(", ", a.Select(Scalar))));
                    break;
                default:
                    rows.Add((key, Scalar(value)));
                    break;
            }
        }
        if (rows.Count > 0)
        {
            var width = rows.Max(r => r.Key.Length);
            foreach (var (k, v) in rows)
                sb.Append(' ', indent).Append(ansi.Bold(k.PadRight(width))).Append("  ").Append(v).Append('\n');
        }
        foreach (var (key, node) in blocks)
        {
            sb.Append(' ', indent).Append(ansi.Bold(key + ":")).Append('\n');
            if (node is JsonValue v)
            {
                var text = v.GetValue<string>();
                sb.Append(Indent(text.EndsWith('\n') ? text : text + "\n", indent + 2));
            }
            else RenderNode(sb, node, indent + 2);
        }
    }

    void RenderTable(StringBuilder sb, JsonArray rows, int indent)
    {
        var columns = new List<string>();
        foreach (var row in rows.OfType<JsonObject>().Take(200))
            foreach (var (k, v) in row)
                if (!columns.Contains(k) && v is not JsonObject and not JsonArray || !columns.Contains(k) && IsSmall(v))
                    columns.Add(k);
        if (columns.Count == 0) return;

        var cells = rows.OfType<JsonObject>()
            .Select(r => columns.Select(c => Clip(r.TryGetPropertyValue(c, out var v) ? Scalar(v) : "")).ToArray())
            .ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();

        sb.Append(' ', indent);
        for (int i = 0; i < columns.Count; i++)
        {
            var head = columns[i].ToUpperInvariant();
            sb.Append(ansi.Bold(i == columns.Count - 1 ? head : head.PadRight(widths[i]))).Append(i == columns.Count - 1 ? "" : "  ");
        }
        sb.Append('\n');
        foreach (var r in cells)
        {
            sb.Append(' ', indent);
            for (int i = 0; i < r.Length; i++)
                sb.Append(i == r.Length - 1 ? r[i] : r[i].PadRight(widths[i])).Append(i == r.Length - 1 ? "" : "  ");
            sb.Append('\n');
        }
    }

    static bool IsSmall(JsonNode? v) => v is JsonArray a && a.Count <= 4 && a.All(x => x is JsonValue);

    static string Clip(string s)
    {
        s = s.ReplaceLineEndings("⏎");
        return s.Length > MaxCell ? s[..(MaxCell - 1)] + "…" : s;
    }

    static string Scalar(JsonNode? v) => v switch
    {
        null => "-",
        JsonValue jv when jv.GetValueKind() == JsonValueKind.String => jv.GetValue<string>(),
        JsonValue jv when jv.GetValueKind() == JsonValueKind.Number && jv.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
        JsonArray a when a.All(x => x is JsonValue) => string.Join(",", a.Select(Scalar)),
        _ => v.ToJsonString(),
    };

    static string Block(JsonNode? v) => (v?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null") + "\n";

    static string Indent(string text, int n)
    {
        var pad = new string(' ', n);
        var sb = new StringBuilder();
        foreach (var line in text.TrimEnd('\n').Split('\n')) sb.Append(pad).Append(line).Append('\n');
        return sb.ToString();
    }
}
