using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;
using Resh.Core.Output;

namespace Resh.Handles.Net.Webhook;

/// <summary>
/// Runs a route's action: a resh stage in this process (NestedCall), its arguments rendered from the request's
/// document ({"payload": body JSON, "headers": {...}, "route", "delivery_id", "event", "path", "query"}). Placeholders
/// are only allowed in argument values, never in the stage, so a payload cannot choose what runs or on what.
/// </summary>
internal static class WebhookAction
{
    /// <summary>Checks an action stage when the listener starts (a bad one fails before anything listens).</summary>
    public static void Check(string stage, string what)
    {
        if (stage.Contains("{{", StringComparison.Ordinal))
            throw ReshError.Usage($"{what} `{stage}` has a placeholder in the stage.", "Placeholders go in action_args= values only, so a payload cannot pick the target: action=file:///tmp/x.write args:={\"content\":\"{{payload.ref}}\"}.").ToException();
        try { StageParser.Parse(stage); }
        catch (ReshException e) { throw ReshError.Usage($"{what} `{stage}` is not a stage: {e.Error.Message}", "Write SCHEME://TARGET.VERB, e.g. file:///tmp/last.write.").ToException(); }
    }

    public static async Task<Envelope> RunAsync(VerbContext ctx, string stage, JsonObject? templates, JsonObject document, CancellationToken ct)
    {
        var args = new JsonObject();
        if (templates is not null)
            foreach (var (k, v) in templates) args[k] = Render(v, document);
        return await NestedCall.RunAsync(ctx, stage, null!, args, ct).ConfigureAwait(false);
    }

    /// <summary>A template value: `{{a.b}}` alone keeps the field's JSON type; inside text it is the field's text.</summary>
    static JsonNode? Render(JsonNode? template, JsonObject doc)
    {
        if (template is JsonObject o) { var r = new JsonObject(); foreach (var (k, v) in o) r[k] = Render(v, doc); return r; }
        if (template is JsonArray a) return new JsonArray(a.Select(x => Render(x, doc)).ToArray());
        if (template is not JsonValue jv || !jv.TryGetValue<string>(out var text)) return template?.DeepClone();
        var t = text.Trim();
        if (t.StartsWith("{{", StringComparison.Ordinal) && t.EndsWith("}}", StringComparison.Ordinal) && t.IndexOf("{{", 2, StringComparison.Ordinal) < 0)
            return Lookup(doc, t[2..^2].Trim())?.DeepClone();
        var sb = new System.Text.StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf("{{", i, StringComparison.Ordinal);
            var close = open < 0 ? -1 : text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (open < 0 || close < 0) { sb.Append(text, i, text.Length - i); break; }
            sb.Append(text, i, open - i);
            var value = Lookup(doc, text[(open + 2)..close].Trim());
            sb.Append(value is JsonValue sv && sv.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "");
            i = close + 2;
        }
        return sb.ToString();
    }

    static JsonNode? Lookup(JsonObject doc, string path)
    {
        JsonNode? node = doc;
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(part, out var n) ? n : null,
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }
}
