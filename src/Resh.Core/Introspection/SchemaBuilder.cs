using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Core.Introspection;

/// <summary>JSON Schema (draft 2020-12) of a verb's arguments (from its declaration) and result (from its type).</summary>
public static class SchemaBuilder
{
    public const string Draft = "https://json-schema.org/draft/2020-12/schema";

    public const string DurationPattern = @"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|sec|m|min|h|hr|d|w)?)+$";
    public const string SizePattern = @"^[0-9]+(\.[0-9]+)?\s*([KMGTP]i?B?|[kKMGTP]B|B)?$";

    public static JsonObject ArgsSchema(VerbInfo verb)
    {
        var props = new JsonObject();
        var required = new JsonArray();
        foreach (var a in verb.Args)
        {
            props[a.Name] = ArgSchema(a);
            if (a.Required) required.Add((JsonNode)a.Name);
        }
        return new JsonObject
        {
            ["$schema"] = Draft,
            ["title"] = $"{verb.FullName} arguments",
            ["description"] = verb.Summary,
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = required,
            ["additionalProperties"] = false,
        };
    }

    public static JsonObject ArgSchema(ArgInfo a)
    {
        var s = a.Kind switch
        {
            ArgKind.String => new JsonObject { ["type"] = "string" },
            ArgKind.Int => new JsonObject { ["type"] = "integer" },
            ArgKind.Bool => new JsonObject { ["type"] = "boolean" },
            ArgKind.Duration => new JsonObject
            {
                ["type"] = new JsonArray("string", "number"),
                ["pattern"] = DurationPattern,
                ["x-resh-type"] = "duration",
            },
            ArgKind.Size => new JsonObject
            {
                ["type"] = new JsonArray("string", "integer"),
                ["pattern"] = SizePattern,
                ["x-resh-type"] = "size",
            },
            ArgKind.Enum => new JsonObject { ["type"] = "string", ["enum"] = Strings(a.Choices ?? []) },
            ArgKind.List => new JsonObject
            {
                ["type"] = "array",
                ["items"] = a.Choices is { } c ? new JsonObject { ["type"] = "string", ["enum"] = Strings(c) } : new JsonObject { ["type"] = "string" },
            },
            ArgKind.Json => new JsonObject(),
            // A source, not the value: secret:NAME, env:VAR, file:PATH, @- or a literal (warned). docs/architecture.md "Secrets".
            ArgKind.Secret => new JsonObject { ["type"] = "string", ["format"] = "resh-secret", ["x-resh-type"] = "secret" },
            _ => new JsonObject { ["type"] = "string", ["x-resh-type"] = "bytes" },
        };
        s["description"] = a.Description;
        if (a.Minimum is { } min) s["minimum"] = min;
        if (a.Maximum is { } max) s["maximum"] = max;
        if (a.DefaultJson is not null) s["default"] = a.DefaultJson.DeepClone();
        if (a.Examples.Count > 0) s["examples"] = Strings(a.Examples);
        if (a.Secret) s["writeOnly"] = true;
        if (a.Aliases.Count > 0) s["x-resh-aliases"] = Strings(a.Aliases);
        if (a.Positional) s["x-resh-positional"] = true;
        if (a.Path != PathUse.None) s["x-resh-path"] = a.Path switch { PathUse.Read => "read", PathUse.ReadAt => "read-at", _ => "write" };
        return s;
    }

    public static JsonObject ResultSchema(VerbInfo verb)
    {
        var node = verb.DeclaredResultSchema is { } declared ? declared.DeepClone() : JsonSchemaExporter.GetJsonSchemaAsNode(verb.ResultType, ExporterOptions);
        var obj = node as JsonObject ?? new JsonObject { ["type"] = node.ToJsonString() };
        var result = new JsonObject { ["$schema"] = Draft, ["title"] = $"{verb.FullName} result" };
        foreach (var (k, v) in obj) result[k] = v?.DeepClone();
        // A successful verb always returns its result object; null only appears in failed envelopes.
        if (result["type"] is JsonArray types && types.Count == 2 && types.Any(t => t?.GetValue<string>() == "null"))
            result["type"] = types.First(t => t?.GetValue<string>() != "null")!.GetValue<string>();
        return result;
    }

    /// <summary>The envelope schema with this verb's result embedded: what a caller parses.</summary>
    public static JsonObject EnvelopeSchema(VerbInfo verb)
    {
        var resultSchema = ResultSchema(verb);
        resultSchema.Remove("$schema");
        // The exporter's $refs point into the result's own schema (recursive types: "#/properties/children/items");
        // embedded in the envelope that root is the first branch of `result`.
        RebaseRefs(resultSchema, "#/properties/result/anyOf/0");
        return new JsonObject
        {
            ["$schema"] = Draft,
            ["title"] = $"{verb.FullName} envelope",
            ["x-envelope-version"] = Output.Envelope.SchemaVersion,
            ["type"] = "object",
            ["required"] = Strings(["ok", "handle", "verb", "target", "host", "changed", "dry_run", "result", "error", "warnings", "duration_ms", "ts"]),
            ["properties"] = new JsonObject
            {
                ["ok"] = new JsonObject { ["type"] = "boolean" },
                ["handle"] = new JsonObject { ["const"] = verb.HandleScheme },
                ["verb"] = new JsonObject { ["const"] = verb.Name },
                ["target"] = new JsonObject { ["type"] = "string" },
                ["host"] = new JsonObject { ["type"] = "string" },
                ["changed"] = new JsonObject { ["type"] = "boolean" },
                ["dry_run"] = new JsonObject { ["type"] = "boolean" },
                ["result"] = new JsonObject { ["anyOf"] = new JsonArray(resultSchema, new JsonObject { ["type"] = "null" }) },
                ["error"] = new JsonObject
                {
                    ["anyOf"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = Strings(["code", "message", "details", "hint"]),
                        ["properties"] = new JsonObject
                        {
                            ["code"] = new JsonObject { ["enum"] = Strings(ErrorCodes.All) },
                            ["message"] = new JsonObject { ["type"] = "string" },
                            ["details"] = new JsonObject { ["type"] = new JsonArray("object", "null") },
                            ["hint"] = new JsonObject { ["type"] = new JsonArray("string", "null") },
                        },
                    }, new JsonObject { ["type"] = "null" }),
                },
                ["warnings"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                ["attempts"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "With --retry: how many times the call ran; each earlier attempt's error is a warning." },
                ["duration_ms"] = new JsonObject { ["type"] = "number" },
                ["ts"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
            },
        };
    }

    static void RebaseRefs(JsonNode? node, string root)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.TryGetValue<string>(out var target) && target.StartsWith('#'))
                    o["$ref"] = root + target[1..];
                foreach (var (_, child) in o.ToList()) RebaseRefs(child, root);
                break;
            case JsonArray a:
                foreach (var child in a) RebaseRefs(child, root);
                break;
        }
    }

    static readonly JsonSchemaExporterOptions ExporterOptions = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (ctx, node) =>
        {
            var provider = ctx.PropertyInfo?.AttributeProvider ?? (ctx.PropertyInfo is null ? ctx.TypeInfo.Type : null);
            if (provider is not null && node is JsonObject o)
            {
                foreach (var attr in provider.GetCustomAttributes(typeof(DescriptionAttribute), false))
                {
                    if (attr is DescriptionAttribute d) { o.Insert(0, "description", d.Description); break; }
                }
                foreach (var attr in provider.GetCustomAttributes(typeof(UnitAttribute), false))
                {
                    if (attr is UnitAttribute u) { o["x-resh-unit"] = u.Unit; break; }
                }
            }
            return node;
        },
    };

    static JsonArray Strings(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
}
