using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventRulesList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("rules.list", Effect.Read,
        "Every rule: its topic pattern, filters, stage and argument templates.",
        [EventArgs.Backend], () => EventJson.Default.EventRulesResult, Run,
        examples: [new("event://.rules.list --format table", "Name, on, stage.")],
        targetHelp: "Empty, or a pattern: only the rules whose `on` is exactly it");

    static Outcome<EventRulesResult> Run(VerbContext ctx)
    {
        var pattern = EventArgs.Pattern(ctx);
        if (EventStore.Root(ctx.Runtime.Paths, create: false) is not { } dir) return new EventRulesResult([]);
        var rules = EventRules.Read(dir).Rules.Where(r => pattern is null || r.On == pattern).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        return new EventRulesResult(rules);
    }
}
