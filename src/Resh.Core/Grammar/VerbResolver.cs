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
            var best = Suggest.Closest(attempted, names)
                ?? (attempted.Contains('.') ? Suggest.Closest(attempted[(attempted.LastIndexOf('.') + 1)..], names) : null);
            var hint = best is not null
                ? $"did you mean `{best}`? (resh {Pasteable($"{handle.Scheme}://{(nextWord is null ? body[..body.LastIndexOf('.')] : body)}.{best}")})"
                : $"Verbs of {handle.Scheme}://: {string.Join(", ", names)}.";
            return ReshError.Usage($"`{attempted}` is not a verb of {handle.Scheme}://.", hint,
                new System.Text.Json.Nodes.JsonObject { ["verbs"] = new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()) });
        }
        // `ssh://web01/` ends in a stage separator, not a target: the verb goes on the target itself.
        var target = body.Length > 1 && body[0] != '/' ? body.TrimEnd('/') : body;
        return ReshError.Usage($"No verb given for {handle.Scheme}://.",
            $"Add one: resh {Pasteable($"{handle.Scheme}://{target}.{names.FirstOrDefault() ?? "verb"}")} (verbs: {string.Join(", ", names)}).",
            new System.Text.Json.Nodes.JsonObject { ["verbs"] = new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()) });
    }

    /// <summary>A stage as a shell word: single-quoted when it holds characters a shell would act on.</summary>
    public static string Pasteable(string stage) =>
        stage.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? stage : "'" + stage.Replace("'", "'\\''") + "'";
}
