using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Mq;

/// <summary>Queue names from targets: <c>mq:///jobs</c> or <c>mq://jobs</c>; <c>mq://HOST/jobs</c> and <c>mq://PROFILE/jobs</c> name remote backends.</summary>
public static partial class MqName
{
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex Pattern();

    public const string DeadLetterSuffix = ".dlq";

    public static bool IsValid(string name) => Pattern().IsMatch(name) || (name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal) && Pattern().IsMatch(name[..^DeadLetterSuffix.Length]));

    public static bool IsDeadLetter(string name) => name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal);

    public static string DeadLetterOf(string name) => name + DeadLetterSuffix;

    /// <summary>The queue's name from the target; a remote form (mq://HOST/QUEUE) is <c>unsupported</c> for now.</summary>
    public static string Of(string target)
    {
        string name;
        if (target.StartsWith('/')) name = target[1..];
        else if (target.IndexOf('/') is var slash and > 0)
            throw ReshError.Unsupported($"Remote queues ({Clip(target[..slash])}) are not built yet: only the embedded backend is.",
                $"Use the embedded queue on this machine: mq:///{Clip(target[(slash + 1)..])}").ToException();
        else name = target;
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
