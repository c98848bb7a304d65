using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Model;

namespace Resh.Handles.Plugin;

/// <summary>An argument a plugin declares, as resh's declaration, with the manifest's default (sent when the caller gives none).</summary>
public sealed record PluginArg(ArgInfo Arg, string Type, JsonNode? Default);

/// <summary>
/// Turns a verb's args schema into resh argument declarations, so a plugin's arguments are parsed, typed and checked
/// (required, enum, integer, boolean) before the plugin runs, exactly like a built-in's: string (enum) → string or
/// enum, integer → integer, boolean → bool, array of strings → list, number/object/other arrays → JSON checked by type.
/// </summary>
public static class PluginArgs
{
    public static IReadOnlyList<PluginArg> FromSchema(JsonObject schema)
    {
        var props = schema["properties"] as JsonObject ?? [];
        var required = (schema["required"] as JsonArray ?? []).Select(r => r?.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var list = new List<PluginArg>();
        foreach (var (name, node) in props)
        {
            var s = (JsonObject)node!;
            var type = s["type"]!.GetValue<string>();
            var desc = s["description"] is JsonValue dv && dv.TryGetValue<string>(out var d) && d.Length > 0 ? d : $"The {name} argument ({type}).";
            var req = required.Contains(name);
            var def = s["default"]?.DeepClone();
            ArgInfo arg = type switch
            {
                "string" when s["enum"] is JsonArray en => Arg.Enum(name, desc, en.Select(x => x!.GetValue<string>()).ToArray(), def?.GetValue<string>(), req),
                "string" => Arg.String(name, desc, def?.GetValue<string>(), req),
                "secret" => Arg.Secret(name, desc, req),
                "integer" => Arg.Int(name, desc, def is JsonValue iv && iv.TryGetValue<long>(out var l) ? l : null, req,
                    min: s["minimum"] is JsonValue mn && mn.TryGetValue<long>(out var mnl) ? mnl : null,
                    max: s["maximum"] is JsonValue mx && mx.TryGetValue<long>(out var mxl) ? mxl : null),
                "boolean" => Arg.Bool(name, desc, def is JsonValue bv && bv.TryGetValue<bool>(out var b) && b),
                "array" when s["items"] is null || (s["items"] is JsonObject it && it["type"] is JsonValue itv && itv.TryGetValue<string>(out var its) && its == "string")
                    => Arg.List(name, desc, req, @default: def is JsonArray da && da.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String) ? da.Select(x => x!.GetValue<string>()).ToArray() : null),
                _ => TypedJson(name, desc, type, req, def),
            };
            // Booleans are sent only when given or defaulted in the manifest (Arg.Bool's own default is false).
            list.Add(new PluginArg(arg, type, def));
        }
        return list;
    }

    static Arg<JsonNode?> TypedJson(string name, string description, string type, bool required, JsonNode? def)
    {
        var inner = Arg.Json(name, description, required);
        return new Arg<JsonNode?>
        {
            Name = name,
            Description = description,
            Kind = ArgKind.Json,
            Required = required,
            DefaultJsonFactory = def is null ? null : () => def.DeepClone(),
            Default = def?.DeepClone(),
            Examples = type switch { "number" => ["1.5"], "object" => ["{\"key\":\"value\"}"], _ => ["[1,2]"] },
            Parser = (a, v) =>
            {
                var node = inner.Parser(a, v);
                if (!PluginManifest.Matches(type, node))
                    throw new ArgValueException($"Argument `{a.Name}` expects a JSON {type}.", $"Example: {a.Name}:={(type == "number" ? "1.5" : type == "object" ? "{\"key\":\"value\"}" : "[1,2]")}");
                return node;
            },
        };
    }
}
