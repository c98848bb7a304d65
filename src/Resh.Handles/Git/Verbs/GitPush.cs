using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitPush
{
    static readonly Arg<IReadOnlyList<string>> Refspecs = Arg.List("refs", "What to push: branch names or refspecs (src:dst); default: the current branch to its upstream.");
    static readonly Arg<bool> Tags = Arg.Bool("tags", "Push every tag too.");
    static readonly Arg<bool> Force = Arg.Bool("force", "Overwrite the remote branch, but only if it is where this clone last saw it (--force-with-lease).");
    static readonly Arg<bool> SetUpstream = Arg.Bool("set_upstream", "Make the pushed branch track the remote one (-u).");
    internal static readonly Arg<bool> Hooks = Arg.Bool("hooks", "Run the repository's hooks (pre-push); off by default so a repository's config runs no code resh did not ask for.");

    public static readonly VerbInfo Verb = VerbInfo.Define("push", Effect.Mutate,
        "Push branches or tags; per-ref results as data, `changed` when the remote moved.",
        [GitFetch.Remote, Refspecs, Tags, Force, SetUpstream, Hooks, .. GitAuth.Args], () => GitJson.Default.GitPushResult, RunAsync,
        examples: [new("git:///srv/app.push", "The current branch to its upstream."), new("git:///srv/app.push refs=main set_upstream=true", "main to origin, tracking it."),
            new("git:///srv/app.push refs=v1.2.0", "One tag.")],
        notes: "A rejected ref (non-fast-forward, or the lease of force=true broken) is `conflict` with each ref's status in details. --dry-run asks the remote what would happen and sends nothing.");

    static async ValueTask<Outcome<GitPushResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var remoteText = ctx.Get(GitFetch.Remote)!;
        var (remote, user, password) = GitUrl.Split(remoteText, "remote");
        using var auth = GitAuth.From(ctx, user, password);
        var args = new List<string> { "push", "--porcelain" };
        if (ctx.DryRun) args.Add("--dry-run");
        if (ctx.Get(Tags)) args.Add("--tags");
        if (ctx.Get(Force)) args.Add("--force-with-lease");
        if (ctx.Get(SetUpstream)) args.Add("--set-upstream");
        var refs = ctx.Get(Refspecs).Select(r => GitRefs.Rev(r, "refs")).ToList();
        if (refs.Any(r => r.StartsWith('-')))
            return ReshError.Usage("A ref to push starts with '-'.", "Name branches and tags as they are (main, v1.0) or as refspecs (src:dst).");
        args.Add("--");
        args.Add(remote);
        args.AddRange(refs);
        var r = await Git.RunAsync(ctx, path, args, new GitOptions { Auth = auth, Hooks = ctx.Get(Hooks) }).ConfigureAwait(false);
        var results = Parse(r.Stdout);
        if (!r.Succeeded)
        {
            var err = GitErrors.From(r, path, args);
            if (results.Any(x => x.Status == "rejected"))
            {
                err.Details!["refs"] = new System.Text.Json.Nodes.JsonArray(results.Select(x => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject { ["ref"] = x.Ref, ["status"] = x.Status, ["summary"] = x.Summary }).ToArray());
                err = ReshError.Conflict($"The remote rejected {string.Join(", ", results.Where(x => x.Status == "rejected").Select(x => x.Ref))}: {results.First(x => x.Status == "rejected").Summary}.",
                    "Pull first (git://PATH.pull), or force=true to overwrite (only if no one else pushed since your last fetch).", err.Details);
            }
            throw err.ToException();
        }
        var changed = results.Any(x => x.Status is "new" or "updated" or "forced" or "deleted");
        return Outcome.Changed(new GitPushResult(path, GitUrl.Display(remoteText), results), changed);
    }

    /// <summary>`push --porcelain`: "FLAG\tFROM:TO\tSUMMARY" per ref; = up to date, space fast-forward, + forced, - deleted, * new, ! rejected.</summary>
    static List<GitRefUpdate> Parse(string stdout)
    {
        var list = new List<GitRefUpdate>();
        foreach (var line in stdout.Split('\n'))
        {
            if (line.Length < 3 || line[1] != '\t') continue;
            var f = line.Split('\t');
            if (f.Length < 3) continue;
            var to = f[1].Contains(':') ? f[1][(f[1].IndexOf(':') + 1)..] : f[1];
            string? oldC = null, newC = null;
            var summary = f[2];
            var dots = summary.IndexOf("..", StringComparison.Ordinal);
            if (dots > 0 && line[0] is ' ' or '+')
            {
                oldC = summary[..dots];
                newC = summary[(dots + (summary[dots..].StartsWith("...", StringComparison.Ordinal) ? 3 : 2))..].Split(' ')[0];
            }
            var status = line[0] switch { '=' => "up_to_date", ' ' => "updated", '+' => "forced", '-' => "deleted", '*' => "new", '!' => "rejected", _ => "unknown" };
            list.Add(new GitRefUpdate(to, oldC, newC, status, summary));
        }
        return list;
    }
}
