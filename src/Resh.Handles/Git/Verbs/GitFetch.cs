using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitFetch
{
    internal static readonly Arg<string?> Remote = Arg.String("remote", "The remote's name (or a URL).", "origin");
    static readonly Arg<bool> Prune = Arg.Bool("prune", "Remove remote-tracking branches the remote no longer has.");
    static readonly Arg<bool> Tags = Arg.Bool("tags", "Fetch every tag as well.");
    static readonly Arg<long?> Depth = Arg.Int("depth", "Deepen or shorten a shallow clone to this many commits.", min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("fetch", Effect.Mutate,
        "Fetch from a remote; `changed` and `updated` list the refs that actually moved.",
        [Remote, Prune, Tags, Depth, .. GitAuth.Args], () => GitJson.Default.GitFetchResult, RunAsync,
        examples: [new("git:///srv/app.fetch", "Fetch origin."), new("git:///srv/app.fetch prune=true tags=true", "Fetch tags too and drop branches deleted upstream.")],
        notes: "--dry-run runs `git fetch --dry-run`, which talks to the remote but writes nothing, and reports the refs it would update.");

    static async ValueTask<Outcome<GitFetchResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var remoteText = ctx.Get(Remote)!;
        var (remote, user, password) = GitUrl.Split(remoteText, "remote");
        using var auth = GitAuth.From(ctx, user, password);
        var args = new List<string> { "fetch" };
        if (ctx.Get(Prune)) args.Add("--prune");
        if (ctx.Get(Tags)) args.Add("--tags");
        if (ctx.Get(Depth) is { } d) args.Add("--depth=" + d);
        if (ctx.DryRun) args.Add("--dry-run");
        args.Add("--end-of-options");
        args.Add(remote);
        var before = ctx.DryRun ? null : await GitRefSnapshot.TakeAsync(ctx, path).ConfigureAwait(false);
        var r = await Git.RunAsync(ctx, path, args, new GitOptions { Auth = auth }).ConfigureAwait(false);
        if (!r.Succeeded) throw GitErrors.From(r, path, args).ToException();
        if (ctx.DryRun)
        {
            // The summary git prints on stderr: " * [new branch]  x -> origin/x", "   abc..def  main -> origin/main".
            var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.StartsWith(' ') && l.Contains("->", StringComparison.Ordinal) && !l.TrimStart().StartsWith('='))
                .Select(l => l.Trim())
                .Select(l => new GitRefUpdate(l[(l.LastIndexOf("->", StringComparison.Ordinal) + 2)..].Trim(), null, null,
                    l.StartsWith('*') ? "new" : l.StartsWith('+') ? "forced" : l.StartsWith('-') ? "deleted" : "updated", GitUrl.Display(l))).ToList();
            return Outcome.Changed(new GitFetchResult(path, GitUrl.Display(remoteText), lines), lines.Count > 0);
        }
        var after = await GitRefSnapshot.TakeAsync(ctx, path).ConfigureAwait(false);
        var updated = GitRefSnapshot.Compare(before!, after);
        return Outcome.Changed(new GitFetchResult(path, GitUrl.Display(remoteText), updated), updated.Count > 0);
    }
}
