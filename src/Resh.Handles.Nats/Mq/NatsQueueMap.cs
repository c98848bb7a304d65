using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.Core.Errors;
using Resh.Handles.Mq;

namespace Resh.Handles.Nats.Mq;

/// <summary>
/// How a queue maps onto JetStream: queue Q is the stream Q with its dots turned into `_` (stream names cannot hold
/// dots), capturing the subject Q, with work-queue retention (an acked message leaves the stream) and the durable pull
/// consumer <c>resh</c>. The stream's description <c>resh mq Q max_deliveries=N</c> marks it as resh's and keeps the
/// setting the server has no place for.
/// </summary>
static class NatsQueueMap
{
    public const string Consumer = "resh";
    public const string KeyHeader = "Resh-Key";
    public const string OriginQueueHeader = "Resh-Origin-Queue";
    public const string OriginSeqHeader = "Resh-Origin-Seq";
    public const string OriginReasonHeader = "Resh-Origin-Reason";
    public const string OriginDeliveriesHeader = "Resh-Origin-Deliveries";
    const string DescriptionPrefix = "resh mq ";

    public static string StreamOf(string queue) => queue.Replace('.', '_');

    public static string SubjectOf(string queue) => queue;

    public static string Description(string queue, int maxDeliveries) =>
        $"{DescriptionPrefix}{queue} max_deliveries={maxDeliveries.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The queue and max_deliveries a stream description names, or null for a stream resh did not make.</summary>
    public static (string Queue, int MaxDeliveries)? FromDescription(string? description)
    {
        if (description is null || !description.StartsWith(DescriptionPrefix, StringComparison.Ordinal)) return null;
        var parts = description[DescriptionPrefix.Length..].Split(' ');
        var max = MqLimits.DefaultMaxDeliveries;
        foreach (var p in parts.Skip(1))
            if (p.StartsWith("max_deliveries=", StringComparison.Ordinal) && int.TryParse(p.AsSpan(15), NumberStyles.None, CultureInfo.InvariantCulture, out var m)) max = m;
        return parts.Length > 0 && MqName.IsValid(parts[0]) ? (parts[0], max) : null;
    }

    /// <summary>
    /// A receipt is the JetStream ack subject of the delivery: <c>$JS.ACK.STREAM.CONSUMER.DELIVERED.SSEQ.CSEQ.TIME.PENDING</c>
    /// (or the longer form with a domain and account hash). It names its stream, so a receipt of another queue is refused.
    /// </summary>
    public static (string Subject, ulong StreamSeq, int Deliveries) ParseReceipt(string queue, string receipt)
    {
        var tokens = receipt.Split('.');
        if (receipt.Length > 512 || tokens.Length is not (9 or 11 or 12) || tokens[0] != "$JS" || tokens[1] != "ACK" || receipt.Any(c => c <= ' ' || c > '~'))
            throw ReshError.Usage($"`{Clip(receipt)}` is not a receipt of the NATS queue {queue}: a receipt is the $JS.ACK... subject consume ack=manual returned.",
                $"Use a receipt from resh mq://SERVER/{queue}.consume ack=manual.", new JsonObject { ["receipt"] = Clip(receipt) }).ToException();
        var at = tokens.Length == 9 ? 2 : 4; // the long form inserts domain and account hash before the stream
        var stream = tokens[at];
        var consumer = tokens[at + 1];
        if (stream != StreamOf(queue) || consumer != Consumer)
            throw ReshError.Usage($"The receipt {Clip(receipt)} belongs to stream {Clip(stream)} (consumer {Clip(consumer)}), not to queue {queue}.",
                $"Ack it on its own queue, or use a receipt from resh mq://SERVER/{queue}.consume ack=manual.",
                new JsonObject { ["receipt"] = Clip(receipt), ["stream"] = Clip(stream) }).ToException();
        if (!int.TryParse(tokens[at + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var delivered)
            || !ulong.TryParse(tokens[at + 3], NumberStyles.None, CultureInfo.InvariantCulture, out var sseq))
            throw ReshError.Usage($"`{Clip(receipt)}` is not a receipt: its delivery count and sequence are not numbers.", "Use the receipt as consume returned it.").ToException();
        return (receipt, sseq, delivered);
    }

    public static NatsHeaders? HeadersOf(MqOutgoing m, NatsHeaders? extra = null)
    {
        if (m.Key is null && m.Headers is null && extra is null) return null;
        var h = extra ?? new NatsHeaders();
        if (m.Headers is not null)
            foreach (var (k, v) in m.Headers)
            {
                if (k.Length == 0 || k.Any(c => c <= ' ' || c > '~' || c == ':') || v.Any(c => c is '\r' or '\n'))
                    throw ReshError.Usage($"Header `{Clip(k)}` cannot be sent to NATS: names are printable ASCII without `:`, values one line.",
                        "Example: headers:='{\"trace\":\"ab12\"}'").ToException();
                h[k] = v;
            }
        if (m.Key is not null) h[KeyHeader] = m.Key;
        return h;
    }

    /// <summary>A delivered or peeked JetStream message as mq's message record.</summary>
    public static MqMessage Message(ulong seq, byte[]? data, NatsHeaders? headers, DateTimeOffset published, int deliveries, string? receipt, DateTimeOffset? until)
    {
        data ??= [];
        string body, encoding;
        if (Utf8.IsValid(data)) { body = Encoding.UTF8.GetString(data); encoding = "utf-8"; }
        else { body = Convert.ToBase64String(data); encoding = "base64"; }
        string? key = null;
        Dictionary<string, string>? user = null;
        JsonObject? origin = null;
        if (headers is not null)
            foreach (var (k, v) in headers)
            {
                var value = v.ToString();
                if (k == KeyHeader) key = value;
                else if (k.StartsWith("Resh-Origin-", StringComparison.Ordinal))
                {
                    origin ??= [];
                    var field = k["Resh-Origin-".Length..].ToLowerInvariant();
                    origin[field] = field is "seq" or "deliveries" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : value;
                }
                else if (!k.StartsWith("Nats-", StringComparison.Ordinal)) (user ??= new(StringComparer.Ordinal))[k] = value;
            }
        return new MqMessage((long)seq, body, encoding, data.Length, key, user, Stamp(published), deliveries, Math.Max(0, deliveries - 1), receipt,
            until is { } u ? Stamp(u) : null, origin);
    }

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    static class Utf8
    {
        public static bool IsValid(byte[] b) => System.Text.Unicode.Utf8.IsValid(b);
    }

    public static string Clip(string s)
    {
        var e = Resh.Core.Text.TerminalText.Escape(s);
        return e.Length > 80 ? e[..80] + "…" : e;
    }
}
