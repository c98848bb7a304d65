using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Text;

namespace Resh.Core.Grammar;

/// <summary>
/// Finds the verb in a stage against the handle's own verb list (SPEC §1): the next word when it is
/// a verb of the handle, else the longest <c>.verb</c> suffix that names one (dotted verbs included).
/// </summary>
public static class VerbResolver
{
    public static StageResolution Resolve(HandleInfo handle, string body, string? nextWord)
    {
        if (handle.Resolver is { } custom)
        {
            var r = custom(new StageResolveRequest(body, nextWord));
            if (r is not null) return r;
        }

        if (nextWord is not null && handle.FindVerb(nextWord) is { } spaced)
            return new StageResolution(spaced, body, true);

        foreach (var verb in handle.VerbsBySuffixLength)
        {
            var n = verb.Name.Length;
            if (body.Length > n && body[^(n + 1)] == '.' && body.EndsWith(verb.Name, StringComparison.Ordinal))
                return new StageResolution(verb, body[..^(n + 1)], false);
        }

        throw NoVerb(handle, body, nextWord).ToException();
    }

    static ReshError NoVerb(HandleInfo handle, string body, string? nextWord)
    {
        var names = handle.Verbs.Select(v => v.Name).ToList();
        // What did the user most likely mean as the verb? The next word, else the text after the last dot.
        string? attempted = nextWord;
        if (attempted is null)
        {
            var dot = body.LastIndexOf('.');
            if (dot >= 0 && dot < body.Length - 1 && !body[(dot + 1)..].Contains('/')) attempted = body[(dot + 1)..];
        }
        if (attempted is not null)
        {
            // x.lines.ensur: the word before the typo may be the first word of a dotted verb; prefer that reading.
            string? dotted = null;
            if (nextWord is null && body.LastIndexOf('.') is var last and > 0 && body.LastIndexOf('.', last - 1) is var before and >= 0
                && body[(before + 1)..] is var two && !two.Contains('/'))
                dotted = Suggest.Closest(two, names.Where(n => n.Contains('.')));
            var best = dotted ?? Suggest.Closest(attempted, names)
                ?? (attempted.Contains('.') ? Suggest.Closest(attempted[(attempted.LastIndexOf('.') + 1)..], names) : null);
            var hint = best is not null
                ? $"did you mean `{best}`? (resh {handle.Scheme}://{TargetBefore(nextWord is null ? body[..body.LastIndexOf('.')] : body, best)}.{best})"
                : $"Verbs of {handle.Scheme}://: {string.Join(", ", names)}.";
            return ReshError.Usage($"`{attempted}` is not a verb of {handle.Scheme}://.", hint,
                new System.Text.Json.Nodes.JsonObject { ["verbs"] = new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()) });
        }
        return ReshError.Usage($"No verb given for {handle.Scheme}://.",
            $"Add one: resh {handle.Scheme}://{body}.{names.FirstOrDefault() ?? "verb"} (verbs: {string.Join(", ", names)}).",
            new System.Text.Json.Nodes.JsonObject { ["verbs"] = new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()) });
    }

    /// <summary>
    /// The target part of a corrected call: a dotted verb's leading words already typed before the typo
    /// (<c>x.lines.ensur</c> for <c>lines.ensure</c>) belong to the verb, not to the target, so they are
    /// not repeated (<c>x.lines.ensure</c>, not <c>x.lines.lines.ensure</c>).
    /// </summary>
    static string TargetBefore(string target, string verb)
    {
        var words = verb.Split('.');
        for (int k = words.Length - 1; k >= 1; k--)
        {
            var typed = "." + string.Join('.', words[..k]);
            if (target.EndsWith(typed, StringComparison.Ordinal) && target.Length > typed.Length) return target[..^typed.Length];
        }
        return target;
    }
}
