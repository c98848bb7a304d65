using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Mq;

/// <summary>Queue names from targets: <c>mq:///jobs</c> or <c>mq://jobs</c> (and the QUEUE of <c>mq://HOST/QUEUE</c>, <c>mq://PROFILE/QUEUE</c>).</summary>
public static partial class MqName
{
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex Pattern();

    public const string DeadLetterSuffix = ".dlq";

    public static bool IsValid(string name) => Pattern().IsMatch(name) || (name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal) && Pattern().IsMatch(name[..^DeadLetterSuffix.Length]));

    public static bool IsDeadLetter(string name) => name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal);

    public static string DeadLetterOf(string name) => name + DeadLetterSuffix;

    /// <summary>The queue's name: the target without its leading slash (MqTarget has taken off any server part).</summary>
    public static string Of(string target)
    {
        var name = target.StartsWith('/') ? target[1..] : target;
        if (name.Length == 0)
            throw ReshError.Usage("The target names no queue.", "Example: resh 'mq:///jobs.publish(body=hello)'").ToException();
        if (!IsValid(name))
            throw ReshError.Usage($"`{Clip(name)}` is not a queue name: use letters, digits, `.`, `_` and `-` (at most 100, not starting with `.` or `-`).",
                "Example: mq:///jobs or mq:///build-results", new JsonObject { ["name"] = Clip(name) }).ToException();
        return name;
    }

    static string Clip(string s)
    {
        var shown = Resh.Core.Text.TerminalText.Escape(s);
        return shown.Length > 80 ? shown[..80] + "…" : shown;
    }
}
