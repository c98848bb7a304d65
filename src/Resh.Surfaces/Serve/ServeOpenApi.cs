using System.Text.Json.Nodes;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Resh.Core.Registry;
using Resh.Surfaces.Mcp;

namespace Resh.Surfaces.Serve;

/// <summary>
/// `GET /openapi.json`: OpenAPI 3.1 derived from the registry alone. Every verb of every visible handle is one
/// operation, <c>POST /v1/call/{handle}.{verb}</c>, whose request body holds the verb's argument schema and whose
/// answer is the verb's envelope schema, both the JSON Schemas `resh schema` prints (no second list anywhere).
/// Each embedded schema gets an <c>$id</c>, so its internal <c>#/...</c> references resolve inside it.
/// </summary>
public static class ServeOpenApi
{
    public static JsonObject Build(HandleRegistry registry, string version)
    {
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
                            ["id"] = new JsonObject { ["description"] = "Echoed in the envelope." },
                        },
                    }),
                    ["responses"] = Responses(AnyEnvelope()),
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
            foreach (var verb in handle.Verbs)
            {
                var args = SchemaBuilder.ArgsSchema(verb);
                args.Remove("$schema");
                args["$id"] = $"urn:resh:{verb.FullName}:args";
                var envelope = SchemaBuilder.EnvelopeSchema(verb);
                envelope.Remove("$schema");
                envelope["$id"] = $"urn:resh:{verb.FullName}:envelope";
                var props = new JsonObject
                {
                    ["target"] = Str($"The resource after {handle.Scheme}:// (or the whole URI). {verb.TargetHelp ?? handle.TargetHelp}"),
                    ["args"] = args,
                };
                if (verb.Effect != Effect.Read) props["dry_run"] = new JsonObject { ["type"] = "boolean", ["default"] = false, ["description"] = "Change nothing; report what would change." };
                props["timeout"] = Str("Give up after this long (30s, 2m).");
                paths[$"/v1/call/{handle.Scheme}.{verb.Name}"] = new JsonObject
                {
                    ["post"] = new JsonObject
                    {
                        ["operationId"] = McpTool.NameOf(handle.Scheme, verb.Name),
                        ["tags"] = new JsonArray(handle.Scheme),
                        ["summary"] = verb.Summary,
                        ["description"] = verb.Notes ?? verb.Summary,
                        ["x-resh-effect"] = verb.Effect.ToWire(),
                        ["requestBody"] = Body(new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = props }),
                        ["responses"] = Responses(envelope),
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
            ["components"] = new JsonObject { ["securitySchemes"] = new JsonObject { ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "A token from `resh token create`." } } },
            ["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }),
            ["paths"] = paths,
        };
    }

    static JsonObject Str(string description) => new() { ["type"] = "string", ["description"] = description };

    static JsonObject Body(JsonObject schema) => new()
    {
        ["required"] = true,
        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schema } },
    };

    static JsonObject AnyEnvelope() => new()
    {
        ["type"] = "object",
        ["required"] = new JsonArray("ok", "handle", "verb"),
        ["description"] = "resh's envelope (SPEC §2): ok, result, changed, error {code, message, hint}.",
    };

    static JsonObject Responses(JsonObject envelope) => new()
    {
        ["200"] = new JsonObject { ["description"] = "The verb ran and succeeded.", ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = envelope } } },
        ["default"] = new JsonObject { ["description"] = "An error envelope; the status follows error.code.", ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = AnyEnvelope() } } },
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
