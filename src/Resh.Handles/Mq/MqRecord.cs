using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Mq;

/// <summary>
/// One message as stored in a segment: a 12-byte frame (magic, payload length, CRC-32 of the payload), then the payload:
/// sequence number, publish time (Unix ms), the length of a JSON meta object (key, headers, where a dead letter came
/// from) and the meta, then the body.
/// </summary>
public sealed record MqRecord(long Seq, long PublishedMs, string? Key, IReadOnlyDictionary<string, string>? Headers, JsonObject? Origin, byte[] Body)
{
    public const uint Magic = 0x3152514D; // "MQR1"
    public const int FrameSize = 12;
    /// <summary>No payload is larger (the largest max_body plus room for the meta): a larger length is a corrupt frame.</summary>
    public const int MaxPayload = MqLimits.MaxBodyCeiling + 1024 * 1024;

    public byte[] Encode()
    {
        var meta = Meta();
        var payloadLen = 8 + 8 + 4 + meta.Length + Body.Length;
        var buf = new byte[FrameSize + payloadLen];
        var p = buf.AsSpan(FrameSize);
        BinaryPrimitives.WriteInt64LittleEndian(p, Seq);
        BinaryPrimitives.WriteInt64LittleEndian(p[8..], PublishedMs);
        BinaryPrimitives.WriteInt32LittleEndian(p[16..], meta.Length);
        meta.CopyTo(p[20..]);
        Body.CopyTo(p[(20 + meta.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(buf, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(buf.AsSpan(4), payloadLen);
        BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(8), MqCrc.Of(p));
        return buf;
    }

    byte[] Meta()
    {
        if (Key is null && Headers is null && Origin is null) return [];
        var o = new JsonObject();
        if (Key is not null) o["key"] = Key;
        if (Headers is not null)
        {
            var h = new JsonObject();
            foreach (var (k, v) in Headers) h[k] = v;
            o["headers"] = h;
        }
        if (Origin is not null) o["origin"] = Origin.DeepClone();
        return Encoding.UTF8.GetBytes(o.ToJsonString());
    }

    /// <summary>The payload length a frame declares, or -1 when the frame is not a record's (torn, flipped, foreign).</summary>
    public static int PayloadLength(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < FrameSize || BinaryPrimitives.ReadUInt32LittleEndian(frame) != Magic) return -1;
        var len = BinaryPrimitives.ReadInt32LittleEndian(frame[4..]);
        return len is >= 20 and <= MaxPayload ? len : -1;
    }

    /// <summary>The record in a frame and its payload, or null when the checksum or the layout does not hold.</summary>
    public static MqRecord? Decode(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> payload)
    {
        if (MqCrc.Of(payload) != BinaryPrimitives.ReadUInt32LittleEndian(frame[8..])) return null;
        var seq = BinaryPrimitives.ReadInt64LittleEndian(payload);
        var ts = BinaryPrimitives.ReadInt64LittleEndian(payload[8..]);
        var metaLen = BinaryPrimitives.ReadInt32LittleEndian(payload[16..]);
        if (metaLen < 0 || 20 + metaLen > payload.Length) return null;
        string? key = null;
        Dictionary<string, string>? headers = null;
        JsonObject? origin = null;
        if (metaLen > 0)
        {
            try
            {
                if (JsonNode.Parse(payload.Slice(20, metaLen)) is not JsonObject o) return null;
                key = o["key"]?.GetValue<string>();
                if (o["headers"] is JsonObject h)
                {
                    headers = new(StringComparer.Ordinal);
                    foreach (var (k, v) in h) headers[k] = v?.GetValue<string>() ?? "";
                }
                origin = o["origin"] as JsonObject;
                if (origin is not null) o.Remove("origin");
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException) { return null; }
        }
        return new MqRecord(seq, ts, key, headers, origin, payload[(20 + metaLen)..].ToArray());
    }
}

public static class MqLimits
{
    /// <summary>max_body may not be set higher: a message is read whole into memory.</summary>
    public const int MaxBodyCeiling = 64 * 1024 * 1024;
    public const long DefaultMaxBody = 1024 * 1024;
    /// <summary>A segment is closed and a new one begun past this size; fully acked segments are deleted.</summary>
    public const long SegmentSize = 16 * 1024 * 1024;
    public const int DefaultMaxDeliveries = 5;
}
