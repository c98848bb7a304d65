using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Core.Output;

/// <summary>
/// SPEC §4 ndjson: the result's items one JSON object per line, then one line with the envelope whose
/// <c>result</c> is reduced to a summary. The items are the result's list: the first field holding
/// records (a result that is itself a list counts too); records with `children` (a tree) are
/// flattened depth-first with a <c>depth</c> field. The summary keeps the result's other fields and
/// adds <c>count</c> (the number of item lines) unless the result has one. A result without a list
/// prints the envelope alone, as json does.
/// </summary>
public static class NdjsonLines
{
    /// <param name="envelopeJson">The whole envelope, compact, as the json format prints it.</param>
    /// <param name="itemsAlreadyStreamed">Items went out as events while the verb ran (a fleet's host envelopes): print only the summary.</param>
    public static void Write(Stream stdout, ReadOnlySpan<byte> envelopeJson, bool itemsAlreadyStreamed)
    {
        var env = JsonNode.Parse(envelopeJson) as JsonObject;
        var result = env?["result"];
        if (env is null || !TryFindList(result, out var key, out var items))
        {
            stdout.Write(envelopeJson);
            stdout.Write("\n"u8);
            return;
        }

        var lines = new ArrayBufferWriter<byte>(4096);
        int count = 0;
        using (var w = new Utf8JsonWriter(lines, EnvelopeJson.WriterOptions(false)))
        {
            foreach (var item in Flatten(items))
            {
                count++;
                if (itemsAlreadyStreamed) continue;
                item.WriteTo(w);
                w.Flush();
                lines.Write("\n"u8);
                w.Reset();
                if (lines.WrittenCount > 1 << 16) { stdout.Write(lines.WrittenSpan); lines.Clear(); }
            }
        }
        stdout.Write(lines.WrittenSpan);

        JsonObject summary;
        if (result is JsonObject obj)
        {
            summary = new JsonObject();
            foreach (var (k, v) in obj) if (k != key) summary[k] = v?.DeepClone();
        }
        else summary = new JsonObject();
        if (!summary.ContainsKey("count")) summary["count"] = count;
        env["result"] = summary;

        lines.Clear();
        using (var w = new Utf8JsonWriter(lines, EnvelopeJson.WriterOptions(false))) env.WriteTo(w);
        lines.Write("\n"u8);
        stdout.Write(lines.WrittenSpan);
    }

    /// <summary>The list of a result: itself when it is an array, else its first field holding records (a non-empty one first).</summary>
    public static bool TryFindList(JsonNode? result, out string? key, out JsonArray items)
    {
        key = null;
        items = null!;
        if (result is JsonArray direct && direct.All(x => x is JsonObject)) { items = direct; return true; }
        if (result is not JsonObject obj) return false;
        string? emptyKey = null;
        foreach (var (k, v) in obj)
        {
            if (v is not JsonArray a) continue;
            if (a.Count == 0) { emptyKey ??= k; continue; }
            if (a.All(x => x is JsonObject)) { key = k; items = a; return true; }
        }
        if (emptyKey is null) return false;
        key = emptyKey;
        items = (JsonArray)obj[emptyKey]!;
        return true;
    }

    static IEnumerable<JsonObject> Flatten(JsonArray items)
    {
        var stack = new Stack<(JsonObject Node, int Depth)>();
        for (int i = items.Count - 1; i >= 0; i--) if (items[i] is JsonObject o) stack.Push((o, 0));
        var tree = items.Any(x => x is JsonObject o && o["children"] is JsonArray);
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (!tree) { yield return node; continue; }
            var flat = new JsonObject();
            foreach (var (k, v) in node) if (k != "children") flat[k] = v?.DeepClone();
            flat["depth"] = depth;
            yield return flat;
            if (node["children"] is JsonArray kids && depth < 4096)
                for (int i = kids.Count - 1; i >= 0; i--) if (kids[i] is JsonObject c) stack.Push((c, depth + 1));
        }
    }
}
