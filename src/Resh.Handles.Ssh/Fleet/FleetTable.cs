using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Text;

namespace Resh.Handles.Ssh.Fleet;

/// <summary>The table view of a fleet envelope: one row per host, then the summary line.</summary>
public static class FleetTable
{
    public static string Render(object result)
    {
        if (result is not JsonObject r) return "";
        var rows = new List<string[]> { new[] { "HOST", "OK", "CHANGED", "MS", "RESULT / ERROR" } };
        if (r["hosts"] is JsonArray hosts)
        {
            foreach (var h in hosts.OfType<JsonObject>())
            {
                var ok = h["ok"] is JsonValue v && v.GetValue<bool>();
                var changed = h["changed"] is JsonValue c && c.GetValue<bool>();
                var ms = h["duration_ms"] is JsonValue d ? Math.Round(d.GetValue<double>()).ToString(CultureInfo.InvariantCulture) : "";
                var what = ok ? Brief(h["result"]) : $"{h["error"]?["code"]}: {h["error"]?["message"]}".ReplaceLineEndings("⏎");
                // Cells from data are escaped: a tab or a control character in a result never breaks the row.
                rows.Add([TerminalText.Escape(Str(h["host"])), ok ? "ok" : "FAILED", changed ? "yes" : "-", ms, Clip(TerminalText.Escape(what))]);
            }
        }
        var sb = new StringBuilder();
        if (rows.Count > 1)
        {
            var widths = Enumerable.Range(0, 4).Select(i => rows.Max(row => TerminalText.Width(row[i]))).ToArray();
            foreach (var row in rows)
                sb.Append(string.Join("  ", row.Take(4).Select((cell, i) => TerminalText.PadRight(cell, widths[i])))).Append("  ").Append(row[4]).Append('\n');
        }
        if (r["summary"] is JsonObject s)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{s["hosts"]} hosts: {s["ok"]} ok, {s["failed"]} failed, {s["unreachable"]} unreachable, {s["changed"]} changed");
            if (s["host_key_changed"] is JsonValue kc && kc.GetValue<int>() > 0) sb.Append(CultureInfo.InvariantCulture, $", {kc} HOST KEY CHANGED");
            if (s["slowest"] is JsonObject slow) sb.Append(CultureInfo.InvariantCulture, $"; slowest {Str(slow["host"])} ({slow["duration_ms"]} ms)");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A one-line view of a host's result: its scalar fields as key=value.</summary>
    static string Brief(JsonNode? result) => result switch
    {
        null => "-",
        JsonObject o => string.Join("  ", o.Where(kv => kv.Value is JsonValue or null).Take(6).Select(kv => $"{kv.Key}={Scalar(kv.Value)}")),
        JsonValue v => Scalar(v),
        _ => result.ToJsonString(),
    };

    static string Scalar(JsonNode? v) => v switch
    {
        null => "-",
        JsonValue jv when jv.GetValueKind() == JsonValueKind.String => jv.GetValue<string>().ReplaceLineEndings("⏎"),
        _ => v.ToJsonString(),
    };

    static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    static string Clip(string s) => s.Length > 100 ? s[..99] + "…" : s;
}
