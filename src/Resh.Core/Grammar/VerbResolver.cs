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
        var verbs = new System.Text.Json.Nodes.JsonObject { ["verbs"] = new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()) };
        // What did the user most likely mean as the verb? The next word, else the dotted suffix closest to a verb
        // (every split is tried, so `x.lines.ensur` is target `x` and verb `lines.ensur`, not `x.lines` + `ensur`).
        string? attempted = nextWord, target = body;
        string? best = null;
        if (nextWord is not null) best = Suggest.Closest(nextWord, names);
        else
        {
            int bestDistance = int.MaxValue;
            for (int dot = body.IndexOf('.'); dot >= 0; dot = body.IndexOf('.', dot + 1))
            {
                var candidate = body[(dot + 1)..];
                if (candidate.Length == 0 || candidate.Contains('/')) continue;
                attempted ??= body[(body.LastIndexOf('.') + 1)..];
                if (Suggest.Closest(candidate, names) is not { } match) continue;
                var distance = Suggest.Distance(candidate.ToLowerInvariant(), match.ToLowerInvariant());
                if (distance < bestDistance)
                {
                    bestDistance = distance;
                    best = match;
                    attempted = candidate;
                    target = body[..dot];
                }
            }
        }
        if (attempted is not null)
        {
            var hint = best is not null
                ? $"did you mean `{best}`? ({StageText.Command(handle, PercentDecodeOrRaw(target), best)})"
                : $"Verbs of {handle.Scheme}://: {string.Join(", ", names)}.";
            return ReshError.Usage($"`{attempted}` is not a verb of {handle.Scheme}://.", hint, verbs);
        }
        // `ssh://web01/` ends in a stage separator, not a target: the verb goes on the target itself.
        var stageTarget = body.Length > 1 && body[0] != '/' ? body.TrimEnd('/') : body;
        return ReshError.Usage($"No verb given for {handle.Scheme}://.",
            names.Count > 0
                ? $"Add one: {StageText.Command(handle, PercentDecodeOrRaw(stageTarget), names[0])} (verbs: {string.Join(", ", names)})."
                : $"{handle.Scheme}:// has no verbs.",
            verbs);
    }

    static string PercentDecodeOrRaw(string body)
    {
        try { return PercentDecoding.Decode(body); }
        catch (ReshException) { return body; }
    }

    /// <summary>A stage as a shell word: single-quoted when it holds characters a shell would act on.</summary>
    public static string Pasteable(string stage) =>
        stage.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? stage : "'" + stage.Replace("'", "'\\''") + "'";
}
