using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Event;

/// <summary>
/// What a rule may run: a stage text with no placeholder in it (the target is fixed when the rule is added, so no event
/// can choose what a rule acts on), naming a handle of this build, and arguments as a JSON object whose string values may
/// hold <c>{{path}}</c> placeholders rendered from the event.
/// </summary>
public static class EventStageCheck
{
    public static StageAction Check(VerbContext ctx, string stage, JsonObject with)
    {
        if (stage.Any(char.IsControl))
            throw ReshError.Usage("The stage holds a control character.", "Example: run=snapshot://.prune").ToException();
        foreach (var (key, _) in with)
            if (key.Contains("{{", StringComparison.Ordinal))
                throw ReshError.Usage($"The argument name `{EventTopic.Clip(key)}` holds a placeholder: placeholders are allowed in argument values only.",
                    "Example: with:='{\"content\":\"{{data.version}}\"}'").ToException();
        var registry = ctx.Runtime.Handles
            ?? throw ReshError.Unsupported("Rules cannot be checked here: no handle registry in this runtime.", null).ToException();
        var action = StageAction.Create(registry, stage, with);
        if (action.VerbName is "event.serve" or "event.follow")
            throw ReshError.Usage("A rule may not run event serve or follow (they run until stopped).", "Run serve as a service instead (see resh help event://serve).").ToException();
        return action;
    }
}
