using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventRulesAdd
{
    static readonly Arg<string?> Name = Arg.String("name", "The rule's name (letters, digits, `.`, `_`, `-`); a rule of the same name is replaced.", required: true, examples: ["prune-on-full"]);
    static readonly Arg<string?> Stage = Arg.String("stage", "The stage to run, without placeholders: the target is fixed here.", required: true, examples: ["snapshot://.prune", "file:///var/log/deploys.log.append"]);
    static readonly Arg<JsonNode?> Args = Arg.Json("args", "The stage's arguments as a JSON object; string values may hold {{path}} placeholders into the event ({{data.version}}, {{topic}}, {{seq}}, {{source}}).",
        examples: ["{\"text\":\"deployed {{data.version}}\\n\"}"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("rules.add", Effect.Mutate,
        "Add (or replace) a rule: on events whose topic matches the target's pattern (and every where= filter), `serve` runs a stage with fields of the event as arguments.",
        [Name, Stage, Args, EventArgs.Where, EventArgs.Backend], () => EventJson.Default.EventRuleAddResult, Run,
        examples:
        [
            new("event:///disk.full.rules.add name=prune stage=snapshot://.prune", "On every disk.full event, prune snapshots."),
            new("'event:///deploy.*.rules.add' name=deploy-log stage=file:///var/log/deploys.log.append args:='{\"text\":\"{{topic}} {{data.version}}\\n\"}' where=data.env=prod",
                "Append a line per prod deploy event."),
        ],
        notes: "A rule applies to events emitted after it was added (from_seq). Placeholders are rendered only in argument values, never in the stage, "
            + "so an event cannot choose the target a rule acts on. Rules run in `event://.serve`.",
        targetHelp: "The topic pattern the rule is on: event:///disk.full, event:///deploy.*, event:///deploy.>");

    static Outcome<EventRuleAddResult> Run(VerbContext ctx)
    {
        var on = EventArgs.Pattern(ctx)
            ?? throw ReshError.Usage("The target names no topic pattern for the rule.", "Example: resh event:///disk.full.rules.add name=prune stage=snapshot://.prune").ToException();
        var name = ctx.Get(Name)!;
        if (EventRules.CheckName(name) is { } why)
            return ReshError.Usage($"`{EventTopic.Clip(name)}` is not a rule name: {why}.", "Example: name=prune-on-full");
        var where = EventFilter.Parse(ctx.Get(EventArgs.Where)).Select(f => f.ToString()).ToArray();
        var stage = ctx.Get(Stage)!.Trim();
        var args = ctx.Get(Args) switch
        {
            null => new JsonObject(),
            JsonObject o => o,
            _ => throw ReshError.Usage("args= must be a JSON object.", "Example: args:='{\"text\":\"{{data.version}}\"}'").ToException(),
        };
        EventStageCheck.Check(ctx, stage, args);
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (ctx.DryRun)
            return Outcome.Changed(new EventRuleAddResult(new EventRule(name, on, where, stage, args, 0, EventRecord.Stamp(created), EventArgs.Who()), true));
        using var store = EventStore.Open(ctx.Runtime.Paths, create: true, ctx.Cancellation)!;
        var set = EventRules.Read(store.Dir);
        var rule = new EventRule(name, on, where, stage, args, store.NextSeq, EventRecord.Stamp(created), EventArgs.Who());
        var existed = set.Rules.RemoveAll(r => r.Name == name) > 0;
        set.Rules.Add(rule);
        EventRules.Write(store.Dir, set);
        EventArgs.Forward(ctx, store);
        return Outcome.Changed(new EventRuleAddResult(rule, !existed));
    }
}
