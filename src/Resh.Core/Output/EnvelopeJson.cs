using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Text;

namespace Resh.Core.Output;

/// <summary>Writes envelopes and events as JSON with a fixed field order, straight to UTF-8 bytes.</summary>
public static class EnvelopeJson
{
    static readonly JavaScriptEncoder Encoder = MinimalJsonEncoder.Instance;

    public static JsonWriterOptions WriterOptions(bool indented) => new()
    {
        Indented = indented,
        Encoder = Encoder,
        SkipValidation = false,
    };

    public static void Write(IBufferWriter<byte> output, Envelope env, bool indented)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions(indented));
        Write(w, env);
    }

    public static void Write(Utf8JsonWriter w, Envelope env)
    {
        w.WriteStartObject();
        if (env.HasId)
        {
            w.WritePropertyName("id");
            if (env.Id is null) w.WriteNullValue(); else env.Id.WriteTo(w);
        }
        w.WriteBoolean("ok", env.Ok);
        w.WriteString("handle", TextSafety.Scrub(env.Handle));
        w.WriteString("verb", TextSafety.Scrub(env.Verb));
        w.WriteString("target", TextSafety.Scrub(env.Target));
        w.WriteString("host", TextSafety.Scrub(env.Host));
        w.WriteBoolean("changed", env.Changed);
        w.WriteBoolean("dry_run", env.DryRun);
        w.WritePropertyName("result");
        if (!env.HasResult) w.WriteNullValue();
        else if (env.ResultNode is not null) env.ResultNode.WriteTo(w);
        else if (env.Result is not null && env.ResultDeclaredType is { } declared && ResultWriters.Find(declared) is { } write) write(w, env.Result);
        else if (env.Result is not null && env.ResolvedResultType is { } type) JsonSerializer.Serialize(w, env.Result, type);
        else w.WriteNullValue();
        w.WritePropertyName("error");
        if (env.Error is null) w.WriteNullValue(); else WriteError(w, env.Error);
        w.WriteStartArray("warnings");
        foreach (var warning in env.Warnings) w.WriteStringValue(TextSafety.Scrub(warning));
        w.WriteEndArray();
        if (env.Attempts > 0) w.WriteNumber("attempts", env.Attempts);
        w.WriteNumber("duration_ms", Math.Round(env.DurationMs, 2));
        w.WriteString("ts", env.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    public static void WriteError(Utf8JsonWriter w, ReshError e)
    {
        w.WriteStartObject();
        w.WriteString("code", e.Code.ToWire());
        w.WriteString("message", TextSafety.Scrub(e.Message));
        w.WritePropertyName("details");
        var details = e.Details;
        if (e.Transient || e.NotSent || e.RetryAfter is not null)
        {
            details = details is null ? new JsonObject() : (JsonObject)details.DeepClone();
            if (e.Transient) details["transient"] = true;
            if (e.NotSent) details["sent"] = false;
            if (e.RetryAfter is { } ra && !details.ContainsKey("retry_after_s")) details["retry_after_s"] = Math.Round(ra.TotalSeconds, 3);
        }
        if (details is null) w.WriteNullValue(); else details.WriteTo(w);
        if (e.Hint is null) w.WriteNull("hint"); else w.WriteString("hint", TextSafety.Scrub(e.Hint));
        w.WriteEndObject();
    }

    public static void WriteEvent(IBufferWriter<byte> output, string eventName, JsonObject fields, JsonNode? id, bool hasId)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions(false));
        w.WriteStartObject();
        if (hasId)
        {
            w.WritePropertyName("id");
            if (id is null) w.WriteNullValue(); else id.WriteTo(w);
        }
        w.WriteString("event", TextSafety.Scrub(eventName));
        foreach (var (k, v) in fields)
        {
            if (k == "event" || k == "id") continue;
            w.WritePropertyName(k);
            if (v is null) w.WriteNullValue(); else v.WriteTo(w);
        }
        w.WriteEndObject();
    }
}
