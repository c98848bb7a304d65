using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Values;

namespace Resh.Handles.Event;

/// <summary>The config's <c>[events]</c> table: retention (max_age, max_size), segment_size, max_data and record.</summary>
public sealed record EventSettings(TimeSpan MaxAge, long MaxSize, long SegmentSize, long MaxData)
{
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
        return new EventSettings(age, size, segment, data);
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
