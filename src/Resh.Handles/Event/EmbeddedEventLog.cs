using System.Runtime.CompilerServices;
using Resh.Core.Execution;

namespace Resh.Handles.Event;

/// <summary>The embedded trail (<see cref="EventStore"/>): each operation opens it under its lock and closes it again, so emitters in many processes never interleave.</summary>
public sealed class EmbeddedEventLog : IEventLog
{
    public string Kind => "embedded";

    public Task<(EventRecord Record, int Dropped)> AppendAsync(VerbContext ctx, Func<long, EventRecord> make, bool durable, EventSettings settings)
    {
        using var store = EventStore.Open(ctx.Runtime.Paths, create: true, ctx.Cancellation)!;
        var rec = store.Append(make, settings.SegmentSize, durable, ctx.Runtime.Deferred);
        var dropped = store.Retain(settings.MaxSize, settings.MaxAge);
        EventArgs.Forward(ctx, store);
        return Task.FromResult((rec, dropped));
    }

    public Task CheckAsync(VerbContext ctx)
    {
        using (var peek = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation)) { if (peek is not null) EventArgs.Forward(ctx, peek); }
        return Task.CompletedTask;
    }

    public Task<long> LastSeqAsync(VerbContext ctx)
    {
        using var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation);
        return Task.FromResult(store is null ? 0 : store.NextSeq - 1);
    }

    public Task ReadAsync(VerbContext ctx, string? pattern, long after, long? sinceMs, Func<EventRecord, bool> onEvent)
    {
        using var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation);
        if (store is null) return Task.CompletedTask;
        store.Read(new EventStore.Position(0, 0, after), sinceMs, onEvent);
        EventArgs.Forward(ctx, store);
        return Task.CompletedTask;
    }

    public async Task FollowAsync(VerbContext ctx, string? pattern, long? after, StrongBox<long> last, TimeSpan maxPause, Func<EventRecord, bool> onEvent)
    {
        EventStore.Position pos;
        if (after is { } a) pos = new(0, 0, a);
        else
        {
            using var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation);
            pos = store is null ? new(0, 0, 0) : new(store.TailSegment, store.TailOffset, store.NextSeq - 1);
        }
        last.Value = pos.After;
        var warned = new HashSet<string>(StringComparer.Ordinal);
        var pause = TimeSpan.FromMilliseconds(10);
        var stopped = false;
        while (!stopped)
        {
            int got = 0;
            using (var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation))
            {
                if (store is not null)
                {
                    pos = store.Read(pos, null, rec =>
                    {
                        got++;
                        if (!onEvent(rec)) stopped = true;
                        return !stopped;
                    });
                    last.Value = pos.After;
                    foreach (var w in store.Warnings) if (warned.Add(w)) ctx.Warn(w);
                }
            }
            if (ctx.DryRun || stopped) return;
            if (got > 0) { pause = TimeSpan.FromMilliseconds(10); continue; }
            await Task.Delay(pause, ctx.Cancellation).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(maxPause.TotalMilliseconds, pause.TotalMilliseconds * 2));
        }
    }

    public Task<EventTopicsResult> TopicsAsync(VerbContext ctx, string? pattern)
    {
        var counts = new Dictionary<string, (long Count, long First, long Last, long LastSeq)>(StringComparer.Ordinal);
        long total = 0;
        int segments = 0;
        long bytes = 0;
        using (var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation))
        {
            if (store is not null)
            {
                store.Read(new EventStore.Position(0, 0, 0), null, rec =>
                {
                    ctx.Cancellation.ThrowIfCancellationRequested();
                    total++;
                    if (!EventTopic.Matches(pattern, rec.Topic)) return true;
                    counts[rec.Topic] = counts.TryGetValue(rec.Topic, out var c) ? (c.Count + 1, c.First, rec.TimeMs, rec.Seq) : (1, rec.TimeMs, rec.TimeMs, rec.Seq);
                    return true;
                });
                segments = store.Segments.Count;
                bytes = store.TotalBytes();
                EventArgs.Forward(ctx, store);
            }
        }
        var list = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new EventTopicInfo(kv.Key, kv.Value.Count, EventRecord.Stamp(kv.Value.First), EventRecord.Stamp(kv.Value.Last), kv.Value.LastSeq)).ToArray();
        return Task.FromResult(new EventTopicsResult(list, total, segments, bytes));
    }

    public Task<IEventFeed> FeedAsync(VerbContext ctx, string name, TimeSpan runTimeout)
    {
        var dir = EventStore.Root(ctx.Runtime.Paths, create: true)!;
        return Task.FromResult<IEventFeed>(new Feed(EventServer.Start(dir, name, ctx.Cancellation)));
    }

    /// <summary>A local server's cursor and lock (<see cref="EventServer"/>): the events after its cursor, 100 at a time.</summary>
    sealed class Feed(EventServer server) : IEventFeed
    {
        public long After => server.After;

        public Task<IReadOnlyList<EventRecord>> NextAsync(VerbContext ctx, Action<string> warn)
        {
            var batch = new List<EventRecord>();
            using var store = EventStore.Open(ctx.Runtime.Paths, create: true, ctx.Cancellation)!;
            store.Read(new EventStore.Position(0, 0, server.After), null, rec => { batch.Add(rec); return batch.Count < 100; });
            foreach (var w in store.Warnings) warn(w);
            // Damaged records skipped at the end: the cursor still moves past them.
            if (batch.Count == 0 && store.NextSeq - 1 > server.After && !ctx.DryRun) server.Advance(store.NextSeq - 1);
            return Task.FromResult<IReadOnlyList<EventRecord>>(batch);
        }

        public Task DoneAsync(VerbContext ctx, EventRecord rec)
        {
            if (!ctx.DryRun) server.Advance(rec.Seq);
            return Task.CompletedTask;
        }

        public void Dispose() => server.Dispose();
    }
}
