using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Backup;

/// <summary>Reading restic's --json output and its messages.</summary>
public static class ResticOutput
{
    /// <summary>The line that says what went wrong: the last `Fatal:` line, else the last non-empty line.</summary>
    public static string LastError(string stderr, string stdout)
    {
        var lines = (stderr.Trim().Length > 0 ? stderr : stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var fatal = lines.LastOrDefault(l => l.StartsWith("Fatal:", StringComparison.Ordinal));
        var line = fatal is not null ? fatal["Fatal:".Length..].Trim() : lines.LastOrDefault() ?? "no message";
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    /// <summary>Each line that is a JSON object (restic mixes none in with --json, but a warning may come on stdout).</summary>
    public static IEnumerable<JsonObject> Lines(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith('{')) continue;
            JsonObject? o = null;
            try { o = JsonNode.Parse(line) as JsonObject; } catch (JsonException) { }
            if (o is not null) yield return o;
        }
    }

    public static JsonNode? Parse(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return null; }
    }

    /// <summary>A restic snapshot object as resh's snapshot.</summary>
    public static BackupSnapshot Snapshot(JsonObject s) => new(
        Str(s, "short_id") ?? Short(Str(s, "id")), Str(s, "id") ?? "", Str(s, "time") ?? "", Str(s, "hostname"), Str(s, "username"),
        StrList(s["paths"]), StrList(s["tags"]), null);

    public static string Short(string? id) => id is null ? "" : id.Length > 8 ? id[..8] : id;

    public static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static long Long(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<double>(out var d) ? (long)d : 0;

    public static IReadOnlyList<string> StrList(JsonNode? n) =>
        n is JsonArray a ? a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList() : [];

    /// <summary>Permission bits from Go's os.FileMode (setuid 1&lt;&lt;23, setgid 1&lt;&lt;22, sticky 1&lt;&lt;20 → 04000, 02000, 01000).</summary>
    public static string Mode(long goMode)
    {
        var m = goMode & 0x1ff;
        if ((goMode & (1L << 23)) != 0) m |= 0x800;
        if ((goMode & (1L << 22)) != 0) m |= 0x400;
        if ((goMode & (1L << 20)) != 0) m |= 0x200;
        return Convert.ToString(m, 8).PadLeft(4, '0');
    }
}
