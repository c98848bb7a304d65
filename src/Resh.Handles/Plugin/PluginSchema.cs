using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Plugin;

/// <summary>
/// JSON Schema checks for plugin://.test. The CLI's catalog hands in config://'s validator (SchemaCheck: the keywords
/// configuration schemas use, no library); without it a small check of type, required, enum, properties and items runs.
/// </summary>
public static class PluginSchema
{
    /// <summary>(schema, data) → problems as "AT: message"; set by the CLI's catalog.</summary>
    public static Func<JsonNode, JsonNode?, IReadOnlyList<string>>? Validator { get; set; }

    public static IReadOnlyList<string> Validate(JsonNode schema, JsonNode? data)
    {
        if (Validator is { } v) return v(schema, data);
        var problems = new List<string>();
        Check(schema, data, "", problems, 0);
        return problems;
    }

    static void Check(JsonNode? schema, JsonNode? data, string at, List<string> problems, int depth)
    {
        if (schema is not JsonObject s || depth > 64) return;
        var where = at.Length == 0 ? "(root)" : at;
        if (s["type"] is JsonValue tv && tv.TryGetValue<string>(out var type) && !(type == "null" ? data is null : PluginManifest.Matches(type, data)))
        {
            problems.Add($"{where}: expected {type}.");
            return;
        }
        if (s["enum"] is JsonArray en && !en.Any(e => JsonNode.DeepEquals(e, data))) problems.Add($"{where}: not one of {en.ToJsonString()}.");
        if (data is JsonObject o)
        {
            if (s["required"] is JsonArray req)
                foreach (var r in req)
                    if (r is JsonValue rv && rv.TryGetValue<string>(out var rn) && !o.ContainsKey(rn)) problems.Add($"{where}: `{rn}` is required.");
            var props = s["properties"] as JsonObject;
            foreach (var (k, val) in o)
            {
                if (props is not null && props.TryGetPropertyValue(k, out var ps)) Check(ps, val, at + "/" + k, problems, depth + 1);
                else if (s["additionalProperties"] is JsonValue ap && ap.GetValueKind() == JsonValueKind.False) problems.Add($"{at}/{k}: not allowed.");
            }
        }
        if (data is JsonArray a && s["items"] is JsonObject items)
            for (int i = 0; i < a.Count; i++) Check(items, a[i], $"{at}/{i}", problems, depth + 1);
    }
}
