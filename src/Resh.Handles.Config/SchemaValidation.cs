using System.Text.Json.Nodes;

namespace Resh.Handles.Config;

/// <summary>config://'s JSON Schema validator for other handles (plugin://.test checks plugin requests and results with it).</summary>
public static class SchemaValidation
{
    /// <summary>The problems of <paramref name="data"/> against <paramref name="schema"/>, as "AT: message" ("(root)" for the top).</summary>
    public static IReadOnlyList<string> Problems(JsonNode schema, JsonNode? data) =>
        SchemaCheck.Validate(schema, data, reveal: true).Errors.Select(e => $"{(e.Instance.Length == 0 ? "(root)" : e.Instance)}: {e.Message}").ToList();
}
