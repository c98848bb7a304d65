using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Mq;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Mq;

/// <summary>The streams behind the queues: made on first publish or by create, listed, counted, purged, deleted.</summary>
public sealed partial class RedisMqBackend
{
    /// <summary>Queues this process already made sure of (a batch's publishes check once).</summary>
    static readonly ConcurrentDictionary<string, bool> Ensured = new(StringComparer.Ordinal);

    const int MaxQueues = 10_000;

    string EnsuredKey(string queue) => $"{Server}|{_redis.Target.Db}|{queue}";

    void Forget(string queue) => Ensured.TryRemove(EnsuredKey(queue), out _);

    /// <summary>Makes the stream and its group when missing (XGROUP CREATE ... MKSTREAM); true when this call made the group.</summary>
    async Task<bool> EnsureQueueAsync(VerbContext ctx, string queue, bool force = false)
    {
        if (!force && Ensured.ContainsKey(EnsuredKey(queue))) return false;
        var created = await Call(ctx, queue, async db =>
        {
            try { return await db.ExecuteAsync("XGROUP", "CREATE", RedisStreamMap.StreamOf(queue), RedisStreamMap.Group, "0", "MKSTREAM").ConfigureAwait(false); }
            catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal)) { return RedisResult.Create((RedisValue)"BUSYGROUP"); }
        }, r => (string?)r == "OK").ConfigureAwait(false);
        Ensured[EnsuredKey(queue)] = true;
        return created;
    }

    /// <summary>The queue's max_deliveries (create sets it; 5 when never set).</summary>
    async Task<int> MaxDeliveriesAsync(VerbContext ctx, string queue)
    {
        var value = await Exec(ctx, queue, "HGET", RedisStreamMap.MetaOf(queue), "max_deliveries").ConfigureAwait(false);
        return int.TryParse((string?)value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : MqLimits.DefaultMaxDeliveries;
    }

    /// <summary>A queue's counts from XINFO STREAM and XINFO GROUPS; not_found when there is no such stream.</summary>
    sealed record Counts(long Length, long Published, long Pending, int Consumers, string LastDelivered, long Delivered)
    {
        /// <summary>Entries not yet delivered: acked entries are deleted, so the stream holds the ready ones and the pending ones.</summary>
        public long Depth => Math.Max(0, Length - Pending);
    }

    async Task<Counts> CountsAsync(VerbContext ctx, string queue)
    {
        var stream = RedisStreamMap.StreamOf(queue);
        var info = RedisStreamMap.Info(await Exec(ctx, queue, "XINFO", "STREAM", stream).ConfigureAwait(false));
        var groups = RedisStreamMap.Array(await Exec(ctx, queue, "XINFO", "GROUPS", stream).ConfigureAwait(false));
        var length = info.TryGetValue("length", out var l) ? RedisStreamMap.Int(l) : 0;
        var last = info.TryGetValue("last-generated-id", out var g) ? (string?)g ?? "0-0" : "0-0";
        var published = last.StartsWith("0-", StringComparison.Ordinal) ? RedisStreamMap.SeqOf(queue, last)
            : info.TryGetValue("entries-added", out var added) ? RedisStreamMap.Int(added) : length;
        foreach (var group in groups)
        {
            var gi = RedisStreamMap.Info(group);
            if ((string?)gi.GetValueOrDefault("name") != RedisStreamMap.Group) continue;
            var read = gi.TryGetValue("entries-read", out var r) && !r.IsNull ? RedisStreamMap.Int(r) : 0;
            return new Counts(length, published, RedisStreamMap.Int(gi["pending"]), (int)RedisStreamMap.Int(gi["consumers"]),
                (string?)gi["last-delivered-id"] ?? "0-0", read);
        }
        return new Counts(length, published, 0, 0, "0-0", 0);
    }

    async Task<bool> ExistsAsync(VerbContext ctx, string queue) =>
        RedisStreamMap.Int(await Exec(ctx, queue, "EXISTS", RedisStreamMap.StreamOf(queue)).ConfigureAwait(false)) == 1;

    /// <summary>Messages moved to QUEUE.dlq so far (the dead-letter stream's last sequence number).</summary>
    async Task<long> DeadLetteredAsync(VerbContext ctx, string queue)
    {
        if (MqName.IsDeadLetter(queue) || !await ExistsAsync(ctx, MqName.DeadLetterOf(queue)).ConfigureAwait(false)) return 0;
        return (await CountsAsync(ctx, MqName.DeadLetterOf(queue)).ConfigureAwait(false)).Published;
    }

    public async ValueTask<Outcome<MqQueuesResult>> QueuesAsync(VerbContext ctx)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        // Bounded: a server that never ends its SCAN (cursor never 0) is cut off after this many pages.
        for (var round = 0; round < 10_000 && names.Count < MaxQueues; round++)
        {
            var page = RedisStreamMap.Array(await Exec(ctx, "", "SCAN", cursor, "MATCH", RedisStreamMap.Prefix + "*", "TYPE", "stream", "COUNT", 1000).ConfigureAwait(false));
            if (page.Length < 2) throw new CacheReplyException(CacheReplyException.Protocol, "SCAN answered something else than a cursor and a page of keys");
            foreach (var key in RedisStreamMap.Array(page[1]))
                if (RedisStreamMap.QueueOf((string?)key ?? "") is { } q) names.Add(q);
            cursor = (string?)page[0] ?? "0";
            if (cursor == "0") break;
        }
        var list = new List<MqQueueInfo>();
        foreach (var q in names)
        {
            Counts c;
            try { c = await CountsAsync(ctx, q).ConfigureAwait(false); }
            catch (ReshException e) when (e.Error.Code == ErrorCode.NotFound) { continue; } // deleted since the scan
            var dlq = MqName.IsDeadLetter(q) || !names.Contains(MqName.DeadLetterOf(q)) ? 0 : await DeadLetteredAsync(ctx, q).ConfigureAwait(false);
            var max = MqName.IsDeadLetter(q) ? 0 : await MaxDeliveriesAsync(ctx, q).ConfigureAwait(false);
            list.Add(new MqQueueInfo(q, c.Depth, c.Pending, dlq, c.Published, max, c.Consumers));
        }
        return Outcome.Unchanged(new MqQueuesResult(list));
    }

    public async ValueTask<Outcome<MqCreateResult>> CreateAsync(VerbContext ctx, string queue, MqQueueSettings settings)
    {
        if (settings.Visibility is { } v)
            ctx.Warn($"On Redis the visibility timeout is given by each consume (visibility={Resh.Core.Values.DurationValue.Format(v)}), not kept by the queue; create ignores it.");
        var existed = await ExistsAsync(ctx, queue).ConfigureAwait(false);
        var current = existed ? await MaxDeliveriesAsync(ctx, queue).ConfigureAwait(false) : MqLimits.DefaultMaxDeliveries;
        var dlq = MqName.DeadLetterOf(queue);
        var changed = !existed || current != settings.MaxDeliveries;
        if (!ctx.DryRun)
        {
            await EnsureQueueAsync(ctx, queue, force: true).ConfigureAwait(false);
            if (current != settings.MaxDeliveries || !existed)
                await Exec(ctx, queue, "HSET", RedisStreamMap.MetaOf(queue), "max_deliveries", settings.MaxDeliveries).ConfigureAwait(false);
        }
        return Outcome.Changed(new MqCreateResult(queue, !existed, settings.MaxDeliveries, dlq), changed);
    }

    public async ValueTask<Outcome<MqDeleteResult>> DeleteAsync(VerbContext ctx, string queue, bool force)
    {
        if (!await ExistsAsync(ctx, queue).ConfigureAwait(false)) return Outcome.Unchanged(new MqDeleteResult(queue, false, 0));
        var held = RedisStreamMap.Int(await Exec(ctx, queue, "XLEN", RedisStreamMap.StreamOf(queue)).ConfigureAwait(false));
        if (held > 0 && !force)
            return ReshError.Conflict($"The queue {queue} still holds {held} message{(held == 1 ? "" : "s")}.",
                $"Consume them first, or delete anyway with force=true (they are lost): resh mq://SERVER/{queue}.delete force=true",
                new JsonObject { ["queue"] = queue, ["messages"] = held });
        if (!ctx.DryRun)
        {
            await Exec(ctx, queue, "DEL", RedisStreamMap.StreamOf(queue), RedisStreamMap.MetaOf(queue)).ConfigureAwait(false);
            Forget(queue);
        }
        return Outcome.Changed(new MqDeleteResult(queue, true, held));
    }

    public async ValueTask<Outcome<MqPurgeResult>> PurgeAsync(VerbContext ctx, string queue, bool force)
    {
        if (!await ExistsAsync(ctx, queue).ConfigureAwait(false))
            return ReshError.NotFound($"There is no queue {queue} on {Label}.", $"Check the name: resh mq://SERVER/.queues lists them.", new JsonObject { ["queue"] = queue });
        var held = RedisStreamMap.Int(await Exec(ctx, queue, "XLEN", RedisStreamMap.StreamOf(queue)).ConfigureAwait(false));
        if (held == 0) return Outcome.Unchanged(new MqPurgeResult(queue, 0));
        if (!force)
            return ReshError.Conflict($"Purging {queue} drops {held} message{(held == 1 ? "" : "s")}.",
                $"Confirm with force=true: resh mq://SERVER/{queue}.purge force=true", new JsonObject { ["queue"] = queue, ["messages"] = held });
        if (!ctx.DryRun)
            held = RedisStreamMap.Int(await Script(ctx, queue, RedisMqScripts.Purge, [RedisStreamMap.StreamOf(queue)], [RedisStreamMap.Group]).ConfigureAwait(false));
        return Outcome.Changed(new MqPurgeResult(queue, held));
    }

    public async ValueTask<Outcome<MqStatsResult>> StatsAsync(VerbContext ctx, string queue)
    {
        var c = await CountsAsync(ctx, queue).ConfigureAwait(false);
        var max = MqName.IsDeadLetter(queue) ? 0 : await MaxDeliveriesAsync(ctx, queue).ConfigureAwait(false);
        double? oldest = null;
        var next = RedisStreamMap.Array(await Exec(ctx, queue, "XRANGE", RedisStreamMap.StreamOf(queue), "(" + c.LastDelivered, "+", "COUNT", 1).ConfigureAwait(false));
        if (next.Length > 0 && RedisStreamMap.Message(queue, next[0], 0, null, null) is { } first
            && DateTimeOffset.TryParse(first.Published, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            oldest = Math.Max(0, (DateTimeOffset.UtcNow - t).TotalMilliseconds);
        // Redelivered: pending entries delivered more than once (the oldest MaxPendingScan of them).
        long redelivered = 0;
        if (c.Pending > 0)
            foreach (var row in RedisStreamMap.Array(await Exec(ctx, queue, "XPENDING", RedisStreamMap.StreamOf(queue), RedisStreamMap.Group, "-", "+", MaxPendingScan).ConfigureAwait(false)))
                if (RedisStreamMap.Array(row) is { Length: >= 4 } p && RedisStreamMap.Int(p[3]) > 1) redelivered++;
        var dead = await DeadLetteredAsync(ctx, queue).ConfigureAwait(false);
        return Outcome.Unchanged(new MqStatsResult(queue, c.Depth, c.Pending, c.Published, c.Delivered, redelivered,
            null, null, dead, max, oldest, null, null, c.Consumers));
    }
}
