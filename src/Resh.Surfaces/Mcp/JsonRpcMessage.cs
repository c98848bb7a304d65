using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Surfaces.Mcp;

/// <summary>The JSON-RPC 2.0 error codes MCP uses.</summary>
public static class JsonRpcCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
}

public enum JsonRpcKind { Request, Notification, Response }

/// <summary>An error to answer with instead of a result; <see cref="Id"/> is the request's when it was readable.</summary>
public sealed class JsonRpcException(int code, string message, JsonNode? id = null) : Exception(message)
{
    public int Code { get; } = code;
    public JsonNode? Id { get; } = id;
}

/// <summary>
/// One incoming JSON-RPC 2.0 message: a request (method and id), a notification (method, no id) or a
/// response to a request this server sent (id and result or error). Parsed with JsonNode (no reflection).
/// </summary>
public sealed class JsonRpcMessage
{
    public JsonRpcKind Kind { get; private init; }
    /// <summary>The id as sent (a string or an integer); null for notifications.</summary>
    public JsonNode? Id { get; private init; }
    public string Method { get; private init; } = "";
    /// <summary>The params object (MCP sends named params only); empty when absent.</summary>
    public JsonObject Params { get; private init; } = [];
    public JsonNode? Result { get; private init; }
    public JsonObject? Error { get; private init; }

    /// <summary>The id as a dictionary key: its JSON text (so 1 and "1" stay different).</summary>
    public string IdKey => Id is null ? "" : KeyOf(Id);

    public static string KeyOf(JsonNode id) => id.ToJsonString();

    /// <summary>Limit of nesting in a message, far above anything MCP sends; deeper input is refused, not recursed into.</summary>
    const int MaxDepth = 64;

    public static JsonRpcMessage Parse(ReadOnlySpan<byte> line)
    {
        // Strings are decoded lazily: invalid UTF-8 would only fail when a value is read, so it is refused here, whole.
        if (!System.Text.Unicode.Utf8.IsValid(line))
            throw new JsonRpcException(JsonRpcCodes.ParseError, "Parse error: the message is not valid UTF-8.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new JsonRpcException(JsonRpcCodes.ParseError, "Parse error: the message is not valid JSON.");
        }
        if (node is JsonArray)
            throw new JsonRpcException(JsonRpcCodes.InvalidRequest, "Batches (JSON arrays) are not supported; send one message per line.");
        if (node is not JsonObject o)
            throw new JsonRpcException(JsonRpcCodes.InvalidRequest, "A JSON-RPC message must be a JSON object.");

        JsonNode? id = null;
        var hasId = o.TryGetPropertyValue("id", out var idNode);
        if (hasId)
        {
            if (idNode is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number) id = idNode.DeepClone();
            else throw new JsonRpcException(JsonRpcCodes.InvalidRequest, "The id must be a string or a number.");
        }
        if (o["jsonrpc"] is not JsonValue ver || ver.GetValueKind() != JsonValueKind.String || ver.GetValue<string>() != "2.0")
            throw new JsonRpcException(JsonRpcCodes.InvalidRequest, "The message must have \"jsonrpc\": \"2.0\".", id);

        if (o.TryGetPropertyValue("method", out var m))
        {
            if (m is not JsonValue mv || mv.GetValueKind() != JsonValueKind.String)
                throw new JsonRpcException(JsonRpcCodes.InvalidRequest, "The method must be a string.", id);
            var p = o["params"];
            if (p is not null and not JsonObject)
                throw new JsonRpcException(JsonRpcCodes.InvalidParams, "params must be a JSON object.", id);
            return new JsonRpcMessage
            {
                Kind = hasId ? JsonRpcKind.Request : JsonRpcKind.Notification,
                Id = id,
                Method = mv.GetValue<string>(),
                Params = p is JsonObject po ? (JsonObject)po.DeepClone() : [],
            };
        }
        if (hasId && (o.ContainsKey("result") || o.ContainsKey("error")))
        {
            return new JsonRpcMessage
            {
                Kind = JsonRpcKind.Response,
                Id = id,
                Result = o["result"]?.DeepClone(),
                Error = o["error"] as JsonObject is { } e ? (JsonObject)e.DeepClone() : null,
            };
        }
        throw new JsonRpcException(JsonRpcCodes.InvalidRequest, "The message is neither a request, a notification nor a response.", id);
    }
}
