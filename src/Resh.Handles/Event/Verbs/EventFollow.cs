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
            + "to go on from with after=. An end by --timeout is normal (`ok: true`, `ended: \"timeout\"`); Ctrl-C ends it as `interrupted`. "
            + "On the nats backend follow is an ordered consumer on the pattern's subjects: events arrive as the server delivers them (poll is unused).",
        targetHelp: "A topic or pattern: event:///deploy.>; empty for all");

    static async ValueTask<Outcome<EventFollowResult>> RunAsync(VerbContext ctx)
    {
        var pattern = EventArgs.Pattern(ctx);
        var filters = EventFilter.Parse(ctx.Get(EventArgs.Where));
        var limit = ctx.Get(Count);
        var maxPause = ctx.Get(Poll) ?? TimeSpan.FromMilliseconds(250);
        if (maxPause <= TimeSpan.Zero || maxPause > TimeSpan.FromMinutes(1))
            return ReshError.Usage("poll= must be longer than zero and at most 1m.", "Example: poll=250ms");
        long? after = ctx.Get(EventArgs.After) is { } a ? a : ctx.Get(From) == "start" ? 0 : null;
        var log = await EventLogs.OpenAsync(ctx).ConfigureAwait(false);
        var last = new System.Runtime.CompilerServices.StrongBox<long>(after ?? 0);
        long received = 0;
        try
        {
            await log.FollowAsync(ctx, pattern, after, last, maxPause, rec =>
            {
                if (!EventTopic.Matches(pattern, rec.Topic) || !EventFilter.All(filters, rec)) return true;
                ctx.Events.Emit("event", (JsonObject)JsonSerializer.SerializeToNode(EventItem.Of(rec), EventJson.Default.EventItem)!);
                received++;
                return limit is null || received < limit;
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            return new EventFollowResult(pattern, received, last.Value, "timeout");
        }
        return new EventFollowResult(pattern, received, last.Value, ctx.DryRun ? "dry_run" : "count");
    }
}
