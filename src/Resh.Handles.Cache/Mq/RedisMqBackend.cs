using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Cache.Redis;
using Resh.Handles.Mq;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Mq;

/// <summary>
/// mq:// on Redis Streams (see <see cref="RedisStreamMap"/> for the keys, ids and fields), through the cache handle's
/// connections. Publish is XADD; consume first takes over pending entries whose lease ended (XPENDING, then XCLAIM with the
/// lease as its minimum idle time, so two consumers never take the same one), then reads new ones (XREADGROUP; with
/// ack=auto its entries are acked and deleted once the reply was read). Acked entries are deleted (XDEL): the stream holds only what is not done.
/// </summary>
public sealed partial class RedisMqBackend : IMqBackend
{
    /// <summary>A reply may hold a message of up to max_body's ceiling.</summary>
    const long MaxReply = MqLimits.MaxBodyCeiling + 1024 * 1024;
    /// <summary>Pending entries looked at per consume for ended leases (the oldest first).</summary>
    const int MaxPendingScan = 1000;

    readonly RedisSession _redis;

    RedisMqBackend(RedisSession redis) => _redis = redis;

    public string Kind => "redis";
    public string? Server => _redis.Target.Server;

    string Label => _redis.Target.Endpoint?.Profile is { } p ? $"[mq.{p}] ({Server})" : Server!;

    /// <summary>The provider <see cref="MqTarget.RedisProvider"/> calls: resolves the profile and connects (once per process).</summary>
    public static async Task<IMqBackend> ConnectAsync(VerbContext ctx, Endpoint endpoint, CancellationToken ct) =>
        new RedisMqBackend(await RedisSession.ConnectAsync(ctx, endpoint, "mq", MaxReply, ct).ConfigureAwait(false));

    /// <summary>One command, its reply read by <paramref name="read"/>; Redis's errors about streams become mq's (no such queue, not a stream).</summary>
    async Task<T> Call<T>(VerbContext ctx, string queue, Func<IDatabase, Task<RedisResult>> send, Func<RedisResult, T> read, TimeSpan? limit = null)
    {
        try
        {
            return await _redis.Call(send, read, ctx.Cancellation, limit).ConfigureAwait(false);
        }
        catch (ReshException e) when (e.Error.Details?["redis_error"]?.GetValue<string>() is { } code)
        {
            var details = new JsonObject { ["server"] = Server, ["queue"] = queue, ["redis_error"] = code };
            if (code == "NOGROUP" || e.Error.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
                throw ReshError.NotFound($"There is no queue {queue} on {Label}.",
                    $"Publish to it (which creates it), or create it: resh mq://SERVER/{queue}.create", details).ToException();
            if (code == "WRONGTYPE")
                throw ReshError.Conflict($"The key {RedisStreamMap.Prefix}{queue} on {Label} is not a stream resh made for a queue.",
                    "Another program uses that key: pick another queue name.", details).ToException();
            if (e.Error.Message.Contains("equal or smaller", StringComparison.Ordinal))
                throw ReshError.Conflict($"The stream {RedisStreamMap.Prefix}{queue} on {Label} holds entries resh did not write (ids beyond 0-SEQ).",
                    "Another program writes to this stream: use another queue name.", details).ToException();
            if (e.Error.Message.Contains("Invalid stream ID", StringComparison.OrdinalIgnoreCase) || e.Error.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
                throw ReshError.Unsupported($"{Label} is older than Redis 7, which mq:// on Redis Streams needs (XADD ids 0-*, XPENDING ranges).",
                    "Upgrade the server to Redis 7 or later, or use NATS or the embedded queue.", details).ToException();
            if (e.Error.Hint is null)
                throw (e.Error with { Hint = $"Check the queue (resh mq://SERVER/{(queue.Length > 0 ? queue : "QUEUE")}.stats) and the Redis server's log." }).ToException();
            throw;
        }
    }

    Task<RedisResult> Exec(VerbContext ctx, string queue, string command, params object[] args) =>
        Call(ctx, queue, db => db.ExecuteAsync(command, args), r => r);

    Task<RedisResult> Script(VerbContext ctx, string queue, string script, RedisKey[] keys, RedisValue[] args) =>
        Call(ctx, queue, db => db.ScriptEvaluateAsync(script, keys, args), r => r);

    public async ValueTask<Outcome<MqPublishResult>> PublishAsync(VerbContext ctx, string queue, MqOutgoing m)
    {
        var now = DateTimeOffset.UtcNow;
        var fields = RedisStreamMap.FieldsOf(m, now);
        var result = new MqPublishResult(queue, 0, m.Body.Length, false, RedisStreamMap.Stamp(now));
        if (ctx.DryRun) return Outcome.Changed(result);
        await EnsureQueueAsync(ctx, queue).ConfigureAwait(false);
        object[] args = [RedisStreamMap.StreamOf(queue), "NOMKSTREAM", "0-*", .. fields];
        if (!m.Persistent)
        {
            // Sent without waiting for the reply: on its way to the server, not known to be stored.
            await Call(ctx, queue, db => db.ExecuteAsync("XADD", args, CommandFlags.FireAndForget), r => 0).ConfigureAwait(false);
            return Outcome.Changed(result);
        }
        if (ctx.Runtime.Deferred is { } deferred)
        {
            // resh batch: the XADDs are pipelined; their replies are awaited together before the answers are written.
            var adds = RedisPendingAdds.For(_redis.Mux);
            var (timeout, label) = (_redis.Timeout, Label);
            var line = deferred.Add("redis-xadd:" + Server, () => adds.WaitAll(timeout, deferred, label));
            adds.Add(_redis.Db.ExecuteAsync("XADD", args), queue, result, line);
            return Outcome.Changed(result);
        }
        for (var attempt = 0; ; attempt++)
        {
            var id = await Call(ctx, queue, db => db.ExecuteAsync("XADD", args), r => (string?)r).ConfigureAwait(false);
            if (id is not null)
            {
                result.Seq = RedisStreamMap.SeqOf(queue, id);
                result.Durable = true;
                return Outcome.Changed(result);
            }
            // NOMKSTREAM answered nil: the queue was deleted since this process made sure of it.
            if (attempt > 0) return ReshError.Failed($"The queue {queue} on {Label} vanished while publishing.", "Another process deletes it; publish again.");
            Forget(queue);
            await EnsureQueueAsync(ctx, queue).ConfigureAwait(false);
        }
    }

    public async ValueTask<Outcome<MqConsumeResult>> ConsumeAsync(VerbContext ctx, string queue, MqTake take, TimeSpan wait)
    {
        var ackMode = take.Manual ? "manual" : "auto";
        var max = await MaxDeliveriesAsync(ctx, queue).ConfigureAwait(false);
        if (ctx.DryRun)
        {
            var list = (await PeekAsync(ctx, queue, take.Count).ConfigureAwait(false)).Value!.Messages;
            return Outcome.Changed(new MqConsumeResult(queue, ackMode, list, list.Count, 0), list.Count > 0);
        }
        var consumer = RedisStreamMap.NewConsumer(take.Manual ? take.Visibility : null);
        try
        {
            var clock = Stopwatch.StartNew();
            var dead = 0;
            while (true)
            {
                var left = wait - clock.Elapsed;
                // BLOCK in slices (the connection is shared while it blocks), so ended leases are looked at between them.
                var block = left <= TimeSpan.Zero ? TimeSpan.Zero : Min(left, TimeSpan.FromSeconds(1), _redis.Timeout / 2);
                var (messages, deadNow) = await TakeAsync(ctx, queue, consumer, take, max, take.Count, block).ConfigureAwait(false);
                dead += deadNow;
                if (messages.Count > 0 || clock.Elapsed >= wait)
                    return Outcome.Changed(new MqConsumeResult(queue, ackMode, messages, messages.Count, dead), messages.Count > 0 || dead > 0);
            }
        }
        finally
        {
            await DropConsumerAsync(queue, consumer).ConfigureAwait(false);
        }
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b, TimeSpan c) => a < b ? (a < c ? a : c) : (b < c ? b : c);

    /// <summary>A consumer left holding nothing leaves the group (best effort: a consumer that stays is only listed, never wrong).</summary>
    async Task DropConsumerAsync(string queue, string consumer)
    {
        try
        {
            await _redis.Db.ScriptEvaluateAsync(RedisMqScripts.DropConsumer, [RedisStreamMap.StreamOf(queue)], [RedisStreamMap.Group, consumer])
                .WaitAsync(_redis.Timeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or IOException or OperationCanceledException) { }
    }

    /// <summary>
    /// One look: up to <paramref name="count"/> messages, first pending entries whose lease ended (taken over, or dead-lettered past
    /// max_deliveries), then new entries (waiting up to <paramref name="block"/> when there are none).
    /// </summary>
    async Task<(List<MqMessage> Messages, int Dead)> TakeAsync(VerbContext ctx, string queue, string consumer, MqTake take, int max, int count, TimeSpan block)
    {
        var stream = RedisStreamMap.StreamOf(queue);
        var messages = new List<MqMessage>();
        var dead = 0;
        var until = take.Manual ? DateTimeOffset.UtcNow + take.Visibility : (DateTimeOffset?)null;
        foreach (var (id, holder, deliveries) in await EndedLeasesAsync(ctx, queue, count).ConfigureAwait(false))
        {
            if (messages.Count >= count) break;
            var seq = RedisStreamMap.SeqOf(queue, id);
            if (max > 0 && deliveries >= max && !MqName.IsDeadLetter(queue))
            {
                var moved = await Script(ctx, queue, RedisMqScripts.DeadLetter, [stream, RedisStreamMap.StreamOf(MqName.DeadLetterOf(queue))],
                    [RedisStreamMap.Group, id, holder, deliveries, "max_deliveries", queue, seq]).ConfigureAwait(false);
                if (RedisStreamMap.Int(RedisStreamMap.Array(moved)[0]) == 1) dead++;
                continue;
            }
            // The lease is the holder's minimum idle time: of two consumers taking it over at once, only the first gets it.
            var claimed = await Exec(ctx, queue, "XCLAIM", stream, RedisStreamMap.Group, consumer, RedisStreamMap.VisibilityMsOf(holder), id).ConfigureAwait(false);
            foreach (var entry in RedisStreamMap.Array(claimed))
            {
                var receipt = take.Manual ? RedisStreamMap.Receipt(queue, seq, deliveries + 1, consumer) : null;
                if (RedisStreamMap.Message(queue, entry, deliveries + 1, receipt, until) is not { } message) continue;
                if (!take.Manual) await Script(ctx, queue, RedisMqScripts.Done, [stream], [RedisStreamMap.Group, id]).ConfigureAwait(false);
                messages.Add(message);
            }
            if (holder != consumer) await DropConsumerAsync(queue, holder).ConfigureAwait(false);
        }
        if (messages.Count >= count) return (messages, dead);

        var args = new List<object> { "GROUP", RedisStreamMap.Group, consumer, "COUNT", count - messages.Count };
        if (messages.Count == 0 && dead == 0 && block > TimeSpan.Zero) { args.Add("BLOCK"); args.Add((long)Math.Max(1, block.TotalMilliseconds)); }
        args.AddRange(["STREAMS", stream, ">"]);
        var reply = await Call(ctx, queue, db => db.ExecuteAsync("XREADGROUP", args), r => r, _redis.Timeout + block).ConfigureAwait(false);
        var ids = new List<object>();
        foreach (var entries in RedisStreamMap.StreamsOf(reply))
        {
            foreach (var entry in entries)
            {
                var id = (string?)RedisStreamMap.Array(entry)[0] ?? "";
                var seq = RedisStreamMap.SeqOf(queue, id);
                var receipt = take.Manual ? RedisStreamMap.Receipt(queue, seq, 1, consumer) : null;
                if (RedisStreamMap.Message(queue, entry, 1, receipt, until) is { } message) messages.Add(message);
                ids.Add(id);
            }
        }
        // ack=auto: acked and deleted only once the reply was read, so a reply lost on the way leaves them pending under this
        // consumer, to be taken over when its lease ends (NOACK would have lost them).
        if (!take.Manual && ids.Count > 0)
            await Script(ctx, queue, RedisMqScripts.Done, [stream], [RedisStreamMap.Group, .. ids.Select(i => (RedisValue)(string)i)]).ConfigureAwait(false);
        return (messages, dead);
    }

    /// <summary>Pending entries whose holder's lease has ended (idle at least its visibility), oldest first: id, holder, deliveries so far.</summary>
    async Task<List<(string Id, string Holder, long Deliveries)>> EndedLeasesAsync(VerbContext ctx, string queue, int count)
    {
        var stream = RedisStreamMap.StreamOf(queue);
        var ended = new List<(string, string, long)>();
        var start = "-";
        for (var scanned = 0; scanned < MaxPendingScan && ended.Count < count;)
        {
            var page = RedisStreamMap.Array(await Exec(ctx, queue, "XPENDING", stream, RedisStreamMap.Group, start, "+", 100).ConfigureAwait(false));
            foreach (var row in page)
            {
                var p = RedisStreamMap.Array(row);
                if (p.Length < 4) continue;
                var (id, holder, idle, deliveries) = ((string?)p[0] ?? "", (string?)p[1] ?? "", RedisStreamMap.Int(p[2]), RedisStreamMap.Int(p[3]));
                if (idle >= RedisStreamMap.VisibilityMsOf(holder)) ended.Add((id, holder, deliveries));
                start = "(" + id;
            }
            scanned += page.Length;
            if (page.Length < 100) break;
        }
        return ended;
    }

    public async ValueTask<Outcome<MqAckResult>> AckAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts)
    {
        var parsed = await CheckReceiptsAsync(ctx, queue, receipts).ConfigureAwait(false);
        var acked = new List<long>();
        var done = new List<long>();
        foreach (var (seq, deliveries, consumer, held) in parsed)
        {
            if (!held) { done.Add(seq); continue; }
            if (ctx.DryRun) { acked.Add(seq); continue; }
            var reply = await ApplyAsync(ctx, queue, RedisMqScripts.Ack, [RedisStreamMap.StreamOf(queue)],
                [RedisStreamMap.Group, RedisStreamMap.IdOf(seq), consumer, deliveries], seq).ConfigureAwait(false);
            (reply ? acked : done).Add(seq);
        }
        return Outcome.Changed(new MqAckResult(queue, acked, done), acked.Count > 0);
    }

    public async ValueTask<Outcome<MqNackResult>> NackAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts, bool deadLetter)
    {
        var parsed = await CheckReceiptsAsync(ctx, queue, receipts).ConfigureAwait(false);
        var requeued = new List<long>();
        var dead = new List<long>();
        foreach (var (seq, deliveries, consumer, held) in parsed)
        {
            if (!held)
            {
                ctx.Warn($"Message {seq} of {queue} is already done (acked or purged); nothing to nack.");
                continue;
            }
            var id = RedisStreamMap.IdOf(seq);
            var applied = ctx.DryRun || (deadLetter
                ? await ApplyAsync(ctx, queue, RedisMqScripts.DeadLetter, [RedisStreamMap.StreamOf(queue), RedisStreamMap.StreamOf(MqName.DeadLetterOf(queue))],
                    [RedisStreamMap.Group, id, consumer, deliveries, "nack", queue, seq], seq).ConfigureAwait(false)
                : await ApplyAsync(ctx, queue, RedisMqScripts.Requeue, [RedisStreamMap.StreamOf(queue)],
                    [RedisStreamMap.Group, id, consumer, deliveries, RedisStreamMap.Requeue], seq).ConfigureAwait(false));
            if (applied) (deadLetter ? dead : requeued).Add(seq);
        }
        return Outcome.Changed(new MqNackResult(queue, requeued, dead, MqName.DeadLetterOf(queue)), requeued.Count + dead.Count > 0);
    }

    /// <summary>Runs an ack/nack script: true when applied, false when the message was already done; a receipt gone stale meanwhile is a conflict.</summary>
    async Task<bool> ApplyAsync(VerbContext ctx, string queue, string script, RedisKey[] keys, RedisValue[] args, long seq)
    {
        var reply = RedisStreamMap.Array(await Script(ctx, queue, script, keys, args).ConfigureAwait(false));
        return RedisStreamMap.Int(reply[0]) switch
        {
            0 => false,
            1 => true,
            _ => throw Stale(queue, seq, RedisStreamMap.Receipt(queue, seq, (long)args[3], (string)args[2]!), reply.Length > 2 ? RedisStreamMap.Int(reply[2]) : 0).ToException(),
        };
    }

    /// <summary>Every receipt parsed and checked against the pending list before any is applied: held by its consumer (true), done (false), or stale (conflict).</summary>
    async Task<List<(long Seq, long Deliveries, string Consumer, bool Held)>> CheckReceiptsAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts)
    {
        var stream = RedisStreamMap.StreamOf(queue);
        var list = new List<(long, long, string, bool)>();
        var seen = new HashSet<long>();
        foreach (var text in receipts)
        {
            var (seq, deliveries, consumer) = RedisStreamMap.ParseReceipt(queue, text);
            if (!seen.Add(seq)) continue;
            var id = RedisStreamMap.IdOf(seq);
            var rows = RedisStreamMap.Array(await Exec(ctx, queue, "XPENDING", stream, RedisStreamMap.Group, id, id, 1).ConfigureAwait(false));
            if (rows.Length == 0) { list.Add((seq, deliveries, consumer, false)); continue; }
            var row = RedisStreamMap.Array(rows[0]);
            if ((string?)row[1] != consumer || RedisStreamMap.Int(row[3]) != deliveries)
                throw Stale(queue, seq, text, RedisStreamMap.Int(row[3])).ToException();
            list.Add((seq, deliveries, consumer, true));
        }
        if (list.Count == 0) throw ReshError.Usage("No receipt given.", $"Example: resh mq://SERVER/{queue}.ack {queue}/17/1/v30000.0123456789ab").ToException();
        return list;
    }

    static ReshError Stale(string queue, long seq, string receipt, long deliveries) =>
        ReshError.Conflict($"The receipt {RedisStreamMap.Clip(receipt)} is stale: message {seq} of {queue} was delivered again (or nacked) after it was given.",
            "Its current consumer acks it with the newer receipt; consume ack=manual to get one.",
            new JsonObject { ["receipt"] = RedisStreamMap.Clip(receipt), ["seq"] = seq, ["deliveries"] = deliveries });

    public async ValueTask<Outcome<MqPeekResult>> PeekAsync(VerbContext ctx, string queue, int count)
    {
        var counts = await CountsAsync(ctx, queue).ConfigureAwait(false);
        var reply = await Exec(ctx, queue, "XRANGE", RedisStreamMap.StreamOf(queue), "(" + counts.LastDelivered, "+", "COUNT", count).ConfigureAwait(false);
        var messages = new List<MqMessage>();
        foreach (var entry in RedisStreamMap.Array(reply))
            if (RedisStreamMap.Message(queue, entry, 0, null, null) is { } m) messages.Add(m);
        return Outcome.Unchanged(new MqPeekResult(queue, messages, counts.Depth));
    }

    public ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string queue, long? limit, MqTake take, TimeSpan maxPause)
    {
        var consumer = RedisStreamMap.NewConsumer(take.Manual ? take.Visibility : null);
        return MqPolling.SubscribeAsync(ctx, queue, limit, maxPause, async () =>
        {
            await EnsureQueueAsync(ctx, queue).ConfigureAwait(false);
            var max = await MaxDeliveriesAsync(ctx, queue).ConfigureAwait(false);
            return async want => (await TakeAsync(ctx, queue, consumer, take, max, want, TimeSpan.Zero).ConfigureAwait(false)).Messages;
        }, () => DropConsumerAsync(queue, consumer));
    }

    /// <summary>Redis Streams have no responders: a reply would need a service reading the stream and writing a reply stream, which is not request-reply.</summary>
    public ValueTask<Outcome<MqRequestResult>> RequestAsync(VerbContext ctx, string queue, MqOutgoing message, TimeSpan timeout) =>
        ValueTask.FromResult<Outcome<MqRequestResult>>(ReshError.Unsupported(
            "Redis Streams have no request-reply: nothing answers a message on a stream.",
            "Use a NATS server for request (mq://HOST:4222/SUBJECT.request), or publish to a queue and consume the answer from a reply queue the service publishes to.",
            new JsonObject { ["backend"] = "redis", ["queue"] = queue }));

    static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
