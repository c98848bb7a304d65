using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Git;

/// <summary>How one git command runs.</summary>
public sealed record GitOptions
{
    /// <summary>Run hooks (commit, push with hooks=true); otherwise core.hooksPath=/dev/null.</summary>
    public bool Hooks { get; init; }
    public GitAuth? Auth { get; init; }
    public byte[]? Stdin { get; init; }
    public int MaxOutputBytes { get; init; } = 64 * 1024 * 1024;
    /// <summary>Extra -c settings for this command (name=value).</summary>
    public IReadOnlyList<string> Config { get; init; } = [];
    /// <summary>Extra environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }
    /// <summary>Ends the command early (a size bound); else the call's own cancellation.</summary>
    public CancellationToken? Cancellation { get; init; }
}

/// <summary>
/// Runs the git CLI with argv arrays only. Every command gets settings that keep a repository's own config from
/// running code resh did not ask for: no fsmonitor, no hooks (unless the verb asks), no pager, no external diff
/// or textconv, no signature checks (log.showSignature, which runs gpg), no prompts (GIT_TERMINAL_PROMPT=0, an empty
/// GIT_ASKPASS unless a token is given, ssh in batch mode). Output is read in machine form (porcelain v2, -z, --format).
/// </summary>
public static class Git
{
    static string? _program;

    static readonly string[] Safety =
    [
        "--no-pager",
        "-c", "core.fsmonitor=false",
        "-c", "core.quotePath=false",
        "-c", "color.ui=false",
        "-c", "log.showSignature=false",
        "-c", "core.pager=cat",
        "-c", "advice.detachedHead=false",
    ];

    public static async Task<ProcessResult> RunAsync(VerbContext ctx, string? repo, IReadOnlyList<string> args, GitOptions? options = null)
    {
        options ??= new GitOptions();
        var program = _program ??= ProcessRunner.Which("git")
            ?? throw ReshError.Unavailable("git is not installed.", "Install git (apt-get install git) and try again.").ToException();
        var argv = new List<string>(Safety.Length + args.Count + 8) { program };
        argv.AddRange(Safety);
        if (!options.Hooks) { argv.Add("-c"); argv.Add("core.hooksPath=/dev/null"); }
        // With a token: no stored credential helper, and no redirect followed (git would send the token to whatever host the
        // remote redirects to: s34 attacker #8).
        if (options.Auth is { HasToken: true }) { argv.Add("-c"); argv.Add("credential.helper="); argv.Add("-c"); argv.Add("http.followRedirects=false"); }
        foreach (var c in options.Config) { argv.Add("-c"); argv.Add(c); }
        if (repo is not null) { argv.Add("-C"); argv.Add(repo); }
        argv.AddRange(args);
        var env = new Dictionary<string, string?>
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_ASKPASS"] = "",
            ["SSH_ASKPASS"] = null,
            ["SSH_ASKPASS_REQUIRE"] = "never",
            ["GCM_INTERACTIVE"] = "never",
            ["GIT_EDITOR"] = "true",
            ["GIT_SEQUENCE_EDITOR"] = "true",
            ["GIT_MERGE_AUTOEDIT"] = "no",
            ["GIT_PAGER"] = "cat",
            ["GIT_OPTIONAL_LOCKS"] = "0",
            ["GIT_DIR"] = null,
            ["GIT_WORK_TREE"] = null,
            ["GIT_INDEX_FILE"] = null,
        };
        if (string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("GIT_SSH_COMMAND")) && string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("GIT_SSH")))
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
        if (options.Auth is { } auth) foreach (var (k, v) in auth.Environment) env[k] = v;
        if (options.Environment is { } extra) foreach (var (k, v) in extra) env[k] = v;
        return await ProcessRunner.RunAsync(argv, new ProcessOptions
        {
            Environment = env,
            Stdin = options.Stdin,
            MaxOutputBytes = options.MaxOutputBytes,
        }, options.Cancellation ?? ctx.Cancellation).ConfigureAwait(false);
    }

    /// <summary>Runs and requires exit 0; otherwise the git error mapped to a resh code (<see cref="GitErrors"/>).</summary>
    public static async Task<ProcessResult> CheckedAsync(VerbContext ctx, string? repo, IReadOnlyList<string> args, GitOptions? options = null)
    {
        var r = await RunAsync(ctx, repo, args, options).ConfigureAwait(false);
        if (!r.Succeeded) throw GitErrors.From(r, repo, args).ToException();
        return r;
    }

    /// <summary>The full hash of a revision, or null when it does not name a commit.</summary>
    public static async Task<string?> ResolveAsync(VerbContext ctx, string repo, string rev)
    {
        var r = await RunAsync(ctx, repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"]).ConfigureAwait(false);
        return r.Succeeded ? r.Stdout.Trim() : null;
    }

    /// <summary>
    /// The full hash of a revision the caller named: a path that is no repository is
    /// git's own error (not_found), a revision that names no commit is not_found with a hint to list refs.
    /// </summary>
    public static async Task<string> CommitAsync(VerbContext ctx, string repo, string rev)
    {
        if (await ResolveAsync(ctx, repo, rev).ConfigureAwait(false) is { } commit) return commit;
        await CheckedAsync(ctx, repo, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
        throw ReshError.NotFound($"`{rev}` does not name a commit in {repo}.", "List branches and tags: git://PATH.branch.list, .tag.list.").ToException();
    }

    /// <summary>HEAD's commit, or null before the first commit.</summary>
    public static Task<string?> HeadAsync(VerbContext ctx, string repo) => ResolveAsync(ctx, repo, "HEAD");

    /// <summary>The checked-out branch name, or null when detached (or no repository).</summary>
    public static async Task<string?> BranchAsync(VerbContext ctx, string repo)
    {
        var r = await RunAsync(ctx, repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]).ConfigureAwait(false);
        return r.Succeeded ? r.Stdout.Trim() : null;
    }

    /// <summary>Splits -z output into records (a trailing empty record dropped).</summary>
    public static List<string> Records(string output)
    {
        var parts = output.Split('\0').ToList();
        if (parts.Count > 0 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts;
    }

    internal static JsonArray Argv(IReadOnlyList<string> args) =>
        new(args.Select(a => (JsonNode?)GitUrl.Display(a)).ToArray());
}
