using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Mq;

namespace Resh.Handles.Nats.Mq;

/// <summary>Streams and consumers behind the queues: made on first publish or by create, listed, counted, purged, deleted.</summary>
public sealed partial class NatsMqBackend
{
    /// <summary>Streams this process already made sure of (a batch's publishes check once).</summary>
    static readonly ConcurrentDictionary<string, bool> Ensured = new(StringComparer.Ordinal);

    static readonly TimeSpan DefaultAckWait = TimeSpan.FromSeconds(30);

    static bool IsNotFound(NatsJSApiException e) => e.Error.Code == 404;

    StreamConfig StreamConfigOf(string queue, int maxDeliveries) => new(NatsQueueMap.StreamOf(queue), [NatsQueueMap.SubjectOf(queue)])
    {
        Description = NatsQueueMap.Description(queue, maxDeliveries),
        Retention = StreamConfigRetention.Workqueue,
        Storage = StreamConfigStorage.File,
        AllowDirect = true,
    };

    static ConsumerConfig ConsumerConfigOf(TimeSpan? ackWait) => new(NatsQueueMap.Consumer)
    {
        DurableName = NatsQueueMap.Consumer,
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        AckWait = ackWait ?? DefaultAckWait,
        MaxDeliver = -1,
        Description = "resh mq consumer",
    };

    /// <summary>The queue's stream, or null when the server has none of that name; a stream of another queue or not made by resh is a conflict.</summary>
    async Task<INatsJSStream?> FindStreamAsync(VerbContext ctx, string queue)
    {
        var name = NatsQueueMap.StreamOf(queue);
        var stream = await Call(ctx, async ct =>
        {
            try { return await _js.GetStreamAsync(name, cancellationToken: ct).ConfigureAwait(false); }
            catch (NatsJSApiException e) when (IsNotFound(e)) { return null; }
        }).ConfigureAwait(false);
        if (stream is not null && NatsQueueMap.FromDescription(stream.Info.Config.Description) is not { } mine)
            throw ReshError.Conflict($"The stream {name} on {_server.Label} was not made by resh for a queue.",
                "Pick another queue name, or use the stream with a NATS client of its own.", new JsonObject { ["stream"] = name }).ToException();
        if (stream is not null && NatsQueueMap.FromDescription(stream.Info.Config.Description)!.Value.Queue != queue)
            throw ReshError.Conflict($"The stream {name} on {_server.Label} belongs to queue {NatsQueueMap.FromDescription(stream.Info.Config.Description)!.Value.Queue} (dots become `_` in stream names).",
                "Pick a queue name that differs in more than `.` and `_`.", new JsonObject { ["stream"] = name }).ToException();
        return stream;
    }

    async Task<INatsJSStream> StreamAsync(VerbContext ctx, string queue) =>
        await FindStreamAsync(ctx, queue).ConfigureAwait(false)
        ?? throw ReshError.NotFound($"There is no queue {queue} on {_server.Label}.",
            $"Publish to it (which creates it), or create it: resh mq://SERVER/{queue}.create", new JsonObject { ["queue"] = queue }).ToException();

    /// <summary>Makes the stream and its consumer when missing (first publish, or create); once per process per stream.</summary>
    async Task<bool> EnsureQueueAsync(VerbContext ctx, string queue, MqQueueSettings? settings)
    {
        var key = _server.Key + "|" + queue;
        if (settings is null && Ensured.ContainsKey(key)) return false;
        var stream = await FindStreamAsync(ctx, queue).ConfigureAwait(false);
        var created = false;
        if (stream is null)
        {
            await Call(ctx, ct => _js.CreateStreamAsync(StreamConfigOf(queue, settings?.MaxDeliveries ?? MqLimits.DefaultMaxDeliveries), ct).AsTask()).ConfigureAwait(false);
            await Call(ctx, ct => _js.CreateOrUpdateConsumerAsync(NatsQueueMap.StreamOf(queue), ConsumerConfigOf(settings?.Visibility), ct).AsTask()).ConfigureAwait(false);
            created = true;
        }
        Ensured[key] = true;
        return created;
    }

    /// <summary>The queue's consumer (made when missing) and its max_deliveries.</summary>
    async Task<(INatsJSConsumer Consumer, int MaxDeliveries)> ConsumerAsync(VerbContext ctx, string queue, MqTake take)
    {
        var stream = await StreamAsync(ctx, queue).ConfigureAwait(false);
        var max = NatsQueueMap.FromDescription(stream.Info.Config.Description)?.MaxDeliveries ?? MqLimits.DefaultMaxDeliveries;
        var consumer = await Call(ctx, async ct =>
        {
            try { return await stream.GetConsumerAsync(NatsQueueMap.Consumer, ct).ConfigureAwait(false); }
            catch (NatsJSApiException e) when (IsNotFound(e)) { return await stream.CreateOrUpdateConsumerAsync(ConsumerConfigOf(null), ct).ConfigureAwait(false); }
        }).ConfigureAwait(false);
        if (take.Manual && take.VisibilityGiven && consumer.Info.Config.AckWait != take.Visibility)
            ctx.Warn($"On NATS the visibility timeout is the consumer's ack_wait ({Resh.Core.Values.DurationValue.Format(consumer.Info.Config.AckWait)}), not visibility=; "
                + $"change it with resh mq://SERVER/{queue}.create visibility={Resh.Core.Values.DurationValue.Format(take.Visibility)}.");
        return (consumer, max);
    }

    public async ValueTask<Outcome<MqQueuesResult>> QueuesAsync(VerbContext ctx)
    {
        var list = new List<MqQueueInfo>();
        var streams = await Call(ctx, async ct =>
        {
            var all = new List<INatsJSStream>();
            await foreach (var s in _js.ListStreamsAsync(cancellationToken: ct).ConfigureAwait(false)) all.Add(s);
            return all;
        }).ConfigureAwait(false);
        var byName = streams.ToDictionary(s => s.Info.Config.Name ?? "", StringComparer.Ordinal);
        foreach (var s in streams)
        {
            if (NatsQueueMap.FromDescription(s.Info.Config.Description) is not { } mine) continue;
            var (depth, inFlight) = await CountsAsync(ctx, s).ConfigureAwait(false);
            var dlq = byName.GetValueOrDefault(NatsQueueMap.StreamOf(MqName.DeadLetterOf(mine.Queue)));
            list.Add(new MqQueueInfo(mine.Queue, depth, inFlight, (long)(dlq?.Info.State.LastSeq ?? 0), (long)s.Info.State.LastSeq,
                MqName.IsDeadLetter(mine.Queue) ? 0 : mine.MaxDeliveries, (int)s.Info.State.ConsumerCount));
        }
        return Outcome.Unchanged(new MqQueuesResult(list.OrderBy(q => q.Name, StringComparer.Ordinal).ToList()));
    }

    /// <summary>Messages not yet delivered and delivered-but-unacked, from the consumer <c>resh</c> (all of the stream when it has none).</summary>
    async Task<(long Depth, long InFlight)> CountsAsync(VerbContext ctx, INatsJSStream s)
    {
        var info = await Call(ctx, async ct =>
        {
            try { return (await s.GetConsumerAsync(NatsQueueMap.Consumer, ct).ConfigureAwait(false)).Info; }
            catch (NatsJSApiException e) when (IsNotFound(e)) { return null; }
        }).ConfigureAwait(false);
        return info is null ? ((long)s.Info.State.Messages, 0) : ((long)info.NumPending, info.NumAckPending);
    }

    public async ValueTask<Outcome<MqCreateResult>> CreateAsync(VerbContext ctx, string queue, MqQueueSettings settings)
    {
        var stream = await FindStreamAsync(ctx, queue).ConfigureAwait(false);
        var dlq = MqName.DeadLetterOf(queue);
        if (stream is null)
        {
            if (!ctx.DryRun) await EnsureQueueAsync(ctx, queue, settings).ConfigureAwait(false);
            return Outcome.Changed(new MqCreateResult(queue, true, settings.MaxDeliveries, dlq));
        }
        var current = NatsQueueMap.FromDescription(stream.Info.Config.Description)!.Value.MaxDeliveries;
        var consumer = await Call(ctx, async ct =>
        {
            try { return (await stream.GetConsumerAsync(NatsQueueMap.Consumer, ct).ConfigureAwait(false)).Info; }
            catch (NatsJSApiException e) when (IsNotFound(e)) { return null; }
        }).ConfigureAwait(false);
        var ackWaitChanged = consumer is null || (settings.Visibility is { } v && consumer.Config.AckWait != v);
        var changed = current != settings.MaxDeliveries || ackWaitChanged;
        if (changed && !ctx.DryRun)
        {
            if (current != settings.MaxDeliveries)
                await Call(ctx, ct => _js.UpdateStreamAsync(StreamConfigOf(queue, settings.MaxDeliveries) with { }, ct).AsTask()).ConfigureAwait(false);
            if (ackWaitChanged)
                await Call(ctx, ct => _js.CreateOrUpdateConsumerAsync(NatsQueueMap.StreamOf(queue), ConsumerConfigOf(settings.Visibility ?? consumer?.Config.AckWait), ct).AsTask()).ConfigureAwait(false);
        }
        return Outcome.Changed(new MqCreateResult(queue, false, settings.MaxDeliveries, dlq), changed);
    }

    public async ValueTask<Outcome<MqDeleteResult>> DeleteAsync(VerbContext ctx, string queue, bool force)
    {
        var stream = await FindStreamAsync(ctx, queue).ConfigureAwait(false);
        if (stream is null) return Outcome.Unchanged(new MqDeleteResult(queue, false, 0));
        var held = (long)stream.Info.State.Messages;
        if (held > 0 && !force)
            return ReshError.Conflict($"The queue {queue} still holds {held} message{(held == 1 ? "" : "s")}.",
                $"Consume them first, or delete anyway with force=true (they are lost): resh mq://SERVER/{queue}.delete force=true",
                new JsonObject { ["queue"] = queue, ["messages"] = held });
        if (!ctx.DryRun)
        {
            await Call(ctx, ct => _js.DeleteStreamAsync(NatsQueueMap.StreamOf(queue), ct).AsTask()).ConfigureAwait(false);
            Ensured.TryRemove(_server.Key + "|" + queue, out _);
        }
        return Outcome.Changed(new MqDeleteResult(queue, true, held));
    }

    public async ValueTask<Outcome<MqPurgeResult>> PurgeAsync(VerbContext ctx, string queue, bool force)
    {
        var stream = await StreamAsync(ctx, queue).ConfigureAwait(false);
        var held = (long)stream.Info.State.Messages;
        if (held == 0) return Outcome.Unchanged(new MqPurgeResult(queue, 0));
        if (!force)
            return ReshError.Conflict($"Purging {queue} drops {held} message{(held == 1 ? "" : "s")}.",
                $"Confirm with force=true: resh mq://SERVER/{queue}.purge force=true", new JsonObject { ["queue"] = queue, ["messages"] = held });
        if (!ctx.DryRun)
        {
            var purged = await Call(ctx, ct => _js.PurgeStreamAsync(NatsQueueMap.StreamOf(queue), new StreamPurgeRequest(), ct).AsTask()).ConfigureAwait(false);
            held = (long)purged.Purged;
        }
        return Outcome.Changed(new MqPurgeResult(queue, held));
    }

    public async ValueTask<Outcome<MqStatsResult>> StatsAsync(VerbContext ctx, string queue)
    {
        var stream = await StreamAsync(ctx, queue).ConfigureAwait(false);
        var max = NatsQueueMap.FromDescription(stream.Info.Config.Description)?.MaxDeliveries ?? MqLimits.DefaultMaxDeliveries;
        var info = await Call(ctx, async ct =>
        {
            try { return (await stream.GetConsumerAsync(NatsQueueMap.Consumer, ct).ConfigureAwait(false)).Info; }
            catch (NatsJSApiException e) when (IsNotFound(e)) { return null; }
        }).ConfigureAwait(false);
        var state = stream.Info.State;
        double? oldest = null;
        if (state.Messages > 0 && state.FirstTs is { } first)
        {
            if (DateTimeOffset.TryParse(first, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
                oldest = Math.Max(0, (DateTimeOffset.UtcNow - t).TotalMilliseconds);
        }
        long deadLettered = 0;
        if (!MqName.IsDeadLetter(queue) && await FindStreamAsync(ctx, MqName.DeadLetterOf(queue)).ConfigureAwait(false) is { } dlq) deadLettered = (long)dlq.Info.State.LastSeq;
        return Outcome.Unchanged(new MqStatsResult(queue,
            info is null ? (long)state.Messages : (long)info.NumPending,
            info?.NumAckPending ?? 0,
            (long)state.LastSeq,
            (long)(info?.Delivered.ConsumerSeq ?? 0),
            info?.NumRedelivered ?? 0,
            null, null, deadLettered, max, oldest, null, (long)state.Bytes, (int)state.ConsumerCount));
    }
}
