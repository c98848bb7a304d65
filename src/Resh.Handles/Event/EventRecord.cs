using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Event;

/// <summary>
/// One event as stored: one line of a segment, <c>CRC32HEX JSON\n</c>, the CRC-32 (IEEE) of the JSON's bytes in 8 hex
/// digits. JSON never holds a raw newline, so the newline is a record's last byte: a line without one is a torn write,
/// and after a damaged line the next one is found at the next newline.
/// </summary>
public sealed record EventRecord(long Seq, string Id, long TimeMs, string Topic, string? Source, string? Correlation, string? Who, JsonNode? Data)
{
    /// <summary>A line is never longer (the largest data plus the other fields): a longer one is damage.</summary>
    public const int MaxLine = EventLimits.MaxDataCeiling + 64 * 1024;

    public JsonObject ToJson() => new()
    {
        ["seq"] = Seq,
        ["id"] = Id,
        ["time"] = Stamp(TimeMs),
        ["topic"] = Topic,
        ["source"] = Source,
        ["correlation"] = Correlation,
        ["who"] = Who,
        ["data"] = Data?.DeepClone(),
    };

    public byte[] Encode()
    {
        var json = Encoding.UTF8.GetBytes(ToJson().ToJsonString());
        var line = new byte[9 + json.Length + 1];
        Hex(Crc32.HashToUInt32(json), line);
        line[8] = (byte)' ';
        json.CopyTo(line, 9);
        line[^1] = (byte)'\n';
        return line;
    }

    static void Hex(uint v, Span<byte> into)
    {
        const string digits = "0123456789abcdef";
        for (var i = 7; i >= 0; i--) { into[i] = (byte)digits[(int)(v & 0xF)]; v >>= 4; }
    }

    /// <summary>The record of one line (without its newline), or null when its checksum or layout does not hold.</summary>
    public static EventRecord? Decode(ReadOnlySpan<byte> line)
    {
        if (line.Length < 11 || line[8] != (byte)' ') return null;
        Span<byte> want = stackalloc byte[8];
        var json = line[9..];
        Hex(Crc32.HashToUInt32(json), want);
        if (!line[..8].SequenceEqual(want)) return null;
        return Parse(json, null);
    }

    /// <summary>The event as a message body of another backend (NATS): its JSON without seq, which is the message's sequence there.</summary>
    public byte[] EncodeBody()
    {
        var o = ToJson();
        o.Remove("seq");
        return Encoding.UTF8.GetBytes(o.ToJsonString());
    }

    /// <summary>The event of a message body (<see cref="EncodeBody"/>) with sequence number <paramref name="seq"/>; null when it is not one.</summary>
    public static EventRecord? FromBody(long seq, ReadOnlySpan<byte> json) => Parse(json, seq);

    static EventRecord? Parse(ReadOnlySpan<byte> json, long? knownSeq)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o) return null;
            var seq = knownSeq ?? o["seq"]!.GetValue<long>();
            var id = o["id"]!.GetValue<string>();
            var time = DateTimeOffset.Parse(o["time"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();
            var topic = o["topic"]!.GetValue<string>();
            var data = o["data"];
            o.Remove("data");
            return new EventRecord(seq, id, time, topic, Str(o["source"]), Str(o["correlation"]), Str(o["who"]), data);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or NullReferenceException) { return null; }
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string Stamp(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

}

public static class EventLimits
{
    public const long DefaultMaxData = 1024 * 1024;
    /// <summary>max_data may not be set higher: an event is read whole into memory.</summary>
    public const int MaxDataCeiling = 16 * 1024 * 1024;
    public const long DefaultSegmentSize = 8 * 1024 * 1024;
    public const long DefaultMaxSize = 256L * 1024 * 1024;
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromDays(30);
    public const int MaxSourceLength = 200;
}
