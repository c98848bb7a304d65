using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventFollow
{
    static readonly Arg<long?> Count = Arg.Int("count", "Stop after this many events (default: run until --timeout or Ctrl-C).", min: 1, aliases: ["n"]);
    static readonly Arg<TimeSpan?> Poll = Arg.Duration("poll", "The longest pause between looks at the trail (it starts at 10ms and doubles up to this).", TimeSpan.FromMilliseconds(250), examples: ["50ms", "1s"]);
    static readonly Arg<string?> From = Arg.Enum("from", "Where to start: end (only events emitted from now on) or start (the whole trail first). after= overrides it.",
        ["end", "start"], "end");

    public static readonly VerbInfo Verb = VerbInfo.Define("follow", Effect.Read,
        "Stream events as they are emitted (by any process), one NDJSON `event` line each, until count or --timeout.",
        [Count, From, EventArgs.After, EventArgs.Where, Poll, EventArgs.Backend], () => EventJson.Default.EventFollowResult, RunAsync,
        streams: true,
        examples:
        [
            new("'event:///deploy.>.follow' --timeout 10m", "Every deploy event for ten minutes, as {\"event\":\"event\",\"seq\":...} lines, then the envelope."),
            new("event://.follow after=1041 count=5", "The five events after 1041 (waiting for them if need be)."),
        ],
        notes: "The trail is polled (at most `poll` apart), so events from other processes appear within that. The envelope's last_seq is the cursor "
            + "to go on from with after=. An end by --timeout is normal (`ok: true`, `ended: \"timeout\"`); Ctrl-C ends it as `interrupted`.",
        targetHelp: "A topic or pattern: event:///deploy.>; empty for all");

    static async ValueTask<Outcome<EventFollowResult>> RunAsync(VerbContext ctx)
    {
        var pattern = EventArgs.Pattern(ctx);
        var filters = EventFilter.Parse(ctx.Get(EventArgs.Where));
        var limit = ctx.Get(Count);
        var maxPause = ctx.Get(Poll) ?? TimeSpan.FromMilliseconds(250);
        if (maxPause <= TimeSpan.Zero || maxPause > TimeSpan.FromMinutes(1))
            return ReshError.Usage("poll= must be longer than zero and at most 1m.", "Example: poll=250ms");
        EventStore.Position pos;
        if (ctx.Get(EventArgs.After) is { } after) pos = new(0, 0, after);
        else if (ctx.Get(From) == "start") pos = new(0, 0, 0);
        else
        {
            using var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation);
            pos = store is null ? new(0, 0, 0) : new(store.TailSegment, store.TailOffset, store.NextSeq - 1);
        }
        long received = 0;
        var warned = new HashSet<string>(StringComparer.Ordinal);
        var pause = TimeSpan.FromMilliseconds(10);
        try
        {
            while (limit is null || received < limit)
            {
                int got = 0;
                using (var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation))
                {
                    if (store is not null)
                    {
                        pos = store.Read(pos, null, rec =>
                        {
                            if (!EventTopic.Matches(pattern, rec.Topic) || !EventFilter.All(filters, rec)) return true;
                            ctx.Events.Emit("event", (JsonObject)JsonSerializer.SerializeToNode(EventItem.Of(rec), EventJson.Default.EventItem)!);
                            got++;
                            received++;
                            return limit is null || received < limit;
                        });
                        foreach (var w in store.Warnings) if (warned.Add(w)) ctx.Warn(w);
                    }
                }
                if (ctx.DryRun) break;
                if (got > 0) { pause = TimeSpan.FromMilliseconds(10); continue; }
                await Task.Delay(pause, ctx.Cancellation).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(maxPause.TotalMilliseconds, pause.TotalMilliseconds * 2));
            }
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            return new EventFollowResult(pattern, received, pos.After, "timeout");
        }
        return new EventFollowResult(pattern, received, pos.After, ctx.DryRun ? "dry_run" : "count");
    }
}
