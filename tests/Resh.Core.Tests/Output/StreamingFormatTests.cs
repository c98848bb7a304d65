using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Output;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Resh.Core.Tests.Output;

/// <summary>
/// ndjson and YAML are made from the envelope's JSON while it is written (<see cref="JsonTokenStream"/>).
/// Their output must be byte for byte what the whole-tree renderers made before (kept here as the
/// reference), whatever the size of the result and wherever the chunks split the JSON.
/// </summary>
public sealed class StreamingFormatTests
{
    static readonly string[] Corpus =
    [
        """{"ok":true,"handle":"proc","verb":"list","target":"proc://","host":"local","changed":false,"dry_run":false,"result":{"count":2,"matched":5,"processes":[{"pid":1,"name":"init"},{"pid":2,"name":"k\u00e9\"t\\h\nr"}]},"error":null,"warnings":[],"duration_ms":1.5,"ts":"2026-12-05T20:00:00.000Z"}""",
        """{"id":{"n":[1,2]},"ok":true,"result":{"path":"/x","entries":[{"name":"a","size":1e3,"mode":"0755","link":null},{"name":"b","size":-0.5,"mode":"0644","link":"../c"}],"truncated":false},"error":null,"warnings":["w1","\u001b[31m"]}""",
        """{"ok":true,"result":{"roots":[{"pid":1,"children":[{"pid":2,"children":[{"pid":3,"children":[]}]},{"pid":4,"children":[]}]},{"pid":9,"children":[]}]},"error":null}""",
        """{"ok":true,"result":[{"a":1},{"a":2,"b":{"c":[1,{"d":[]}]}}],"error":null,"warnings":[]}""",
        """{"ok":true,"result":[],"error":null}""",
        """{"ok":true,"result":["a","b"],"error":null}""",
        """{"ok":true,"result":{"path":"/etc/hosts","size":3,"tags":["x","y"],"owner":{"uid":0,"name":"root"}},"error":null}""",
        """{"ok":true,"result":{"empty":[],"names":["a"],"items":[{"x":1}],"more":[{"y":2}],"count":7},"error":null}""",
        """{"ok":true,"result":{"first":[],"second":[],"path":"/"},"error":null,"warnings":["only empty lists"]}""",
        """{"ok":true,"result":null,"error":null}""",
        """{"ok":true,"result":"text\nwith lines","error":null}""",
        """{"ok":false,"result":{"hosts":[{"host":"a","ok":true},{"host":"b","ok":false,"error":{"code":"unreachable"}}]},"error":{"code":"partial","message":"1 of 2","details":{"failed":["b"]},"hint":null},"warnings":[],"duration_ms":12,"ts":"x"}""",
        """{"ok":true,"result":{"nested":{"list":[{"a":1}]},"list":[{"b":[{"c":1}]}],"n":1.25e-7},"error":null}""",
        """{"ok":true,"result":{"s":"12:30","y":"yes","o":"0755","d":"2026-12-05","e":"","t":"a\tb","u":"\ud83d\ude00 \u202e"},"error":null}""",
    ];

    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, Corpus.Length)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ndjson_lines_are_the_whole_tree_renderers_in_any_chunking(int i)
    {
        var json = Compact(Corpus[i]);
        foreach (var already in new[] { false, true })
        {
            var expected = ReferenceNdjson(json, already);
            Assert.Equal(expected, Ndjson(json, already, json.Length));
            foreach (var chunk in new[] { 1, 2, 3, 7, 64 })
                Assert.Equal(expected, Ndjson(json, already, chunk, scanEvery: 1));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Yaml_is_the_whole_tree_renderers_in_any_chunking(int i)
    {
        var json = Compact(Corpus[i]);
        var expected = ReferenceYaml(JsonNode.Parse(json));
        Assert.Equal(expected, YamlRenderer.Render(JsonNode.Parse(json)));
        foreach (var chunk in new[] { 1, 5, 64 })
            Assert.Equal(expected, Yaml(json, chunk, scanEvery: 1));
    }

    [Fact]
    public void A_large_list_streams_with_the_same_bytes()
    {
        // Far more than one 64 KiB chunk, with text that needs escaping split anywhere.
        var w = new ArrayBufferWriter<byte>();
        using (var j = new Utf8JsonWriter(w, EnvelopeJson.WriterOptions(false)))
        {
            j.WriteStartObject();
            j.WriteBoolean("ok", true);
            j.WriteStartObject("result");
            j.WriteString("path", "/big");
            j.WriteStartArray("entries");
            for (int n = 0; n < 20_000; n++)
            {
                j.WriteStartObject();
                j.WriteString("name", $"f{n}-\u00e9\u4e2d\"\\\t\ud83d\ude00");
                j.WriteNumber("size", n * 1031L);
                j.WriteString("mode", "0644");
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteNumber("count", 20_000);
            j.WriteEndObject();
            j.WriteNull("error");
            j.WriteEndObject();
        }
        var json = w.WrittenSpan.ToArray();
        var expected = ReferenceNdjson(json, false);
        Assert.Equal(20_001, expected.Count(c => c == '\n'));
        Assert.Equal(expected, Ndjson(json, false, 1000));
        Assert.Equal(expected, Ndjson(json, false, 4093, scanEvery: 1 << 16));
        var yaml = ReferenceYaml(JsonNode.Parse(json));
        Assert.Equal(yaml, Yaml(json, 4093, scanEvery: 1 << 16));
    }

    [Fact]
    public void Trees_deeper_than_the_default_reader_depth_flatten()
    {
        var sb = new StringBuilder("""{"ok":true,"result":{"roots":[""");
        for (int d = 0; d < 200; d++) sb.Append(CultureInfo.InvariantCulture, $$"""{"pid":{{d}},"children":[""");
        for (int d = 0; d < 200; d++) sb.Append("]}");
        sb.Append("]},\"error\":null}");
        var lines = Ndjson(Encoding.UTF8.GetBytes(sb.ToString()), false, 100).TrimEnd('\n').Split('\n');
        Assert.Equal(201, lines.Length);
        Assert.Equal(199, JsonNode.Parse(lines[199])!["depth"]!.GetValue<int>());
        Assert.Equal(200, JsonNode.Parse(lines[200])!["result"]!["count"]!.GetValue<int>());
    }

    static byte[] Compact(string json)
    {
        var w = new ArrayBufferWriter<byte>();
        using (var j = new Utf8JsonWriter(w, EnvelopeJson.WriterOptions(false))) JsonNode.Parse(json)!.WriteTo(j);
        return w.WrittenSpan.ToArray();
    }

    static void Feed(JsonTokenStream sink, byte[] json, int chunk)
    {
        for (int at = 0; at < json.Length; at += chunk)
            sink.Write(json.AsSpan(at, Math.Min(chunk, json.Length - at)));
        sink.Complete();
    }

    static string Ndjson(byte[] json, bool already, int chunk, int scanEvery = 1 << 16)
    {
        var output = new MemoryStream();
        var sink = NdjsonLines.Streaming(output, already, scanEvery);
        Feed(sink, json, chunk);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    static string Yaml(byte[] json, int chunk, int scanEvery)
    {
        var output = new MemoryStream();
        var sink = YamlRenderer.Streaming(output, scanEvery);
        Feed(sink, json, chunk);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    // ---- The renderers as they were before streaming: whole trees in memory. ----

    static string ReferenceNdjson(byte[] envelopeJson, bool itemsAlreadyStreamed)
    {
        var stdout = new MemoryStream();
        var env = JsonNode.Parse(envelopeJson) as JsonObject;
        var result = env?["result"];
        if (env is null || !NdjsonLines.TryFindList(result, out var key, out var items))
        {
            stdout.Write(envelopeJson);
            stdout.Write("\n"u8);
            return Encoding.UTF8.GetString(stdout.ToArray());
        }
        var lines = new ArrayBufferWriter<byte>(4096);
        int count = 0;
        using (var w = new Utf8JsonWriter(lines, EnvelopeJson.WriterOptions(false)))
        {
            foreach (var item in ReferenceFlatten(items))
            {
                count++;
                if (itemsAlreadyStreamed) continue;
                item.WriteTo(w);
                w.Flush();
                lines.Write("\n"u8);
                w.Reset();
            }
        }
        stdout.Write(lines.WrittenSpan);
        var summary = new JsonObject();
        if (result is JsonObject obj)
            foreach (var (k, v) in obj) if (k != key) summary[k] = v?.DeepClone();
        if (!summary.ContainsKey("count")) summary["count"] = count;
        env["result"] = summary;
        lines.Clear();
        using (var w = new Utf8JsonWriter(lines, EnvelopeJson.WriterOptions(false))) env.WriteTo(w);
        lines.Write("\n"u8);
        stdout.Write(lines.WrittenSpan);
        return Encoding.UTF8.GetString(stdout.ToArray());
    }

    static IEnumerable<JsonObject> ReferenceFlatten(JsonArray items)
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
            if (node["children"] is JsonArray kids)
                for (int i = kids.Count - 1; i >= 0; i--) if (kids[i] is JsonObject c) stack.Push((c, depth + 1));
        }
    }

    static string ReferenceYaml(JsonNode? root)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, true));
        ReferenceEmit(emitter, root);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    static void ReferenceEmit(IEmitter e, JsonNode? node)
    {
        switch (node)
        {
            case null:
                e.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject o:
                e.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                foreach (var (k, v) in o)
                {
                    e.Emit(YamlRenderer.StringScalar(k, key: true));
                    ReferenceEmit(e, v);
                }
                e.Emit(new MappingEnd());
                break;
            case JsonArray a:
                e.Emit(new SequenceStart(null, null, true, a.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var v in a) ReferenceEmit(e, v);
                e.Emit(new SequenceEnd());
                break;
            case JsonValue v:
                e.Emit(v.GetValueKind() switch
                {
                    JsonValueKind.String => YamlRenderer.StringScalar(v.GetValue<string>()),
                    JsonValueKind.True => new Scalar(null, null, "true", ScalarStyle.Plain, true, false),
                    JsonValueKind.False => new Scalar(null, null, "false", ScalarStyle.Plain, true, false),
                    JsonValueKind.Null => new Scalar(null, null, "null", ScalarStyle.Plain, true, false),
                    _ => new Scalar(null, null, v.ToJsonString(), ScalarStyle.Plain, true, false),
                });
                break;
        }
    }
}
