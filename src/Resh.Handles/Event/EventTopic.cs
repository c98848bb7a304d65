using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Event;

/// <summary>
/// Topic names and patterns, NATS-style so a NATS backend can take them as they are: tokens of letters, digits, `_` and
/// `-` joined by `.` (deploy.created); in a pattern `*` matches one token and `>` (last only) one or more.
/// </summary>
public static class EventTopic
{
    public const int MaxLength = 200;

    static bool IsTokenChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-';

    /// <summary>Null when valid, else why not.</summary>
    public static string? Check(string text, bool pattern)
    {
        if (text.Length == 0) return "it is empty";
        if (text.Length > MaxLength) return $"it is longer than {MaxLength} characters";
        var tokens = text.Split('.');
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i];
            if (t.Length == 0) return "it has an empty token (`..`, or a `.` at the start or end)";
            if (pattern && t == "*") continue;
            if (pattern && t == ">")
            {
                if (i != tokens.Length - 1) return "`>` may only be the last token";
                continue;
            }
            foreach (var c in t)
                if (!IsTokenChar(c))
                    return pattern ? $"`{Show(c)}` is not allowed (tokens are letters, digits, `_`, `-`; `*` and `>` are wildcards)" : $"`{Show(c)}` is not allowed (tokens are letters, digits, `_` and `-`)";
        }
        return null;
    }

    static string Show(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();

    /// <summary>The topic (or pattern) of a target: <c>event:///deploy</c> or <c>event://deploy</c>; null for an empty one.</summary>
    public static string? OfTarget(string target, bool pattern)
    {
        string name;
        if (target.StartsWith('/')) name = target[1..];
        else if (target.IndexOf('/') is var slash and > 0)
            throw ReshError.Unsupported($"A server in the target ({Clip(target[..slash])}) is not how event:// names its backend.",
                $"Write event:///{Clip(target[(slash + 1)..])} and name a NATS server in the config: [events] url = \"nats://HOST:4222\".").ToException();
        else name = target;
        if (name.Length == 0) return null;
        if (Check(name, pattern) is { } why)
            throw ReshError.Usage($"`{Clip(name)}` is not a topic{(pattern ? " pattern" : "")}: {why}.",
                pattern ? "Examples: event:///deploy.list, event:///deploy.*.list, 'event:///deploy.>.list'" : "Example: resh 'event:///deploy.created.emit(data:={\"version\":\"1.2\"})'",
                new JsonObject { ["topic"] = Clip(name) }).ToException();
        return name;
    }

    /// <summary>Whether <paramref name="topic"/> matches <paramref name="pattern"/> (null: everything).</summary>
    public static bool Matches(string? pattern, string topic)
    {
        if (pattern is null || pattern == ">") return true;
        var p = pattern.AsSpan();
        var t = topic.AsSpan();
        while (true)
        {
            var pi = p.IndexOf('.');
            var ptok = pi < 0 ? p : p[..pi];
            if (ptok is ">") return t.Length > 0;
            if (t.Length == 0) return false;
            var ti = t.IndexOf('.');
            var ttok = ti < 0 ? t : t[..ti];
            if (ptok is not "*" && !ptok.SequenceEqual(ttok)) return false;
            if (pi < 0) return ti < 0;
            if (ti < 0) return false; // the pattern goes on (even `>` wants one more token)
            p = p[(pi + 1)..];
            t = t[(ti + 1)..];
        }
    }

    public static string Clip(string s)
    {
        var shown = Resh.Core.Text.TerminalText.Escape(s);
        return shown.Length > 80 ? shown[..80] + "…" : shown;
    }
}
