using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventList
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "At most this many events: the newest ones, listed oldest first.", 100, min: 1, max: 100_000, aliases: ["n"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Events of the trail whose topic matches the target's pattern, oldest first: since/until, field filters, after a sequence number.",
        [EventArgs.Since, EventArgs.Until, EventArgs.Where, EventArgs.After, Limit, EventArgs.Backend], () => EventJson.Default.EventListResult, RunAsync,
        examples:
        [
            new("event:///deploy.list", "The last 100 deploy events."),
            new("'event:///deploy.>.list' since=1h where=data.version=1.2", "Every deploy.* event (any depth) of the last hour with that version."),
            new("event://.list limit=20 --format table", "The newest 20 events of every topic."),
        ],
        notes: "Topic patterns are NATS-style: `deploy.*` matches one more token (deploy.created), `deploy.>` one or more (deploy.created.eu). "
            + "An empty target lists every topic. A damaged record is skipped with a warning. On the nats backend the pattern is the subject filter "
            + "of an ordered consumer (topic deploy.created is subject resh.events.deploy.created) started at after= or since=.",
        targetHelp: "A topic or pattern: event:///deploy, event:///deploy.*, event:///deploy.>; empty for all");

    public static readonly VerbInfo QueryVerb = VerbInfo.Define("query", Effect.Read,
        "The same as list (a second name for it).",
        [EventArgs.Since, EventArgs.Until, EventArgs.Where, EventArgs.After, Limit, EventArgs.Backend], () => EventJson.Default.EventListResult, RunAsync,
        examples: [new("'event:///deploy.*.query' where=data.env=prod since=1d", "Prod deploy events of the last day.")],
        targetHelp: "A topic or pattern: event:///deploy, event:///deploy.*, event:///deploy.>; empty for all");

    static async ValueTask<Outcome<EventListResult>> RunAsync(VerbContext ctx)
    {
        var pattern = EventArgs.Pattern(ctx);
        var filters = EventFilter.Parse(ctx.Get(EventArgs.Where));
        var (since, until) = EventArgs.Window(ctx);
        var limit = (int)(ctx.Get(Limit) ?? 100);
        var after = ctx.Get(EventArgs.After) ?? 0;
        var kept = new Queue<EventRecord>();
        bool truncated = false;
        var log = await EventLogs.OpenAsync(ctx).ConfigureAwait(false);
        await log.ReadAsync(ctx, pattern, after, since, rec =>
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            if (!Wanted(rec, pattern, filters, since, until)) return true;
            kept.Enqueue(rec);
            if (kept.Count > limit) { kept.Dequeue(); truncated = true; }
            return true;
        }).ConfigureAwait(false);
        var items = kept.Select(EventItem.Of).ToArray();
        return new EventListResult(pattern, items, items.Length, truncated);
    }

    public static bool Wanted(EventRecord rec, string? pattern, IReadOnlyList<EventFilter> filters, long? since, long? until) =>
        (since is not { } s || rec.TimeMs >= s) && (until is not { } u || rec.TimeMs < u) && EventTopic.Matches(pattern, rec.Topic) && EventFilter.All(filters, rec);
}
