using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitCheckout
{
    static readonly Arg<string?> Ref = Arg.String("ref", "The branch to switch to, or a tag or commit (checked out detached).", required: true);
    static readonly Arg<bool> Create = Arg.Bool("create", "Create the branch at HEAD when it does not exist.");
    static readonly Arg<bool> Force = Arg.Bool("force", "Discard local changes that would be in the way.");

    public static readonly VerbInfo Verb = VerbInfo.Define("checkout", Effect.Mutate,
        "Switch the tree to a branch, tag or commit; `changed` when HEAD's commit or branch changed.",
        [Ref, Create, Force], () => GitJson.Default.GitHeadResult, RunAsync,
        examples: [new("git:///srv/app.checkout ref=main", "Switch to main."), new("git:///srv/app.checkout ref=v1.2.0", "A tag, detached."),
            new("git:///srv/app.checkout ref=feature create=true", "A new branch at HEAD.")],
        notes: "Local changes that the switch would overwrite are `conflict` unless force=true. A remote branch name (main, when only origin/main exists) creates the tracking branch, as git does.");

    static async ValueTask<Outcome<GitHeadResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var rev = GitRefs.Rev(ctx.Get(Ref)!, "ref");
        var before = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var branchBefore = await Git.BranchAsync(ctx, path).ConfigureAwait(false);
        var isBranch = await Git.ResolveAsync(ctx, path, "refs/heads/" + rev).ConfigureAwait(false) is not null;
        var remoteBranch = !isBranch && await Git.ResolveAsync(ctx, path, "refs/remotes/origin/" + rev).ConfigureAwait(false) is not null;
        var commit = isBranch ? await Git.ResolveAsync(ctx, path, "refs/heads/" + rev).ConfigureAwait(false) : await Git.ResolveAsync(ctx, path, rev).ConfigureAwait(false);
        var create = ctx.Get(Create) && !isBranch && !remoteBranch;
        if (create) { GitRefs.Name(rev, "branch"); commit = before; }
        if (commit is null)
        {
            await Git.CheckedAsync(ctx, path, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
            return ReshError.NotFound($"`{rev}` is not a branch, tag or commit of {path}.", "List them: git://PATH.branch.list, .tag.list; create=true makes a new branch.");
        }
        if ((isBranch || create) && branchBefore == rev && before == commit) return new GitHeadResult(path, "unchanged", null, rev, branchBefore, before, before);
        if (!isBranch && !remoteBranch && !create && branchBefore is null && before == commit) return new GitHeadResult(path, "unchanged", null, rev, null, before, before);
        if (ctx.DryRun) return Outcome.Changed(new GitHeadResult(path, "would_check_out", null, rev, isBranch || create || remoteBranch ? rev : null, before, commit));
        var args = new List<string> { "checkout", "--quiet" };
        if (ctx.Get(Force)) args.Add("--force");
        if (create) { args.Add("-b"); args.Add(rev); }
        else if (isBranch || remoteBranch) { args.Add(rev); }
        else { args.Add("--detach"); args.Add(commit); }
        args.Add("--");
        await Git.CheckedAsync(ctx, path, args).ConfigureAwait(false);
        var after = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var branch = await Git.BranchAsync(ctx, path).ConfigureAwait(false);
        return Outcome.Changed(new GitHeadResult(path, "checked_out", null, rev, branch, before, after), after != before || branch != branchBefore);
    }
}
