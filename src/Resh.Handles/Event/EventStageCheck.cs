using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;

namespace Resh.Handles.Event;

/// <summary>
/// What a rule may run: a stage text with no placeholder in it (the target is fixed when the rule is added, so no event
/// can choose what a rule acts on), naming a handle of this build, and arguments as a JSON object whose string values may
/// hold <c>{{path}}</c> placeholders rendered from the event.
/// </summary>
public static class EventStageCheck
{
    public static void Check(VerbContext ctx, string stage, JsonObject args)
    {
        if (stage.Contains("{{", StringComparison.Ordinal) || stage.Contains("}}", StringComparison.Ordinal))
            throw ReshError.Usage($"The stage `{EventTopic.Clip(stage)}` holds a placeholder: placeholders are allowed in argument values only, never in the stage (an event must not choose the target).",
                "Fix the target and pass event fields as arguments: stage=file:///var/log/deploys.append args:='{\"text\":\"{{data.version}}\"}'").ToException();
        if (stage.Any(char.IsControl))
            throw ReshError.Usage("The stage holds a control character.", "Example: stage=snapshot://.prune").ToException();
        var syntax = StageParser.Parse(stage);
        if (ctx.Runtime.Handles is { } registry && !registry.Knows(syntax.Scheme))
            throw ReshError.Usage($"There is no handle {EventTopic.Clip(syntax.Scheme)}:// in this build.", "See the handles with: resh handles").ToException();
        if (syntax.Scheme == "event" && syntax.Body.EndsWith(".serve", StringComparison.Ordinal))
            throw ReshError.Usage("A rule may not run event serve.", "Run serve as a service instead (see resh help event://serve).").ToException();
        foreach (var (key, _) in args)
            if (key.Contains("{{", StringComparison.Ordinal))
                throw ReshError.Usage($"The argument name `{EventTopic.Clip(key)}` holds a placeholder: placeholders are allowed in argument values only.",
                    "Example: args:='{\"text\":\"{{data.version}}\"}'").ToException();
    }
}
