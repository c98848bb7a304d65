using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Resh.Core.Registry;
using Resh.Surfaces.Mcp;

namespace Resh.Surfaces.Serve;

/// <summary>
/// `GET /openapi.json`: OpenAPI 3.1 derived from the registry alone. Every verb of every visible handle is one
/// operation, <c>POST /v1/call/{handle}.{verb}</c>, whose request body holds the verb's argument schema and whose
/// answer is the verb's envelope schema, both the JSON Schemas `resh schema` prints (no second list anywhere).
/// The verbs' schemas live in <c>components/schemas</c> (<c>{operationId}_args</c>, <c>{operationId}_envelope</c>) with
/// their internal <c>#/...</c> references rewritten to absolute pointers, so tools that do not follow <c>$id</c>
/// (openapi-spec-validator, Redocly, openapi-typescript) resolve every one (s37 user #4); examples that do not match
/// their own schema are left out. Plugins' verbs are listed only for a client with a valid token (s37 attacker #9).
/// </summary>
public static class ServeOpenApi
{
    public static JsonObject Build(HandleRegistry registry, string version, bool withPlugins)
    {
        var schemas = new JsonObject { ["Envelope"] = EnvelopeComponent() };
        var paths = new JsonObject
        {
            ["/v1/call"] = new JsonObject
            {
                ["post"] = new JsonObject
                {
                    ["operationId"] = "call",
                    ["summary"] = "Run one verb: {stage, verb, args} as `resh batch` takes it; the answer is the envelope.",
                    ["requestBody"] = Body(new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = new JsonArray("stage"),
                        ["additionalProperties"] = false,
                        ["properties"] = new JsonObject
                        {
                            ["stage"] = Str("scheme://target, optionally with .verb (file:///etc/hosts, system://)."),
                            ["verb"] = Str("The verb, when the stage does not name it (read, uptime)."),
                            ["args"] = new JsonObject { ["type"] = "object", ["description"] = "The verb's arguments by name." },
                            ["dry_run"] = new JsonObject { ["type"] = "boolean", ["description"] = "Change nothing; report what would change." },
                            ["timeout"] = Str("Give up after this long (30s, 2m); never longer than the server's --timeout."),
                            ["id"] = new JsonObject { ["description"] = "Any JSON value, echoed first in the envelope (\"id\")." },
                        },
                    }),
                    ["responses"] = Responses(AnyEnvelope(), streams: true),
                },
            },
            ["/v1/batch"] = new JsonObject
            {
                ["post"] = new JsonObject
                {
                    ["operationId"] = "batch",
                    ["summary"] = "Run NDJSON requests (one /v1/call body per line, with an id); one envelope per line back, in order.",
                    ["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { ["application/x-ndjson"] = new JsonObject { ["schema"] = Str("NDJSON") } } },
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "One envelope per line.", ["content"] = new JsonObject { ["application/x-ndjson"] = new JsonObject { ["schema"] = Str("NDJSON") } } } },
                },
            },
            ["/v1/handles"] = Get("handles", "The handles of this build (the envelope of `resh handles`)."),
            ["/v1/schema/{topic}"] = Get("schema", "JSON Schemas of a verb (file.read) or of a handle's verbs (the envelope of `resh schema`).", "topic"),
            ["/healthz"] = Get("healthz", "200 while the server serves; no token needed.", open: true),
            ["/metrics"] = Get("metrics", "Prometheus text: calls by handle, verb and code; latency histograms.", text: true),
        };
        foreach (var handle in registry.Visible.OrderBy(h => h.Scheme, StringComparer.Ordinal))
        {
            if (!withPlugins && !registry.IsBuiltIn(handle.Scheme)) continue;
            foreach (var verb in handle.Verbs)
            {
                var op = McpTool.NameOf(handle.Scheme, verb.Name);
                var args = Component(schemas, op + "_args", SchemaBuilder.ArgsSchema(verb));
                var envelope = Component(schemas, op + "_envelope", SchemaBuilder.EnvelopeSchema(verb));
                var props = new JsonObject
                {
                    ["id"] = new JsonObject { ["description"] = "Any JSON value, echoed first in the envelope (\"id\")." },
                    ["target"] = Str($"The resource after {handle.Scheme}:// (or the whole URI). {verb.TargetHelp ?? handle.TargetHelp}"),
                    ["args"] = args,
                };
                if (verb.Effect != Effect.Read) props["dry_run"] = new JsonObject { ["type"] = "boolean", ["default"] = false, ["description"] = "Change nothing; report what would change." };
                props["timeout"] = Str("Give up after this long (30s, 2m).");
                paths[$"/v1/call/{handle.Scheme}.{verb.Name}"] = new JsonObject
                {
                    ["post"] = new JsonObject
                    {
                        ["operationId"] = op,
                        ["tags"] = new JsonArray(handle.Scheme),
                        ["summary"] = verb.Summary,
                        ["description"] = verb.Notes ?? verb.Summary,
                        ["x-resh-effect"] = verb.Effect.ToWire(),
                        ["requestBody"] = Body(new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = props }),
                        ["responses"] = Responses(envelope, verb.Streams),
                    },
                };
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "resh",
                ["version"] = version,
                ["description"] = "Every resource a URI, every operation a verb, every answer one JSON envelope. The HTTP status follows the envelope's error code (usage 400, permission_denied 403, not_found 404, conflict 409, unsupported 422, failed and partial 500, unavailable and interrupted 503, timeout 504); a missing or refused token is 401.",
            },
            ["jsonSchemaDialect"] = "https://json-schema.org/draft/2020-12/schema",
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "/", ["description"] = "The server that answered this document." }),
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["responses"] = new JsonObject
                {
                    ["Usage"] = ErrorResponse("The request or its arguments are not valid (error.code usage); nothing was run."),
                    ["Unauthorized"] = ErrorResponse("No valid identity: a missing, unknown, expired or revoked token, or a failed login."),
                    ["Denied"] = ErrorResponse("The identity's role does not grant the call (permission_denied); refused and audited."),
                    ["Error"] = ErrorResponse("An error envelope; the status follows error.code."),
                },
                ["securitySchemes"] = new JsonObject { ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "A token from `resh token create`." } },
            },
            ["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }),
            ["paths"] = paths,
        };
    }

    /// <summary>
    /// Puts <paramref name="schema"/> into components/schemas as <paramref name="name"/>, its `#...` references made
    /// absolute and its examples checked; returns the $ref to it.
    /// </summary>
    static JsonObject Component(JsonObject schemas, string name, JsonObject schema)
    {
        schema.Remove("$schema");
        schema.Remove("$id");
        var pointer = "#/components/schemas/" + name.Replace("~", "~0").Replace("/", "~1");
        Rebase(schema, pointer);
        DropBadExamples(schema, 0);
        schemas[name] = schema;
        return new JsonObject { ["$ref"] = pointer };
    }

    static void Rebase(JsonNode? node, string pointer)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToArray())
                {
                    if (key == "$ref" && value is JsonValue v && v.TryGetValue<string>(out var r) && r.StartsWith('#'))
                        o["$ref"] = pointer + r[1..];
                    else Rebase(value, pointer);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Rebase(item, pointer);
                break;
        }
    }

    /// <summary>Leaves out `examples` a schema's own type, enum or items refuse (a validator reports them as errors).</summary>
    static void DropBadExamples(JsonNode? node, int depth)
    {
        if (depth > 64) return;
        switch (node)
        {
            case JsonObject o:
                if (o["examples"] is JsonArray examples)
                {
                    var good = examples.Where(e => Matches(o, e, 0)).Select(e => e?.DeepClone()).ToArray();
                    if (good.Length == 0) o.Remove("examples");
                    else if (good.Length != examples.Count) o["examples"] = new JsonArray(good);
                }
                if (o["example"] is { } single && !Matches(o, single, 0)) o.Remove("example");
                foreach (var (key, value) in o.ToArray())
                    if (key is not ("examples" or "example" or "default" or "enum" or "const")) DropBadExamples(value, depth + 1);
                break;
            case JsonArray a:
                foreach (var item in a) DropBadExamples(item, depth + 1);
                break;
        }
    }

    /// <summary>A conservative check of a value against a schema: type, enum, array items and object properties (refs are not followed).</summary>
    public static bool Matches(JsonObject schema, JsonNode? value, int depth)
    {
        if (depth > 32) return true;
        if (schema["type"] is { } type)
        {
            var types = type is JsonArray ta ? ta.Select(t => t?.GetValue<string>()).ToArray() : [type.GetValue<string>()];
            if (!types.Any(t => IsType(t, value))) return false;
        }
        if (schema["enum"] is JsonArray en && !en.Any(e => JsonNode.DeepEquals(e, value))) return false;
        if (value is JsonArray arr && schema["items"] is JsonObject items && !arr.All(i => Matches(items, i, depth + 1))) return false;
        if (value is JsonObject obj && schema["properties"] is JsonObject props)
        {
            foreach (var (k, v) in obj)
                if (props[k] is JsonObject ps && !Matches(ps, v, depth + 1)) return false;
            if (schema["additionalProperties"] is JsonValue ap && ap.GetValueKind() == System.Text.Json.JsonValueKind.False && obj.Any(p => !props.ContainsKey(p.Key))) return false;
            if (schema["required"] is JsonArray req && req.Any(r => r is JsonValue rv && rv.TryGetValue<string>(out var rn) && !obj.ContainsKey(rn))) return false;
        }
        return true;
    }

    static bool IsType(string? type, JsonNode? value)
    {
        var kind = value?.GetValueKind() ?? System.Text.Json.JsonValueKind.Null;
        return type switch
        {
            "string" => kind == System.Text.Json.JsonValueKind.String,
            "boolean" => kind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
            "number" => kind == System.Text.Json.JsonValueKind.Number,
            "integer" => kind == System.Text.Json.JsonValueKind.Number && double.TryParse(value!.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && Math.Floor(d) == d,
            "array" => kind == System.Text.Json.JsonValueKind.Array,
            "object" => kind == System.Text.Json.JsonValueKind.Object,
            "null" => kind == System.Text.Json.JsonValueKind.Null,
            _ => true,
        };
    }

    static JsonObject Str(string description) => new() { ["type"] = "string", ["description"] = description };

    static JsonObject Body(JsonObject schema) => new()
    {
        ["required"] = true,
        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schema } },
    };

    /// <summary>A reference to components/schemas/Envelope: the envelope of any verb (<see cref="EnvelopeComponent"/>).</summary>
    static JsonObject AnyEnvelope() => new() { ["$ref"] = "#/components/schemas/Envelope" };

    /// <summary>
    /// resh's envelope with every member described (s38 user #17: a `required` without `properties` is what linters
    /// flag): the schema of an error answer of any route, and of the routes that answer with some other verb's envelope.
    /// </summary>
    internal static JsonObject EnvelopeComponent() => new()
    {
        ["type"] = "object",
        ["description"] = "resh's envelope (SPEC §2): one JSON object per answer; on failure ok is false and error says why (the HTTP status follows error.code).",
        ["required"] = new JsonArray("ok", "handle", "verb", "error"),
        ["properties"] = new JsonObject
        {
            ["id"] = new JsonObject { ["description"] = "The request's id, echoed first when it gave one." },
            ["ok"] = new JsonObject { ["type"] = "boolean" },
            ["handle"] = new JsonObject { ["type"] = "string", ["description"] = "The handle (scheme) asked for; resh for the server's own refusals." },
            ["verb"] = new JsonObject { ["type"] = "string" },
            ["target"] = new JsonObject { ["type"] = "string" },
            ["host"] = new JsonObject { ["type"] = "string" },
            ["changed"] = new JsonObject { ["type"] = "boolean" },
            ["dry_run"] = new JsonObject { ["type"] = "boolean" },
            ["result"] = new JsonObject { ["description"] = "The verb's result (see its operation's 200 schema), or null." },
            ["error"] = new JsonObject
            {
                ["anyOf"] = new JsonArray(new JsonObject
                {
                    ["type"] = "object",
                    ["required"] = new JsonArray("code", "message"),
                    ["properties"] = new JsonObject
                    {
                        ["code"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(ErrorCodes.All.Select(c => (JsonNode?)c).ToArray()) },
                        ["message"] = new JsonObject { ["type"] = "string" },
                        ["details"] = new JsonObject { ["type"] = new JsonArray("object", "null") },
                        ["hint"] = new JsonObject { ["type"] = new JsonArray("string", "null") },
                    },
                }, new JsonObject { ["type"] = "null" }),
            },
            ["warnings"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
            ["duration_ms"] = new JsonObject { ["type"] = "number" },
            ["ts"] = new JsonObject { ["type"] = "string" },
        },
    };

    static JsonObject ErrorResponse(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = AnyEnvelope() } },
    };

    static JsonObject Responses(JsonObject envelope, bool streams) => new()
    {
        ["200"] = streams
            ? new JsonObject
            {
                ["description"] = "The verb ran and succeeded (application/json: its envelope, the events left out and counted in a warning). "
                    + "A streaming verb: with `Accept: application/x-ndjson` the answer is NDJSON, one event per line ({\"event\": ...}) as it happens, "
                    + "the envelope last; once lines flow the status is 200 and the last line's ok and error tell how the call ended.",
                ["content"] = new JsonObject
                {
                    ["application/json"] = new JsonObject { ["schema"] = envelope },
                    ["application/x-ndjson"] = new JsonObject
                    {
                        ["schema"] = new JsonObject { ["anyOf"] = new JsonArray(StreamEvent(), envelope.DeepClone()), ["description"] = "One line: an event, or (last) the envelope." },
                    },
                },
            }
            : new JsonObject { ["description"] = "The verb ran and succeeded.", ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = envelope } } },
        ["400"] = new JsonObject { ["$ref"] = "#/components/responses/Usage" },
        ["401"] = new JsonObject { ["$ref"] = "#/components/responses/Unauthorized" },
        ["403"] = new JsonObject { ["$ref"] = "#/components/responses/Denied" },
        ["default"] = new JsonObject { ["$ref"] = "#/components/responses/Error" },
    };

    /// <summary>A line of a streaming verb's NDJSON answer before its envelope.</summary>
    static JsonObject StreamEvent() => new()
    {
        ["type"] = "object",
        ["required"] = new JsonArray("event"),
        ["properties"] = new JsonObject
        {
            ["id"] = new JsonObject { ["description"] = "The request's id, when it gave one." },
            ["event"] = new JsonObject { ["type"] = "string", ["description"] = "What happened (line, message, ...); the other members are the event's fields." },
        },
    };

    static JsonObject Get(string id, string summary, string? param = null, bool open = false, bool text = false)
    {
        var op = new JsonObject
        {
            ["operationId"] = id,
            ["summary"] = summary,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = summary,
                    ["content"] = new JsonObject { [text ? "text/plain" : "application/json"] = new JsonObject { ["schema"] = text ? Str("Prometheus text format") : AnyEnvelope() } },
                },
            },
        };
        if (param is not null)
            op["parameters"] = new JsonArray(new JsonObject { ["name"] = param, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
        if (open) op["security"] = new JsonArray();
        return new JsonObject { ["get"] = op };
    }
}
