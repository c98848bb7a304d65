namespace Resh.Core.Model;

/// <summary>A handle: one URI scheme, what its target means, and its verbs.</summary>
public sealed class HandleInfo
{
    public HandleInfo(string scheme, string summary, string targetHelp, IReadOnlyList<VerbInfo> verbs)
    {
        Scheme = scheme;
        Summary = summary;
        TargetHelp = targetHelp;
        Verbs = verbs;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in verbs)
        {
            if (!names.Add(v.Name)) throw new InvalidOperationException($"Handle {scheme}: verb `{v.Name}` declared twice.");
            v.HandleScheme = scheme;
        }
        // Longest first, so `lines.ensure` wins over a shorter `ensure` when resolving `.verb` suffixes.
        // (Array.Sort, not OrderBy/ThenBy: LINQ's ordering is resolved through generic virtual methods at run time.)
        var bySuffix = verbs.ToArray();
        Array.Sort(bySuffix, static (a, b) => a.Name.Length != b.Name.Length
            ? b.Name.Length.CompareTo(a.Name.Length)
            : string.CompareOrdinal(a.Name, b.Name));
        VerbsBySuffixLength = bySuffix;
    }

    public string Scheme { get; }
    public string Summary { get; }
    /// <summary>What the text after <c>scheme://</c> names, e.g. "a file path, absolute or relative".</summary>
    public string TargetHelp { get; }
    public IReadOnlyList<VerbInfo> Verbs { get; }
    internal IReadOnlyList<VerbInfo> VerbsBySuffixLength { get; }
    /// <summary>Longer description for help and docs.</summary>
    public string? Notes { get; init; }
    /// <summary>
    /// Every verb of the handle runs programs of the caller's choosing (<see cref="VerbInfo.RunsPrograms"/>): ssh:// (exec,
    /// nested stages that run resh elsewhere), git:// (git runs what a repository's own config names: hooks, filters,
    /// fsmonitor), a plugin's handle (its executable). Setting it marks every verb.
    /// </summary>
    public bool RunsPrograms
    {
        get => _runsPrograms;
        init
        {
            _runsPrograms = value;
            if (value) foreach (var v in Verbs) v.RunsPrograms = true;
        }
    }
    readonly bool _runsPrograms;

    /// <summary>Whether a verb resolved on this handle runs programs (the handle's flag or the verb's own: a nested stage's verb of ssh:// is the handle's).</summary>
    public bool VerbRunsPrograms(VerbInfo verb) => _runsPrograms || verb.RunsPrograms;

    /// <summary>Not listed by <c>resh handles</c> (the built-in meta handle).</summary>
    public bool Hidden { get; init; }
    /// <summary>
    /// A handle whose target embeds another stage (ssh://HOST/STAGE) resolves it itself; null means
    /// the standard rule of SPEC §1 (next word, else longest <c>.verb</c> suffix).
    /// </summary>
    public Func<StageResolveRequest, StageResolution?>? Resolver { get; init; }
    /// <summary>
    /// Live completion of a partial target (unit names, hosts, PIDs) for the interactive shell and the completion
    /// scripts: cheap, bounded, and never throwing (an empty list when the backend cannot answer). Null: none.
    /// </summary>
    public Func<string, IReadOnlyList<string>>? CompleteTarget { get; init; }

    public VerbInfo? FindVerb(string name)
    {
        foreach (var v in Verbs) if (string.Equals(v.Name, name, StringComparison.Ordinal)) return v;
        return null;
    }
}

/// <summary>Input to a handle's own stage resolver.</summary>
public sealed record StageResolveRequest(string Body, string? NextWord);

/// <summary>The verb a stage names, the raw (still percent-encoded) target, and whether the next word was consumed.</summary>
public sealed record StageResolution(VerbInfo Verb, string RawTarget, bool ConsumedNextWord);
