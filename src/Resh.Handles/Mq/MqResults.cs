using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Mq;

[Description("One message as delivered or peeked.")]
public sealed record MqMessage(
    [property: Description("The message's sequence number in its queue (its id).")] long Seq,
    [property: Description("The body: UTF-8 text, or base64 when it is not valid UTF-8 (see encoding).")] string Body,
    [property: Description("utf-8 or base64.")] string Encoding,
    [property: Description("Size of the body in bytes.")] long Bytes,
    [property: Description("The key given at publish, if any.")] string? Key,
    [property: Description("The headers given at publish, if any.")] IReadOnlyDictionary<string, string>? Headers,
    [property: Description("When it was published (RFC 3339 UTC).")] string Published,
    [property: Description("How many times it has been delivered, this delivery included (0 for peek of a new message).")] int Deliveries,
    [property: Description("How many times it was delivered before this delivery (a lease that expired, or a nack).")] int Redeliveries,
    [property: Description("With ack=manual: give it to ack or nack before lease_until.")] string? Receipt,
    [property: Description("With ack=manual: when the lease ends and the message is delivered again (RFC 3339 UTC).")] string? LeaseUntil,
    [property: Description("In a dead-letter queue: where the message came from and why it was dead-lettered.")] JsonObject? Origin);

public sealed record MqPublishResult(
    [property: JsonPropertyOrder(0)] string Queue,
    long Seq,
    [property: JsonPropertyOrder(2), Description("Size of the body in bytes.")] long Bytes,
    bool Durable,
    [property: JsonPropertyOrder(4), Description("When it was published (RFC 3339 UTC).")] string Published)
{
    /// <summary>Settable: inside `resh batch` a NATS publish learns its sequence number from the server's ack, after the line ran and before its answer is written.</summary>
    [JsonPropertyOrder(1)]
    [Description("The message's sequence number in the queue (NATS: in its stream; Redis: the stream id 0-SEQ; 0 with persistent=false, which does not wait for the server's ack).")]
    public long Seq { get; set; } = Seq;

    [JsonPropertyOrder(3)]
    [Description("True when the message was stored before this answer: on disk (fsync) for the embedded queue, acked by the JetStream server for NATS, answered by XADD for Redis; false with persistent=false.")]
    public bool Durable { get; set; } = Durable;
}

public sealed record MqConsumeResult(
    string Queue,
    [property: Description("auto (acked on delivery) or manual (leased until acked).")] string Ack,
    IReadOnlyList<MqMessage> Messages,
    int Count,
    [property: Description("Messages moved to the dead-letter queue instead of delivered (max_deliveries reached).")] int DeadLettered);

public sealed record MqAckResult(
    string Queue,
    [property: Description("Sequence numbers acked by this call.")] IReadOnlyList<long> Acked,
    [property: Description("Sequence numbers that were already done (acked before, purged).")] IReadOnlyList<long> AlreadyDone);

public sealed record MqNackResult(
    string Queue,
    [property: Description("Sequence numbers put back, delivered again by the next consume.")] IReadOnlyList<long> Requeued,
    [property: Description("Sequence numbers moved to the dead-letter queue.")] IReadOnlyList<long> DeadLettered,
    [property: Description("The dead-letter queue's name.")] string DeadLetterQueue);

public sealed record MqPeekResult(
    string Queue,
    [property: Description("The next messages a consume would get, in order, untouched.")] IReadOnlyList<MqMessage> Messages,
    [property: Description("Messages ready for delivery.")] long Depth);

[Description("One queue and its counts.")]
public sealed record MqQueueInfo(
    string Name,
    [property: Description("Messages ready for delivery (new, or whose lease ended).")] long Depth,
    [property: Description("Messages delivered with ack=manual and not yet acked, whose lease still runs.")] long InFlight,
    [property: Description("Messages moved from this queue to its dead-letter queue so far.")] long DeadLettered,
    [property: Description("Messages published to it so far.")] long Published,
    [property: Description("After this many deliveries a message goes to NAME.dlq instead (not for a dead-letter queue itself).")] int MaxDeliveries,
    [property: Description("Consumers the server knows for it (NATS: the stream's consumers; Redis: the group's consumers holding leases); null for the embedded queue, which has no registry of consumers.")] int? Consumers);

public sealed record MqQueuesResult(IReadOnlyList<MqQueueInfo> Queues);

public sealed record MqCreateResult(
    string Queue,
    [property: Description("False when it existed already (its settings are updated).")] bool Created,
    int MaxDeliveries,
    [property: Description("Where messages go after max_deliveries or nack dead_letter=true.")] string DeadLetterQueue);

public sealed record MqDeleteResult(
    string Queue,
    [property: Description("False when there was no such queue.")] bool Deleted,
    [property: Description("Messages that were still in it (ready or in flight).")] long Dropped);

public sealed record MqPurgeResult(
    string Queue,
    [property: Description("Messages removed (ready and in flight).")] long Purged);

public sealed record MqStatsResult(
    string Queue,
    long Depth,
    long InFlight,
    long Published,
    long Delivered,
    [property: Description("Deliveries after the first (expired leases and nacks); NATS: messages now pending that were delivered more than once.")] long Redelivered,
    [property: Description("Acks counted so far; null for NATS and Redis (the server does not count them).")] long? Acked,
    [property: Description("Nacks counted so far; null for NATS and Redis (the server does not count them).")] long? Nacked,
    long DeadLettered,
    int MaxDeliveries,
    [property: Description("Age of the oldest ready message in milliseconds; null when none is ready.")] double? OldestReadyMs,
    [property: Description("Segment files on disk (fully acked ones are deleted); null for NATS and Redis.")] int? Segments,
    [property: Description("Bytes in those segments (NATS: the stream's bytes; null for Redis).")] long? DiskBytes,
    [property: Description("Consumers of the queue (NATS: the stream's consumers); null for the embedded queue.")] int? Consumers);

public sealed record MqSubscribeResult(
    string Queue,
    [property: Description("Messages streamed as NDJSON `message` events.")] long Received,
    [property: Description("count (count= reached), timeout (--timeout, a normal end).")] string Ended);

public sealed record MqRequestResult(
    [property: Description("The subject the request was sent to.")] string Subject,
    [property: Description("The reply's body: UTF-8 text, or base64 when it is not valid UTF-8 (see encoding).")] string Body,
    [property: Description("utf-8 or base64.")] string Encoding,
    [property: Description("Size of the reply's body in bytes.")] long Bytes,
    [property: Description("The reply's headers, if any.")] IReadOnlyDictionary<string, string>? Headers,
    [property: Description("How long the reply took, in milliseconds.")] double ElapsedMs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MqPublishResult))]
[JsonSerializable(typeof(MqConsumeResult))]
[JsonSerializable(typeof(MqAckResult))]
[JsonSerializable(typeof(MqNackResult))]
[JsonSerializable(typeof(MqPeekResult))]
[JsonSerializable(typeof(MqQueuesResult))]
[JsonSerializable(typeof(MqCreateResult))]
[JsonSerializable(typeof(MqDeleteResult))]
[JsonSerializable(typeof(MqPurgeResult))]
[JsonSerializable(typeof(MqStatsResult))]
[JsonSerializable(typeof(MqSubscribeResult))]
[JsonSerializable(typeof(MqRequestResult))]
[JsonSerializable(typeof(MqMessage))]
[JsonSerializable(typeof(MqState))]
[JsonSerializable(typeof(MqConfig))]
public sealed partial class MqJson : JsonSerializerContext;
