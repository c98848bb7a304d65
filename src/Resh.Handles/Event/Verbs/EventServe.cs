using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventServe
{
    static readonly Arg<string?> Name = Arg.String("name", "The server's name: its cursor and lock (events/serve/NAME.*). Two servers of one name never run at once.", "default", examples: ["default", "ops"]);
    static readonly Arg<bool> Once = Arg.Bool("once", "Handle the events not yet handled, then end (caught_up) instead of waiting for more.");
    static readonly Arg<TimeSpan?> Poll = Arg.Duration("poll", "The longest pause between looks at the trail (it starts at 10ms and doubles up to this).", TimeSpan.FromMilliseconds(500), examples: ["100ms", "2s"]);
    static readonly Arg<TimeSpan?> RunTimeout = Arg.Duration("run_timeout", "The longest one rule's stage may run before it is cancelled (and reported failed).", TimeSpan.FromMinutes(5), examples: ["30s", "10m"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("serve", Effect.Mutate,
        "Run the rules as a long-lived process: for each new event, run the stage of every matching rule; one NDJSON `run` line per rule run.",
        [Name, Once, Poll, RunTimeout, EventArgs.Backend], () => EventJson.Default.EventServeResult, RunAsync,
        streams: true,
        examples:
        [
            new("event://.serve", "Run the rules until stopped (Ctrl-C, SIGTERM); each run as {\"event\":\"run\",\"seq\":...,\"rule\":...,\"ok\":...}."),
            new("event://.serve once=true", "Handle what is pending, then end (from cron, or to catch up)."),
        ],
        notes: "The cursor (events/serve/NAME.cursor) is written after each event's rules ran, so a restart neither runs an event's rules again nor "
            + "skips an event; only a crash in the middle of an event's rules runs that event's rules again when the server starts (at least once). "
            + "A rule applies to events emitted after it was added. Each run's envelope is summarised in its `run` line (ok, changed, error); a "
            + "failed run is also a warning in serve's envelope, and serve goes on. Rules are read again at each look, so rules.add and "
            + "rules.remove take effect without a restart. An end by --timeout or SIGTERM is normal (`ended: \"timeout\"` or `\"terminated\"`, "
            + "the counts, status 0: a supervisor's stop is not a failure); Ctrl-C ends it as `interrupted` (130). The cursor is saved either way. As a service: `resh svc://resh-events.create restart=always -- /usr/local/bin/resh event://.serve` "
            + "(for root the trail is /var/lib/resh/events; add user=NAME to serve another user's trail). "
            + "On the nats backend the cursor is a durable JetStream consumer resh-serve-NAME (`.` in NAME becomes `_`) on the stream: every "
            + "serve of that name, on any host, shares it, so each event is run by one of them (at least once: an event whose rules did not "
            + "finish is delivered again after run_timeout + 30s); give each host its own name to run every event on every host.",
        targetHelp: "Empty: event://.serve");

    static async ValueTask<Outcome<EventServeResult>> RunAsync(VerbContext ctx)
    {
        if (EventArgs.Pattern(ctx) is not null)
            return ReshError.Usage("serve runs every rule: give no topic.", "Example: resh event://.serve (rules choose their topics: event:///disk.full.rules.add ...)");
        var name = ctx.Get(Name)!;
        if (EventRules.CheckName(name) is { } why) return ReshError.Usage($"`{EventTopic.Clip(name)}` is not a server name: {why}.", "Example: name=ops");
        var maxPause = ctx.Get(Poll) ?? TimeSpan.FromMilliseconds(500);
        if (maxPause <= TimeSpan.Zero || maxPause > TimeSpan.FromMinutes(1))
            return ReshError.Usage("poll= must be longer than zero and at most 1m.", "Example: poll=500ms");
        var runTimeout = ctx.Get(RunTimeout) ?? TimeSpan.FromMinutes(5);
        if (runTimeout <= TimeSpan.Zero) return ReshError.Usage("run_timeout= must be longer than zero.", "Example: run_timeout=5m");
        var once = ctx.Get(Once);
        if (ctx.DryRun) once = true;
        var log = await EventLogs.OpenAsync(ctx).ConfigureAwait(false);
        var dir = EventStore.Root(ctx.Runtime.Paths, create: true)!;
        using var server = await log.FeedAsync(ctx, name, runTimeout).ConfigureAwait(false);
        long events = 0, runs = 0, failed = 0;
        var warned = new HashSet<string>(StringComparer.Ordinal);
        var actions = new Dictionary<string, (EventRule Rule, StageAction? Action)>(StringComparer.Ordinal);
        var pause = TimeSpan.FromMilliseconds(10);
        void WarnOnce(string w) { if (warned.Add(w)) ctx.Warn(w); }
        try
        {
            while (true)
            {
                var batch = await server.NextAsync(ctx, WarnOnce).ConfigureAwait(false);
                // Rules are read after the events: a rule added meanwhile has a from_seq past every event of this batch.
                var ruleWarnings = new List<string>();
                var rules = EventRules.Read(dir, ruleWarnings).Rules;
                foreach (var w in ruleWarnings) WarnOnce(w);
                foreach (var rec in batch)
                {
                    events++;
                    var doc = rec.ToJson();
                    foreach (var rule in rules)
                    {
                        if (rec.Seq < rule.FromSeq || !EventTopic.Matches(rule.On, rec.Topic)) continue;
                        // A change a rule made ([events] record = true) triggers no rule: a rule on resh.> would otherwise run for ever.
                        if (rec.Source == EventRecorder.RuleSource) continue;
                        if (!Filters(rule, out var filters, WarnOnce) || !EventFilter.All(filters, rec)) continue;
                        if (ActionOf(ctx, rule, actions, WarnOnce) is not { } action) continue;
                        runs++;
                        var run = await RunRule(ctx, rule, action, rec, doc, runTimeout).ConfigureAwait(false);
                        if (!run.Ok)
                        {
                            failed++;
                            ctx.Warn($"Rule {rule.Name} on event {rec.Seq} ({rec.Topic}): {rule.Run} failed: {run.Error}: {run.Message}");
                        }
                        ctx.Events.Emit("run", (JsonObject)JsonSerializer.SerializeToNode(run, EventJson.Default.EventRuleRun)!);
                    }
                    await server.DoneAsync(ctx, rec).ConfigureAwait(false);
                    ctx.Cancellation.ThrowIfCancellationRequested();
                }
                if (batch.Count > 0) { pause = TimeSpan.FromMilliseconds(10); continue; }
                if (once) return Outcome.Changed(new EventServeResult(name, events, runs, failed, server.After, "caught_up"), runs > 0);
                await Task.Delay(pause, ctx.Cancellation).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(maxPause.TotalMilliseconds, pause.TotalMilliseconds * 2));
            }
        }
        catch (OperationCanceledException) when (ctx.TimedOut || ctx.Terminated)
        {
            // --timeout and SIGTERM (a supervisor's stop) are normal ends, with the counts; Ctrl-C stays `interrupted` (130).
            return Outcome.Changed(new EventServeResult(name, events, runs, failed, server.After, ctx.TimedOut ? "timeout" : "terminated"), runs > 0);
        }
    }

    static bool Filters(EventRule rule, out IReadOnlyList<EventFilter> filters, Action<string> warn)
    {
        try { filters = EventFilter.Parse(rule.Where); return true; }
        catch (ReshException ex)
        {
            warn($"Rule {rule.Name}: its filter is invalid ({ex.Error.Message}); it does not run.");
            filters = [];
            return false;
        }
    }

    /// <summary>The rule's action, checked once per rule version against this build's handles; null (with a warning) when it no longer holds.</summary>
    static StageAction? ActionOf(VerbContext ctx, EventRule rule, Dictionary<string, (EventRule Rule, StageAction? Action)> cache, Action<string> warn)
    {
        if (cache.TryGetValue(rule.Name, out var hit) && ReferenceEquals(hit.Rule, rule)) return hit.Action;
        StageAction? action = null;
        try { action = EventStageCheck.Check(ctx, rule.Run, rule.With ?? new JsonObject()); }
        catch (ReshException ex) { warn($"Rule {rule.Name}: its stage {rule.Run} is not valid here ({ex.Error.Message}); it does not run."); }
        cache[rule.Name] = (rule, action);
        return action;
    }

    static async Task<EventRuleRun> RunRule(VerbContext ctx, EventRule rule, StageAction action, EventRecord rec, JsonObject doc, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(timeout);
        try
        {
            var env = await EventRecorder.AsRuleAsync(() => action.RunAsync(ctx, doc, cts.Token)).ConfigureAwait(false);
            // Stopped (SIGTERM, --timeout) in the middle of the run: the event is not done, its rules run again at the next start.
            if (!env.Ok && ctx.Cancellation.IsCancellationRequested) throw new OperationCanceledException(ctx.Cancellation);
            return new EventRuleRun(rec.Seq, rec.Topic, rule.Name, rule.Run, env.Ok, env.Changed, env.Error?.Code.ToWire(), env.Error?.Message, Math.Round(clock.Elapsed.TotalMilliseconds, 1));
        }
        catch (ReshException ex)
        {
            // A placeholder the event cannot fill (a missing field): this event's run fails, serve goes on.
            return new EventRuleRun(rec.Seq, rec.Topic, rule.Name, rule.Run, false, false, ex.Error.Code.ToWire(), ex.Error.Message, Math.Round(clock.Elapsed.TotalMilliseconds, 1));
        }
    }
}
