using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mq;

/// <summary>
/// The embedded backend: one directory per queue in the state directory (<see cref="MqQueue"/>): segments with a checksum
/// per message, leases and receipts, dead-letter queues, and group-committed fsyncs inside <c>resh batch</c>.
/// </summary>
public sealed class EmbeddedMqBackend(ReshPaths paths) : IMqBackend
{
    public string Kind => "embedded";
    public string? Server => null;

    public ValueTask<Outcome<MqPublishResult>> PublishAsync(VerbContext ctx, string name, MqOutgoing m)
    {
        var now = MqQueue.NowMs;
        if (ctx.DryRun)
        {
            if (MqQueue.Exists(paths, name)) { using var peek = MqQueue.Open(paths, name, create: false, ctx.Cancellation); }
            return new(Outcome.Changed(new MqPublishResult(name, 0, m.Body.Length, false, MqQueue.Stamp(now))));
        }
        using var q = MqQueue.Open(paths, name, create: true, ctx.Cancellation);
        Forward(ctx, q);
        var headers = m.Headers is null ? null : new Dictionary<string, string>(m.Headers, StringComparer.Ordinal);
        var seq = q.Append([s => new MqRecord(s, now, m.Key, headers, null, m.Body).Encode()], m.Persistent, ctx.Runtime.Deferred);
        return new(Outcome.Changed(new MqPublishResult(name, seq, m.Body.Length, m.Persistent, MqQueue.Stamp(now))));
    }

    public async ValueTask<Outcome<MqConsumeResult>> ConsumeAsync(VerbContext ctx, string name, MqTake take, TimeSpan wait)
    {
        var ackMode = take.Manual ? "manual" : "auto";
        if (ctx.DryRun)
        {
            var peek = Peek(ctx, name, take.Count);
            return Outcome.Changed(new MqConsumeResult(name, ackMode, peek.Messages, peek.Messages.Count, 0), peek.Messages.Count > 0);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(10);
        var dead = 0;
        while (true)
        {
            if (wait > TimeSpan.Zero && clock.Elapsed < wait && !MqQueue.Exists(paths, name))
            {
                // Not created yet: a publisher may create it while we wait (at the end of wait it is not_found, as without wait).
                await Task.Delay(pause, ctx.Cancellation).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(200, pause.TotalMilliseconds * 2));
                continue;
            }
            using (var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation))
            {
                var (messages, deadNow) = MqDelivery.Take(q, take.Count, take.Manual, take.Visibility, paths, ctx.Cancellation);
                dead += deadNow; // messages dead-lettered while waiting are counted, not forgotten by the next look
                Forward(ctx, q);
                if (messages.Count > 0 || clock.Elapsed >= wait)
                    return Outcome.Changed(new MqConsumeResult(name, ackMode, messages, messages.Count, dead), messages.Count > 0 || dead > 0);
            }
            var left = wait - clock.Elapsed;
            await Task.Delay(left < pause ? left : pause, ctx.Cancellation).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(200, pause.TotalMilliseconds * 2));
        }
    }

    public ValueTask<Outcome<MqAckResult>> AckAsync(VerbContext ctx, string name, IReadOnlyList<string> texts)
    {
        var receipts = ParseReceipts(name, texts);
        using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
        Forward(ctx, q);
        var s = q.Consistent();
        var leases = Leases(q, receipts);
        var acked = new List<long>();
        var done = new List<long>();
        foreach (var (r, lease) in receipts.Zip(leases))
        {
            if (lease is null) done.Add(r.Seq);
            else if (!acked.Contains(r.Seq)) acked.Add(r.Seq);
        }
        if (!ctx.DryRun && acked.Count > 0)
        {
            s.Leases.RemoveAll(l => acked.Contains(l.Seq));
            s.Acked += acked.Count;
            q.SaveState();
        }
        return new(Outcome.Changed(new MqAckResult(name, acked, done), acked.Count > 0));
    }

    public ValueTask<Outcome<MqNackResult>> NackAsync(VerbContext ctx, string name, IReadOnlyList<string> texts, bool dead)
    {
        var receipts = ParseReceipts(name, texts);
        using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
        Forward(ctx, q);
        var s = q.Consistent();
        var leases = Leases(q, receipts);
        var requeued = new List<long>();
        var deadLettered = new List<long>();
        foreach (var lease in leases.OfType<MqLease>().Distinct())
        {
            if (ctx.DryRun) { (dead ? deadLettered : requeued).Add(lease.Seq); continue; }
            s.Nacked++;
            if (!dead)
            {
                lease.Token = null;
                lease.Until = 0;
                requeued.Add(lease.Seq);
                continue;
            }
            var (status, rec, _) = q.Log.Read(lease.Segment, lease.Offset);
            if (status == MqLog.ReadStatus.Ok && rec!.Seq == lease.Seq) q.DeadLetter(rec, lease.Deliveries, "nack", paths, ctx.Cancellation);
            else ctx.Warn($"Message {lease.Seq} could not be read (a damaged segment); it was dropped, not dead-lettered.");
            s.Leases.Remove(lease);
            deadLettered.Add(lease.Seq);
        }
        if (!ctx.DryRun && (requeued.Count > 0 || deadLettered.Count > 0)) q.SaveState();
        return new(Outcome.Changed(new MqNackResult(name, requeued, deadLettered, MqName.DeadLetterOf(name)), requeued.Count + deadLettered.Count > 0));
    }

    public ValueTask<Outcome<MqPeekResult>> PeekAsync(VerbContext ctx, string name, int count) => new(Outcome.Unchanged(Peek(ctx, name, count)));

    MqPeekResult Peek(VerbContext ctx, string name, int count)
    {
        using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
        var now = MqQueue.NowMs;
        var s = q.Consistent();
        var depth = q.Depth(now);
        var messages = new List<MqMessage>();
        foreach (var lease in s.Leases.Where(l => l.Until <= now).OrderBy(l => l.Seq))
        {
            if (messages.Count >= count) break;
            var (status, rec, _) = q.Log.Read(lease.Segment, lease.Offset);
            if (status == MqLog.ReadStatus.Ok) messages.Add(MqDelivery.Message(rec!, lease.Deliveries, null, null));
        }
        // Walks the cursor in memory only: the state is not saved.
        while (messages.Count < count && q.TakeNext() is { } next) messages.Add(MqDelivery.Message(next.Record, 0, null, null));
        Forward(ctx, q);
        return new MqPeekResult(name, messages, depth);
    }

    public async ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string name, long? limit, MqTake take, TimeSpan maxPause)
    {
        long received = 0;
        var pause = TimeSpan.FromMilliseconds(10);
        try
        {
            while (limit is null || received < limit)
            {
                int got;
                using (var q = MqQueue.Open(paths, name, create: !ctx.DryRun, ctx.Cancellation))
                {
                    var want = (int)Math.Min(100, (limit ?? long.MaxValue) - received);
                    var messages = ctx.DryRun ? [] : MqDelivery.Take(q, want, take.Manual, take.Visibility, paths, ctx.Cancellation).Messages;
                    Forward(ctx, q);
                    foreach (var m in messages)
                        ctx.Events.Emit("message", (JsonObject)JsonSerializer.SerializeToNode(m, MqJson.Default.MqMessage)!);
                    got = messages.Count;
                    received += got;
                }
                if (ctx.DryRun) break;
                if (got > 0) { pause = TimeSpan.FromMilliseconds(10); continue; }
                await Task.Delay(pause, ctx.Cancellation).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(maxPause.TotalMilliseconds, pause.TotalMilliseconds * 2));
            }
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            return Outcome.Changed(new MqSubscribeResult(name, received, "timeout"), received > 0);
        }
        return Outcome.Changed(new MqSubscribeResult(name, received, ctx.DryRun ? "dry_run" : "count"), received > 0);
    }

    public ValueTask<Outcome<MqQueuesResult>> QueuesAsync(VerbContext ctx)
    {
        var list = new List<MqQueueInfo>();
        foreach (var name in MqQueue.Names(paths))
        {
            try
            {
                using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
                var now = MqQueue.NowMs;
                var s = q.Consistent();
                list.Add(new MqQueueInfo(q.Name, q.Depth(now), q.InFlight(now), s.DeadLettered, q.Log.NextSeq, q.MaxDeliveries, null));
                Forward(ctx, q);
            }
            catch (ReshException ex) when (ex.Error.Code is ErrorCode.PermissionDenied or ErrorCode.NotFound)
            {
                ctx.Warn(ex.Error.Message);
            }
        }
        return new(Outcome.Unchanged(new MqQueuesResult(list)));
    }

    public ValueTask<Outcome<MqCreateResult>> CreateAsync(VerbContext ctx, string name, MqQueueSettings settings)
    {
        var max = settings.MaxDeliveries;
        if (settings.Visibility is not null)
            ctx.Warn("visibility= is given per consume on the embedded backend; create does not keep it.");
        var existed = MqQueue.Exists(paths, name);
        if (ctx.DryRun)
        {
            if (!existed) return new(Outcome.Changed(new MqCreateResult(name, true, max, MqName.DeadLetterOf(name))));
            using var peek = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
            return new(Outcome.Changed(new MqCreateResult(name, false, max, MqName.DeadLetterOf(name)), peek.Config.MaxDeliveries != max));
        }
        using var q = MqQueue.Open(paths, name, create: true, ctx.Cancellation);
        Forward(ctx, q);
        var hadConfig = File.Exists(Path.Combine(q.Dir, "queue.json"));
        var changed = !existed || !hadConfig || q.Config.MaxDeliveries != max;
        if (changed) q.SaveConfig(new MqConfig { MaxDeliveries = max, Created = q.Config.Created ?? MqQueue.Stamp(MqQueue.NowMs) });
        return new(Outcome.Changed(new MqCreateResult(name, !existed, max, MqName.DeadLetterOf(name)), changed));
    }

    public ValueTask<Outcome<MqDeleteResult>> DeleteAsync(VerbContext ctx, string name, bool force)
    {
        if (!MqQueue.Exists(paths, name)) return new(Outcome.Unchanged(new MqDeleteResult(name, false, 0)));
        using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
        Forward(ctx, q);
        var now = MqQueue.NowMs;
        var held = q.Depth(now) + q.InFlight(now);
        if (held > 0 && !force)
            return new(ReshError.Conflict($"The queue {name} still holds {held} message{(held == 1 ? "" : "s")}.",
                $"Consume them first, or delete anyway with force=true (they are lost): resh mq:///{name}.delete force=true",
                new JsonObject { ["queue"] = name, ["messages"] = held }));
        if (!ctx.DryRun)
        {
            // The lock file goes last: a waiting process that gets it finds the directory gone.
            foreach (var file in Directory.EnumerateFiles(q.Dir).Where(f => Path.GetFileName(f) != "lock").ToArray()) File.Delete(file);
            File.Delete(Path.Combine(q.Dir, "lock"));
            Directory.Delete(q.Dir);
        }
        return new(Outcome.Changed(new MqDeleteResult(name, true, held)));
    }

    public ValueTask<Outcome<MqPurgeResult>> PurgeAsync(VerbContext ctx, string name, bool force)
    {
        using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
        Forward(ctx, q);
        var now = MqQueue.NowMs;
        var held = q.Depth(now) + q.InFlight(now);
        if (held == 0) return new(Outcome.Unchanged(new MqPurgeResult(name, 0)));
        if (!force)
            return new(ReshError.Conflict($"Purging {name} drops {held} message{(held == 1 ? "" : "s")}.",
                $"Confirm with force=true: resh mq:///{name}.purge force=true", new JsonObject { ["queue"] = name, ["messages"] = held }));
        if (!ctx.DryRun)
        {
            q.Log.Purge();
            var s = q.State;
            s.Leases.Clear();
            s.Next = q.Log.NextSeq;
            s.NextSegment = q.Log.TailSegment;
            s.NextOffset = 0;
            q.SaveState();
        }
        return new(Outcome.Changed(new MqPurgeResult(name, held)));
    }

    public ValueTask<Outcome<MqStatsResult>> StatsAsync(VerbContext ctx, string name)
    {
        using var q = MqQueue.Open(paths, name, create: false, ctx.Cancellation);
        Forward(ctx, q);
        var now = MqQueue.NowMs;
        var s = q.Consistent();
        double? oldest = null;
        var expired = s.Leases.Where(l => l.Until <= now).OrderBy(l => l.Seq).FirstOrDefault();
        var oldestAt = expired is not null ? (expired.Segment, expired.Offset) : s.Next < q.Log.NextSeq ? (s.NextSegment, s.NextOffset) : ((long, long)?)null;
        if (oldestAt is { } at && q.Log.Read(at.Item1, at.Item2) is { Status: MqLog.ReadStatus.Ok, Record: { } rec }) oldest = Math.Max(0, now - rec.PublishedMs);
        return new(Outcome.Unchanged(new MqStatsResult(name, q.Depth(now), q.InFlight(now), q.Log.NextSeq, s.Delivered, s.Redelivered, s.Acked, s.Nacked,
            s.DeadLettered, q.MaxDeliveries, oldest, q.Log.Segments.Count, q.Log.TotalBytes(), null)));
    }

    public ValueTask<Outcome<MqRequestResult>> RequestAsync(VerbContext ctx, string queue, MqOutgoing message, TimeSpan timeout) =>
        new(ReshError.Unsupported("request-reply needs a server: the embedded queue has no responders to answer a request.",
            $"Use a NATS server (mq://HOST:4222/{queue}.request or a [mq.NAME] table with url = \"nats://...\"), or publish to a queue and consume the answer from a reply queue."));

    static void Forward(VerbContext ctx, MqQueue q)
    {
        foreach (var w in q.Warnings) ctx.Warn(w);
    }

    /// <summary>Parses SEQ.TOKEN receipts.</summary>
    static List<(long Seq, string Token, string Text)> ParseReceipts(string queue, IReadOnlyList<string> texts)
    {
        var list = new List<(long, string, string)>();
        foreach (var r in texts)
        {
            var dot = r.IndexOf('.');
            if (dot <= 0 || !long.TryParse(r.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq)
                || r.Length - dot - 1 is not (16 or 24) || r.AsSpan(dot + 1).IndexOfAnyExcept("0123456789abcdef") >= 0)
                throw ReshError.Usage($"`{MqArgs.Clip(r)}` is not a receipt of the embedded queue {queue}: a receipt is SEQ.TOKEN as consume ack=manual returned it.",
                    $"Example: resh mq:///{queue}.ack 17.3f9c0a1b2c3d4e5f").ToException();
            // A 24-digit token starts with its queue's tag (16 digits: a receipt given before tags, accepted as it was).
            if (r.Length - dot - 1 == 24 && !r.AsSpan(dot + 1, 8).SequenceEqual(MqQueue.Tag(queue)))
                throw ReshError.Usage($"The receipt {MqArgs.Clip(r)} belongs to another queue, not to {queue}.",
                    $"Ack it on the queue whose consume gave it; receipts of {queue} come from resh mq:///{queue}.consume ack=manual.",
                    new JsonObject { ["receipt"] = MqArgs.Clip(r) }).ToException();
            list.Add((seq, r[(dot + 1)..], r));
        }
        if (list.Count == 0) throw ReshError.Usage("No receipt given.", "Example: resh mq:///jobs.ack 17.3f9c0a1b2c3d4e5f").ToException();
        return list;
    }

    /// <summary>The live lease each receipt names (null: the message is already done); throws for a stale or unknown receipt.</summary>
    static List<MqLease?> Leases(MqQueue q, List<(long Seq, string Token, string Text)> receipts)
    {
        var s = q.Consistent();
        var found = new List<MqLease?>();
        foreach (var (seq, token, text) in receipts)
        {
            var lease = s.Leases.Find(l => l.Seq == seq);
            if (lease is null)
            {
                if (seq >= s.Next)
                    throw ReshError.NotFound($"Message {seq} of queue {q.Name} was never delivered, so no receipt for it exists.",
                        $"Use a receipt from resh mq:///{q.Name}.consume ack=manual.", new JsonObject { ["receipt"] = text }).ToException();
                found.Add(null);
                continue;
            }
            if (lease.Token is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(lease.Token), System.Text.Encoding.ASCII.GetBytes(token)))
                throw ReshError.Conflict($"The receipt {text} is stale: message {seq} was {(lease.Token is null ? "nacked" : "delivered again")} after it was given.",
                    "Its current consumer acks it with the newer receipt; consume ack=manual to get one.",
                    new JsonObject { ["receipt"] = text, ["seq"] = seq, ["deliveries"] = lease.Deliveries }).ToException();
            found.Add(lease);
        }
        return found;
    }
}
