using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Handles.Mq;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Mq;

/// <summary>
/// How a queue maps onto Redis Streams. Queue Q is the stream <c>resh:mq:Q</c> (queue names hold no `:`, `*`, `?`, `[` or
/// spaces, so every key resh makes stays under the prefix), read through the consumer group <c>resh</c>; its settings
/// (max_deliveries) are the hash <c>resh:mq:Q:meta</c>. Entries get the ids <c>0-1</c>, <c>0-2</c>... (XADD with
/// <c>0-*</c>, Redis 7), so the sequence number is the id's second part. An entry's fields: <c>body</c> (bytes),
/// <c>ts</c> (published, Unix ms), <c>key</c>, <c>h:NAME</c> per header, and in a dead-letter queue <c>o:queue</c>,
/// <c>o:seq</c>, <c>o:deliveries</c>, <c>o:reason</c>. Each consume reads as a consumer of its own, named
/// <c>vMS.HEX</c> after the visibility timeout MS it leased its messages for; a pending entry idle that long is taken
/// over by the next consume.
/// </summary>
internal static partial class RedisStreamMap
{
    public const string Prefix = "resh:mq:";
    public const string Group = "resh";
    /// <summary>The consumer a nacked message is parked under: visibility 0, so the next consume takes it over at once.</summary>
    public const string Requeue = "v0.requeue";

    public static RedisKey StreamOf(string queue) => Prefix + queue;
    public static RedisKey MetaOf(string queue) => Prefix + queue + ":meta";

    /// <summary>The queue a stream key names, or null for a key resh would not make (another prefix, the meta hash, an invalid name).</summary>
    public static string? QueueOf(string key) =>
        key.StartsWith(Prefix, StringComparison.Ordinal) && key[Prefix.Length..] is var q && MqName.IsValid(q) ? q : null;

    /// <summary>A fresh consumer name carrying the visibility timeout its leases last (auto-ack consumers lease nothing).</summary>
    public static string NewConsumer(TimeSpan? visibility) =>
        (visibility is { } v ? "v" + ((long)Math.Ceiling(v.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) : "auto")
        + "." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    [GeneratedRegex("^v([0-9]{1,12})\\.")]
    private static partial Regex LeaseName();

    /// <summary>How long a consumer's pending entries stay its own: the visibility in its name; 30 s for a consumer resh did not name (or a crashed auto consume).</summary>
    public static long VisibilityMsOf(string consumer) =>
        LeaseName().Match(consumer) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 30_000;

    /// <summary>The sequence number of an entry id <c>0-N</c>; an id resh did not give (another writer's <c>*</c>) is a conflict.</summary>
    public static long SeqOf(string queue, string id)
    {
        if (id.StartsWith("0-", StringComparison.Ordinal) && long.TryParse(id.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)) return seq;
        throw ReshError.Conflict($"The stream {Prefix}{queue} holds the entry {Clip(id)}, which resh did not write (resh's ids are 0-SEQ).",
            "Another program writes to this stream: use another queue name, or read the stream with a Redis client.",
            new JsonObject { ["stream"] = Prefix + queue, ["id"] = Clip(id) }).ToException();
    }

    public static string IdOf(long seq) => "0-" + seq.ToString(CultureInfo.InvariantCulture);

    /// <summary>A receipt: <c>QUEUE/SEQ/DELIVERIES/CONSUMER</c>; the consumer and delivery count make an older delivery's receipt stale.</summary>
    public static string Receipt(string queue, long seq, long deliveries, string consumer) =>
        string.Create(CultureInfo.InvariantCulture, $"{queue}/{seq}/{deliveries}/{consumer}");

    [GeneratedRegex("^(v[0-9]{1,12}|auto)\\.[0-9a-f]{12}$")]
    private static partial Regex ConsumerName();

    public static (long Seq, long Deliveries, string Consumer) ParseReceipt(string queue, string receipt)
    {
        var parts = receipt.Split('/');
        if (receipt.Length > 300 || parts.Length != 4
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq <= 0
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var deliveries) || deliveries <= 0
            || !ConsumerName().IsMatch(parts[3]))
            throw ReshError.Usage($"`{Clip(receipt)}` is not a receipt of the Redis queue {queue}: a receipt is QUEUE/SEQ/DELIVERIES/CONSUMER as consume ack=manual returned it.",
                $"Use a receipt from resh mq://SERVER/{queue}.consume ack=manual.", new JsonObject { ["receipt"] = Clip(receipt) }).ToException();
        if (parts[0] != queue)
            throw ReshError.Usage($"The receipt {Clip(receipt)} belongs to queue {Clip(parts[0])}, not to {queue}.",
                $"Ack it on its own queue, or use a receipt from resh mq://SERVER/{queue}.consume ack=manual.",
                new JsonObject { ["receipt"] = Clip(receipt) }).ToException();
        return (seq, deliveries, parts[3]);
    }

    /// <summary>The XADD arguments after the key and id: body, published time, key and headers.</summary>
    public static List<object> FieldsOf(MqOutgoing m, DateTimeOffset now)
    {
        var fields = new List<object> { "body", m.Body, "ts", now.ToUnixTimeMilliseconds() };
        if (m.Key is not null) { fields.Add("key"); fields.Add(m.Key); }
        if (m.Headers is not null)
            foreach (var (k, v) in m.Headers)
            {
                if (k.Length == 0) throw ReshError.Usage("A header name cannot be empty.", "Example: headers:='{\"trace\":\"ab12\"}'").ToException();
                fields.Add("h:" + k);
                fields.Add(v);
            }
        return fields;
    }

    /// <summary>An entry (<c>[id, [field, value, ...]]</c>) as mq's message record; null for an entry deleted meanwhile.</summary>
    public static MqMessage? Message(string queue, RedisResult entry, long deliveries, string? receipt, DateTimeOffset? until)
    {
        var pair = Array(entry);
        if (pair.Length < 2 || pair[1].IsNull) return null;
        var seq = SeqOf(queue, (string?)pair[0] ?? "");
        var fields = Array(pair[1]);
        byte[] data = [];
        string? key = null;
        long ts = 0;
        Dictionary<string, string>? headers = null;
        JsonObject? origin = null;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var name = (string?)fields[i] ?? "";
            var value = fields[i + 1];
            if (name == "body") data = (byte[]?)value ?? [];
            else if (name == "key") key = (string?)value;
            else if (name == "ts") long.TryParse((string?)value, NumberStyles.None, CultureInfo.InvariantCulture, out ts);
            else if (name.StartsWith("h:", StringComparison.Ordinal)) (headers ??= new(StringComparer.Ordinal))[name[2..]] = (string?)value ?? "";
            else if (name.StartsWith("o:", StringComparison.Ordinal))
            {
                origin ??= [];
                var field = name[2..];
                var text = (string?)value ?? "";
                origin[field] = field is "seq" or "deliveries" && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : text;
            }
        }
        string body, encoding;
        if (System.Text.Unicode.Utf8.IsValid(data)) { body = Encoding.UTF8.GetString(data); encoding = "utf-8"; }
        else { body = Convert.ToBase64String(data); encoding = "base64"; }
        return new MqMessage(seq, body, encoding, data.Length, key, headers, Stamp(DateTimeOffset.FromUnixTimeMilliseconds(ts)), (int)deliveries,
            (int)Math.Max(0, deliveries - 1), receipt, until is { } u ? Stamp(u) : null, origin);
    }

    public static RedisResult[] Array(RedisResult r) =>
        r.IsNull ? [] : r.Resp2Type == ResultType.Array ? (RedisResult[])r! : throw new CacheReplyException(CacheReplyException.Protocol, "a stream command answered something else than an array");

    /// <summary>The entries per stream of an XREADGROUP reply: <c>[[key, entries], ...]</c> in RESP2, a map <c>{key: entries}</c> (flattened) in RESP3.</summary>
    public static IEnumerable<RedisResult[]> StreamsOf(RedisResult reply)
    {
        var top = Array(reply);
        for (var i = 0; i < top.Length; i++)
        {
            if (top[i].Resp2Type == ResultType.Array)
            {
                var pair = Array(top[i]);
                if (pair.Length >= 2) yield return Array(pair[1]);
            }
            else if (i + 1 < top.Length)
            {
                yield return Array(top[++i]);
            }
        }
    }

    public static long Int(RedisResult r) => r.Resp2Type == ResultType.Integer ? (long)r
        : long.TryParse((string?)r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
        : throw new CacheReplyException(CacheReplyException.Protocol, "a stream command answered a non-integer where it gives a number");

    /// <summary>XINFO's flat <c>[name, value, ...]</c> reply as a lookup.</summary>
    public static Dictionary<string, RedisResult> Info(RedisResult r)
    {
        var a = Array(r);
        var d = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < a.Length; i += 2) d[(string?)a[i] ?? ""] = a[i + 1];
        return d;
    }

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Clip(string s)
    {
        var e = Resh.Core.Text.TerminalText.Escape(s);
        return e.Length > 80 ? e[..80] + "…" : e;
    }
}
