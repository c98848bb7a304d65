using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventRulesRemove
{
    static readonly Arg<string?> Name = Arg.String("name", "The rule to remove.", required: true, examples: ["prune-on-full"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("rules.remove", Effect.Destroy,
        "Remove a rule by name (serve stops running it at its next look).",
        [Name, EventArgs.Backend], () => EventJson.Default.EventRuleRemoveResult, Run,
        examples: [new("event://.rules.remove name=prune", "removed: true, or false when there was no such rule.")],
        targetHelp: "Empty: event://.rules.remove name=NAME");

    static Outcome<EventRuleRemoveResult> Run(VerbContext ctx)
    {
        EventArgs.Pattern(ctx);
        var name = ctx.Get(Name)!;
        if (EventRules.CheckName(name) is { } why)
            return ReshError.Usage($"`{EventTopic.Clip(name)}` is not a rule name: {why}.", "See the rules with: resh event://.rules.list");
        using var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation);
        if (store is null) return new EventRuleRemoveResult(name, false);
        var set = EventRules.Read(store.Dir);
        var found = set.Rules.Any(r => r.Name == name);
        if (found && !ctx.DryRun)
        {
            set.Rules.RemoveAll(r => r.Name == name);
            EventRules.Write(store.Dir, set);
        }
        return Outcome.Changed(new EventRuleRemoveResult(name, found), found);
    }
}
