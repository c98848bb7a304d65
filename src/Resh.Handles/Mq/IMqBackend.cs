using Resh.Core.Execution;

namespace Resh.Handles.Mq;

/// <summary>
/// Where queues live: the embedded store in the state directory (<see cref="EmbeddedMqBackend"/>) or a server (NATS
/// JetStream, in Resh.Handles.Nats). The verbs parse their arguments and speak only this interface; a backend without an
/// equivalent for a verb answers <c>unsupported</c> with a hint, never an imitation.
/// </summary>
public interface IMqBackend
{
    /// <summary><c>embedded</c> or <c>nats</c>.</summary>
    string Kind { get; }

    /// <summary>The server (host:port), null for the embedded backend.</summary>
    string? Server { get; }

    ValueTask<Outcome<MqPublishResult>> PublishAsync(VerbContext ctx, string queue, MqOutgoing message);
    ValueTask<Outcome<MqConsumeResult>> ConsumeAsync(VerbContext ctx, string queue, MqTake take, TimeSpan wait);
    ValueTask<Outcome<MqAckResult>> AckAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts);
    ValueTask<Outcome<MqNackResult>> NackAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts, bool deadLetter);
    ValueTask<Outcome<MqPeekResult>> PeekAsync(VerbContext ctx, string queue, int count);

    /// <summary>Streams <c>message</c> events until <paramref name="limit"/> or the call's timeout (which ends it normally).</summary>
    ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string queue, long? limit, MqTake take, TimeSpan maxPause);
    ValueTask<Outcome<MqQueuesResult>> QueuesAsync(VerbContext ctx);
    ValueTask<Outcome<MqCreateResult>> CreateAsync(VerbContext ctx, string queue, MqQueueSettings settings);
    ValueTask<Outcome<MqDeleteResult>> DeleteAsync(VerbContext ctx, string queue, bool force);
    ValueTask<Outcome<MqPurgeResult>> PurgeAsync(VerbContext ctx, string queue, bool force);
    ValueTask<Outcome<MqStatsResult>> StatsAsync(VerbContext ctx, string queue);

    /// <summary>Sends <paramref name="message"/> and waits up to <paramref name="timeout"/> for one reply.</summary>
    ValueTask<Outcome<MqRequestResult>> RequestAsync(VerbContext ctx, string queue, MqOutgoing message, TimeSpan timeout);
}

/// <summary>A message to publish: the body's bytes, an optional key and string headers, and whether to wait until it is stored.</summary>
public sealed record MqOutgoing(byte[] Body, string? Key, IReadOnlyDictionary<string, string>? Headers, bool Persistent);

/// <summary>How consume and subscribe take messages: how many, and ack=manual with its visibility timeout.</summary>
public sealed record MqTake(int Count, bool Manual, TimeSpan Visibility, bool VisibilityGiven);

/// <summary>Settings of create: max_deliveries, and the visibility timeout where the backend keeps it per queue (NATS: ack_wait).</summary>
public sealed record MqQueueSettings(int MaxDeliveries, TimeSpan? Visibility);
