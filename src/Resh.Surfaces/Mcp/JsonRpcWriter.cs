using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Output;

namespace Resh.Surfaces.Mcp;

/// <summary>Outgoing JSON-RPC 2.0 messages as UTF-8 bytes (one message, no trailing newline), written with Utf8JsonWriter.</summary>
public static class JsonRpcWriter
{
    static readonly JsonWriterOptions Options = EnvelopeJson.WriterOptions(indented: false);

    public static byte[] Result(JsonNode? id, Action<Utf8JsonWriter> writeResult) => Build(w =>
    {
        w.WriteString("jsonrpc", "2.0");
        WriteId(w, id);
        w.WritePropertyName("result");
        writeResult(w);
    });

    public static byte[] Result(JsonNode? id, JsonNode result) => Result(id, w => result.WriteTo(w));

    public static byte[] Error(JsonNode? id, int code, string message, JsonNode? data = null) => Build(w =>
    {
        w.WriteString("jsonrpc", "2.0");
        WriteId(w, id);
        w.WriteStartObject("error");
        w.WriteNumber("code", code);
        w.WriteString("message", message);
        if (data is not null) { w.WritePropertyName("data"); data.WriteTo(w); }
        w.WriteEndObject();
    });

    public static byte[] Notification(string method, JsonObject? parameters) => Build(w =>
    {
        w.WriteString("jsonrpc", "2.0");
        w.WriteString("method", method);
        if (parameters is not null) { w.WritePropertyName("params"); parameters.WriteTo(w); }
    });

    public static byte[] Request(JsonNode id, string method, JsonObject parameters) => Build(w =>
    {
        w.WriteString("jsonrpc", "2.0");
        WriteId(w, id);
        w.WriteString("method", method);
        w.WritePropertyName("params");
        parameters.WriteTo(w);
    });

    /// <summary>A JSON-RPC error always carries an id: null when the request's could not be read.</summary>
    static void WriteId(Utf8JsonWriter w, JsonNode? id)
    {
        w.WritePropertyName("id");
        if (id is null) w.WriteNullValue(); else id.WriteTo(w);
    }

    static byte[] Build(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
