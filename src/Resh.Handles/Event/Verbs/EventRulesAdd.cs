using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventRulesAdd
{
    static readonly Arg<string?> Name = Arg.String("name", "The rule's name (letters, digits, `.`, `_`, `-`); a rule of the same name is replaced.", required: true, examples: ["prune-on-full"]);
    static readonly Arg<string?> Stage = Arg.String("run", "The stage to run, without placeholders: the target is fixed here.", required: true, examples: ["snapshot://.prune", "file:///var/log/deploys.log.append"], role: ArgRole.SideCommand);
    static readonly Arg<JsonNode?> With = Arg.Json("with", "The stage's arguments as a JSON object; string values may hold {{path}} placeholders into the event ({{data.version}}, {{topic}}, {{seq}}, {{source}}).",
        examples: ["{\"content\":\"deployed {{data.version}}\\n\"}"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("rules.add", Effect.Mutate,
        "Add (or replace) a rule: on events whose topic matches the target's pattern (and every where= filter), `serve` runs a stage with fields of the event as arguments.",
        [Name, Stage, With, EventArgs.Where, EventArgs.Backend], () => EventJson.Default.EventRuleAddResult, RunAsync,
        examples:
        [
            new("event:///disk.full.rules.add name=prune run=snapshot://.prune", "On every disk.full event, prune snapshots."),
            new("'event:///deploy.*.rules.add' name=deploy-log run=file:///var/log/deploys.log.append with:='{\"content\":\"{{topic}} {{data.version}}\\n\"}' where=data.env=prod",
                "Append a line per prod deploy event."),
        ],
        notes: "A rule applies to events emitted after it was added (from_seq). Placeholders are rendered only in argument values, never in the stage, "
            + "so an event cannot choose the target a rule acts on. Rules run in `event://.serve`. Rules are kept on this host (events/rules.json "
            + "in the state dir) with either backend; on the nats backend from_seq is the stream's next sequence number.",
        targetHelp: "The topic pattern the rule is on: event:///disk.full, event:///deploy.*, event:///deploy.>");

    static async ValueTask<Outcome<EventRuleAddResult>> RunAsync(VerbContext ctx)
    {
        var on = EventArgs.Pattern(ctx)
            ?? throw ReshError.Usage("The target names no topic pattern for the rule.", "Example: resh event:///disk.full.rules.add name=prune run=snapshot://.prune").ToException();
        var name = ctx.Get(Name)!;
        if (EventRules.CheckName(name) is { } why)
            return ReshError.Usage($"`{EventTopic.Clip(name)}` is not a rule name: {why}.", "Example: name=prune-on-full");
        var where = EventFilter.Parse(ctx.Get(EventArgs.Where)).Select(f => f.ToString()).ToArray();
        var stage = ctx.Get(Stage)!.Trim();
        var with = ctx.Get(With) switch
        {
            null => new JsonObject(),
            JsonObject o => o,
            _ => throw ReshError.Usage("with= must be a JSON object.", "Example: with:='{\"content\":\"{{data.version}}\"}'").ToException(),
        };
        var action = EventStageCheck.Check(ctx, stage, with);
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (ctx.DryRun)
            return Outcome.Changed(new EventRuleAddResult(new EventRule(name, on, where, action.Stage, action.VerbName, action.Args, 0, EventRecord.Stamp(created), EventArgs.Who()), true));
        // The rule applies from the next event of the trail serve reads: the stream's on the nats backend.
        var log = await EventLogs.OpenAsync(ctx).ConfigureAwait(false);
        long? next = log is EmbeddedEventLog ? null : await log.LastSeqAsync(ctx).ConfigureAwait(false) + 1;
        using var store = EventStore.Open(ctx.Runtime.Paths, create: true, ctx.Cancellation)!;
        var set = EventRules.Read(store.Dir);
        // The same rule again (Ansible, cron re-applying rules) changes nothing and keeps its from_seq: events already
        // waiting for serve still run it (s32 user #2).
        if (set.Rules.FirstOrDefault(r => r.Name == name) is { } same && same.On == on && same.Run == action.Stage
            && same.Where.SequenceEqual(where) && JsonNode.DeepEquals(same.With, action.Args))
            return new EventRuleAddResult(same, false);
        var rule = new EventRule(name, on, where, action.Stage, action.VerbName, action.Args, next ?? store.NextSeq, EventRecord.Stamp(created), EventArgs.Who());
        var existed = set.Rules.RemoveAll(r => r.Name == name) > 0;
        set.Rules.Add(rule);
        EventRules.Write(store.Dir, set);
        EventArgs.Forward(ctx, store);
        return Outcome.Changed(new EventRuleAddResult(rule, !existed));
    }
}
