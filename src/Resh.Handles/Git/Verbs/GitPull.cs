using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitPull
{
    static readonly Arg<string?> Mode = Arg.Enum("mode", "ff-only refuses anything but a fast-forward; rebase replays local commits on the upstream; merge makes a merge commit.", ["ff-only", "rebase", "merge"], "ff-only");
    static readonly Arg<string?> Branch = Arg.String("branch", "The remote branch to pull (default: the branch's upstream).");

    public static readonly VerbInfo Verb = VerbInfo.Define("pull", Effect.Mutate,
        "Fetch and integrate the upstream: fast-forward only by default, rebase or merge when asked; `changed` when HEAD moved.",
        [GitFetch.Remote, Branch, Mode, .. GitAuth.Args], () => GitJson.Default.GitHeadResult, RunAsync,
        examples: [new("git:///srv/app.pull", "Fast-forward to the upstream."), new("git:///srv/app.pull mode=rebase", "Rebase local commits onto it.")],
        notes: "A pull that cannot fast-forward (ff-only), or stops on a conflict (rebase, merge), is `conflict`; a stopped rebase or merge is aborted so the tree is left as it was. "
            + "--dry-run reads the upstream's commit with ls-remote and fetches nothing.");

    static async ValueTask<Outcome<GitHeadResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var mode = ctx.Get(Mode)!;
        var remoteText = ctx.Get(GitFetch.Remote)!;
        var (remote, user, password) = GitUrl.Split(remoteText, "remote");
        using var auth = GitAuth.From(ctx, user, password);
        var branch = ctx.Get(Branch) is { } b ? GitRefs.Rev(b, "branch") : null;
        var before = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var current = await Git.BranchAsync(ctx, path).ConfigureAwait(false);
        if (current is null) return ReshError.Conflict($"HEAD of {path} is detached; there is no branch to pull into.", "Check out a branch first: git://PATH.checkout ref=main.");
        if (ctx.DryRun)
        {
            var name = branch;
            if (name is null)
            {
                var merge = await Git.RunAsync(ctx, path, ["config", "--get", $"branch.{current}.merge"]).ConfigureAwait(false);
                if (!merge.Succeeded) return NoUpstream(path, current);
                name = merge.Stdout.Trim();
            }
            var (_, refs) = await GitRemoteRefs.ListAsync(ctx, path, remote, auth).ConfigureAwait(false);
            var target = GitRemoteRefs.Find(refs, name);
            if (target is null) return ReshError.NotFound($"The remote has no branch `{name}`.", "List its branches: git://PATH.ls-remote url=origin heads=true.");
            var moves = before != target;
            return Outcome.Changed(new GitHeadResult(path, moves ? "would_pull" : "unchanged", GitUrl.Display(remoteText), name, current, before, target), moves);
        }
        var args = new List<string> { "pull", "--quiet", mode switch { "rebase" => "--rebase", "merge" => "--no-rebase", _ => "--ff-only" } };
        if (mode == "merge") args.Add("--no-edit");
        if (branch is not null || ctx.IsSet(GitFetch.Remote)) { args.Add("--end-of-options"); args.Add(remote); }
        if (branch is not null) args.Add(branch);
        var r = await Git.RunAsync(ctx, path, args, new GitOptions { Auth = auth }).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            // Leave the tree as it was: a stopped rebase or merge is aborted.
            if (mode == "rebase" && (Directory.Exists(Path.Combine(path, ".git", "rebase-merge")) || Directory.Exists(Path.Combine(path, ".git", "rebase-apply"))))
                await Git.RunAsync(ctx, path, ["rebase", "--abort"]).ConfigureAwait(false);
            if (mode == "merge" && File.Exists(Path.Combine(path, ".git", "MERGE_HEAD")))
                await Git.RunAsync(ctx, path, ["merge", "--abort"]).ConfigureAwait(false);
            if (r.Stderr.Contains("no tracking information", StringComparison.Ordinal)) return NoUpstream(path, current);
            var err = GitErrors.From(r, path, args);
            if (r.Stderr.Contains("CONFLICT", StringComparison.Ordinal) || r.Stderr.Contains("Not possible to fast-forward", StringComparison.Ordinal) || r.Stderr.Contains("diverg", StringComparison.Ordinal))
                err = ReshError.Conflict(mode == "ff-only" ? $"{current} and its upstream have diverged; a fast-forward is not possible." : $"The {mode} stopped on a conflict and was aborted; the tree is as it was.",
                    mode == "ff-only" ? "Pull with mode=rebase or mode=merge, or reset to the upstream (git://PATH.reset ref=origin/BRANCH mode=hard force=true)." : "Resolve it by hand, or reset to the upstream.", err.Details);
            throw err.ToException();
        }
        var after = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var changed = after != before;
        var action = !changed ? "unchanged" : mode == "ff-only" ? "fast_forward" : mode == "rebase" ? "rebased" : "merged";
        return Outcome.Changed(new GitHeadResult(path, action, GitUrl.Display(remoteText), branch, current, before, after), changed);
    }

    static ReshError NoUpstream(string path, string branch) =>
        ReshError.Usage($"The branch {branch} of {path} has no upstream.", "Name one: branch=main (with remote=origin), or push with set_upstream=true first.");
}
