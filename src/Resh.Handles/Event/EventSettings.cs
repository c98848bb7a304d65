using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Values;

namespace Resh.Handles.Event;

/// <summary>
/// The config's <c>[events]</c> table: retention (max_age, max_size), segment_size, max_data and record; and where the
/// trail lives: backend (embedded, or nats: the default when url is set) with url, user, password, tls, ca and timeout
/// as in an <c>[mq.NAME]</c> table.
/// </summary>
public sealed record EventSettings(TimeSpan MaxAge, long MaxSize, long SegmentSize, long MaxData)
{
    /// <summary>embedded or nats (the config's choice; backend= overrides it per call).</summary>
    public string Backend { get; init; } = "embedded";

    /// <summary>The NATS server's url (nats://HOST:4222 or tls://...), or null.</summary>
    public string? Url { get; init; }

    /// <summary>The whole [events] table (credentials and TLS of the nats backend), or null.</summary>
    public System.Text.Json.Nodes.JsonObject? Table { get; init; }

    public static readonly EventSettings Default = new(EventLimits.DefaultMaxAge, EventLimits.DefaultMaxSize, EventLimits.DefaultSegmentSize, EventLimits.DefaultMaxData);

    public static EventSettings From(ReshConfig config)
    {
        if (config.Section("events") is not JsonObject t) return Default;
        var age = Duration(t, "max_age") ?? Default.MaxAge;
        var size = Size(t, "max_size") ?? Default.MaxSize;
        var segment = Size(t, "segment_size") ?? Math.Min(Default.SegmentSize, Math.Max(1024, size / 8));
        var data = Size(t, "max_data") ?? Default.MaxData;
        if (age <= TimeSpan.Zero) throw Bad("max_age", "must be longer than zero", "max_age = \"30d\"");
        if (size < 1024) throw Bad("max_size", "must be at least 1KiB", "max_size = \"256MiB\"");
        if (segment < 256 || segment > 1L << 30) throw Bad("segment_size", "must be between 256 bytes and 1GiB", "segment_size = \"8MiB\"");
        if (data < 1 || data > EventLimits.MaxDataCeiling) throw Bad("max_data", "must be between 1 byte and 16MiB", "max_data = \"1MiB\"");
        var url = Text(t, "url");
        var backend = Text(t, "backend") ?? (url is null ? "embedded" : "nats");
        if (backend is not ("embedded" or "nats")) throw Bad("backend", $"is `{backend}`, not a backend", "backend = \"nats\" (or \"embedded\")");
        return new EventSettings(age, size, segment, data) { Backend = backend, Url = url, Table = t };
    }

    static string? Text(JsonObject t, string key)
    {
        if (t[key] is not JsonValue v) return null;
        if (v.TryGetValue<string>(out var s) && s.Length > 0) return s;
        throw Bad(key, "is not a non-empty string", key == "url" ? "url = \"nats://127.0.0.1:4222\"" : $"{key} = \"nats\"");
    }

    static TimeSpan? Duration(JsonObject t, string key)
    {
        if (t[key] is not JsonValue v) return null;
        if (v.TryGetValue<string>(out var s) && DurationValue.TryParse(s, out var d)) return d;
        throw Bad(key, "is not a duration", $"{key} = \"30d\"");
    }

    static long? Size(JsonObject t, string key)
    {
        if (t[key] is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var n)) return n;
        if (v.TryGetValue<string>(out var s) && SizeValue.TryParse(s, out var b)) return b;
        throw Bad(key, "is not a size", $"{key} = \"256MiB\"");
    }

    static ReshException Bad(string key, string what, string example) =>
        ReshError.Usage($"[events] {key} in the config {what}.", $"Example: {example}").ToException();
}
