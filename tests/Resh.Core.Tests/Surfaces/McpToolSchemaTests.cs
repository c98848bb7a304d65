using System.Text.Json.Nodes;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Resh.Surfaces.Mcp;
using Xunit;

namespace Resh.Core.Tests.Surfaces;

/// <summary>What tools/list says about each verb, checked for every verb of the real registry.</summary>
public sealed class McpToolSchemaTests
{
    static readonly Registry.HandleRegistry Real = Resh.Cli.HandleCatalog.Build();

    public static TheoryData<string> AllVerbs()
    {
        var data = new TheoryData<string>();
        foreach (var h in Real.Visible) foreach (var v in h.Verbs) data.Add(v.FullName);
        return data;
    }

    static McpTool Tool(string fullName)
    {
        var dot = fullName.IndexOf('.');
        var h = Real.Find(fullName[..dot])!;
        return new McpTool(h, h.FindVerb(fullName[(dot + 1)..])!);
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_envelope_schema_reference_resolves(string name)
    {
        var schema = SchemaBuilder.EnvelopeSchema(Tool(name).Verb);
        foreach (var r in Refs(schema))
        {
            Assert.StartsWith("#/", r);
            JsonNode? node = schema;
            foreach (var part in r[2..].Split('/'))
                node = node is JsonArray a ? a[int.Parse(part)] : node?[part.Replace("~1", "/").Replace("~0", "~")];
            Assert.True(node is JsonObject, $"{name}: {r} does not resolve");
        }
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_tool_has_target_host_and_dry_run_where_they_belong(string name)
    {
        var tool = Tool(name);
        var json = tool.ToJson();
        var props = json["inputSchema"]!["properties"]!.AsObject();
        Assert.Equal("string", props["target"]!["type"]!.GetValue<string>());
        Assert.Equal(tool.Verb.Effect != Effect.Read, props.ContainsKey("dry_run"));
        // host runs it through ssh://, unless the verb has a `host` argument of its own (cert.verify) or is ssh:// itself.
        Assert.Equal(tool.Handle.Scheme != "ssh" && tool.Verb.FindArg("host") is null, props.ContainsKey("host"));
        Assert.Equal(tool.Verb.Effect == Effect.Read, json["annotations"]!["readOnlyHint"]!.GetValue<bool>());
        Assert.Equal(Resh.Surfaces.Mcp.McpDestructive.Is(tool.Verb), json["annotations"]!["destructiveHint"]!.GetValue<bool>()); // Effect.Destroy and the irreversible verbs confirmed as destructive
        Assert.Equal("object", json["outputSchema"]!["type"]!.GetValue<string>());
        Assert.Matches("^[a-z0-9_]{1,64}$", json["name"]!.GetValue<string>());
        // The verb's own arguments are all there, with the same schemas `resh schema` prints.
        foreach (var (arg, schema) in SchemaBuilder.ArgsSchema(tool.Verb)["properties"]!.AsObject())
            Assert.True(JsonNode.DeepEquals(schema, props[arg]), $"{name}: {arg}");
    }

    static IEnumerable<string> Refs(JsonNode? node) => node switch
    {
        JsonObject o => (o["$ref"] is JsonValue v ? [v.GetValue<string>()] : Array.Empty<string>()).Concat(o.SelectMany(p => Refs(p.Value))),
        JsonArray a => a.SelectMany(Refs),
        _ => [],
    };
}
