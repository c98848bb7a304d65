using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Introspection;
using Resh.Core.Registry;

namespace Resh.Surfaces.Mcp;

/// <summary>resources: the generated markdown page of each handle (the one `resh docs` writes), as resh://docs/SCHEME.</summary>
public static class McpDocs
{
    public const string Prefix = "resh://docs/";

    public static JsonObject List(HandleRegistry registry)
    {
        var resources = new JsonArray();
        foreach (var h in registry.Visible)
        {
            resources.Add((JsonNode)new JsonObject
            {
                ["uri"] = Prefix + h.Scheme,
                ["name"] = h.Scheme,
                ["title"] = $"{h.Scheme}:// handle",
                ["description"] = h.Summary,
                ["mimeType"] = "text/markdown",
            });
        }
        return new JsonObject { ["resources"] = resources };
    }

    public static JsonObject Templates() => new()
    {
        ["resourceTemplates"] = new JsonArray(new JsonObject
        {
            ["uriTemplate"] = Prefix + "{scheme}",
            ["name"] = "handle-docs",
            ["title"] = "A handle's documentation",
            ["description"] = "Verbs, arguments, results and examples of one handle (file, svc, ...).",
            ["mimeType"] = "text/markdown",
        }),
    };

    public static JsonObject Read(HandleRegistry registry, JsonObject p)
    {
        var uri = p["uri"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new JsonRpcException(JsonRpcCodes.InvalidParams, "resources/read needs a uri.");
        var scheme = uri.StartsWith(Prefix, StringComparison.Ordinal) ? uri[Prefix.Length..] : null;
        var handle = scheme is null ? null : registry.Find(scheme);
        if (handle is null || handle.Hidden)
            throw new JsonRpcException(McpProtocol.ResourceNotFound, $"Resource not found: {(uri.Length > 100 ? uri[..100] + "…" : uri)}.");
        return new JsonObject
        {
            ["contents"] = new JsonArray(new JsonObject
            {
                ["uri"] = uri,
                ["mimeType"] = "text/markdown",
                ["text"] = MarkdownDocs.Handle(Catalog.Handle(handle)),
            }),
        };
    }
}
