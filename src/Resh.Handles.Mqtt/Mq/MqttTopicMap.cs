using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Packets;
using Resh.Core.Errors;
using Resh.Handles.Mq;

namespace Resh.Handles.Mqtt.Mq;

/// <summary>
/// How a queue maps onto MQTT 5: queue Q is the topic Q, exactly as named (mq:// names hold no `/`, `+`, `#`, NUL or
/// leading `$`, so no wildcard and no system topic can be named); its consumer is the persistent session
/// <c>resh:CONSUMER:Q</c> (CONSUMER = the profile's <c>consumer</c>, default <c>default</c>) subscribed to Q with QoS 1.
/// Headers and the key travel as MQTT 5 user properties (the key as <c>Resh-Key</c>, the publish time as
/// <c>Resh-Published</c>). A receipt is <c>PACKETID.HASH</c>: the packet identifier of the delivery (a redelivery in the
/// next session keeps it) and a hash of the session, topic and payload, so a receipt never acks another message.
/// </summary>
static class MqttTopicMap
{
    public const string KeyProperty = "Resh-Key";
    public const string PublishedProperty = "Resh-Published";

    public static string TopicOf(string queue) => queue;

    /// <summary>The queue's session: `:` is in neither a consumer nor a queue name, so two pairs never share one (s33 attacker #2).</summary>
    public static string ClientIdOf(string consumer, string queue) => $"resh:{consumer}:{queue}";

    public static bool IsConsumerName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') && char.IsAsciiLetterOrDigit(name[0]);

    public static string Receipt(string clientId, MqttApplicationMessage m, ushort packetId) =>
        packetId.ToString(CultureInfo.InvariantCulture) + "." + Hash(clientId, m);

    static string Hash(string clientId, MqttApplicationMessage m)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(Encoding.UTF8.GetBytes(clientId + "\n" + m.Topic + "\n"));
        foreach (var segment in m.Payload) h.AppendData(segment.Span);
        return Convert.ToHexStringLower(h.GetHashAndReset())[..12];
    }

    /// <summary>True when <paramref name="receipt"/> names this delivery (same packet identifier, same session, topic and payload).</summary>
    public static bool Matches((ushort PacketId, string Hash) receipt, string clientId, MqttApplicationMessage m, ushort packetId) =>
        receipt.PacketId == packetId && receipt.Hash == Hash(clientId, m);

    public static (ushort PacketId, string Hash) ParseReceipt(string queue, string receipt)
    {
        var dot = receipt.IndexOf('.');
        if (receipt.Length > 40 || dot < 1 || !ushort.TryParse(receipt.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0
            || receipt.Length - dot - 1 != 12 || !receipt.AsSpan(dot + 1).ToString().All(char.IsAsciiHexDigitLower))
            throw ReshError.Usage($"`{Clip(receipt)}` is not a receipt of the MQTT queue {queue}: a receipt is PACKETID.HASH as consume ack=manual returned it.",
                $"Use a receipt from resh mq://SERVER/{queue}.consume ack=manual.", new JsonObject { ["receipt"] = Clip(receipt) }).ToException();
        return (id, receipt[(dot + 1)..]);
    }

    public static MqttApplicationMessage Outgoing(string topic, MqOutgoing m, DateTimeOffset now, string? responseTopic = null, byte[]? correlation = null)
    {
        var b = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(m.Body)
            .WithQualityOfServiceLevel(m.Persistent ? MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce : MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce);
        if (m.Headers is not null)
            foreach (var (k, v) in m.Headers)
            {
                if (k.Length == 0 || k.Any(char.IsControl) || v.Any(c => c == '\0') || k.StartsWith("Resh-", StringComparison.OrdinalIgnoreCase))
                    throw ReshError.Usage($"Header `{Clip(k)}` cannot be sent as an MQTT user property: names are non-empty text without control characters (Resh- is resh's own), values hold no NUL.",
                        "Example: headers:='{\"trace\":\"ab12\"}'").ToException();
                b = b.WithUserProperty(k, Encoding.UTF8.GetBytes(v).AsMemory());
            }
        if (m.Key is not null)
        {
            if (m.Key.Contains('\0')) throw ReshError.Usage("key= cannot hold a NUL character over MQTT.", "Example: key=order-1234").ToException();
            b = b.WithUserProperty(KeyProperty, Encoding.UTF8.GetBytes(m.Key).AsMemory());
        }
        b = b.WithUserProperty(PublishedProperty, Encoding.UTF8.GetBytes(Stamp(now)).AsMemory());
        if (responseTopic is not null) b = b.WithResponseTopic(responseTopic).WithCorrelationData(correlation ?? []);
        return b.Build();
    }

    /// <summary>A delivered message as mq's message record. MQTT numbers no messages: seq is the delivery's packet identifier (0 for QoS 0).</summary>
    public static MqMessage Message(MqttApplicationMessage m, ushort packetId, string? receipt)
    {
        var data = m.Payload.ToArray();
        string body, encoding;
        if (System.Text.Unicode.Utf8.IsValid(data)) { body = Encoding.UTF8.GetString(data); encoding = "utf-8"; }
        else { body = Convert.ToBase64String(data); encoding = "base64"; }
        string? key = null, published = null;
        Dictionary<string, string>? user = null;
        if (m.UserProperties is { } props)
            foreach (var p in props)
            {
                var value = p.ReadValueAsString();
                if (p.Name == KeyProperty) key = value;
                else if (p.Name == PublishedProperty) published = value;
                else (user ??= new(StringComparer.Ordinal))[p.Name] = value;
            }
        var deliveries = m.Dup ? 2 : 1;
        return new MqMessage(packetId, body, encoding, data.Length, key, user, published ?? Stamp(DateTimeOffset.UtcNow), deliveries, deliveries - 1, receipt, null, null);
    }

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Clip(string s)
    {
        var e = Resh.Core.Text.TerminalText.Escape(s);
        return e.Length > 80 ? e[..80] + "…" : e;
    }
}
