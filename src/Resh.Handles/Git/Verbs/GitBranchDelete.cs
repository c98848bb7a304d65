using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitBranchDelete
{
    static readonly Arg<bool> Force = Arg.Bool("force", "Delete even when its commits are not merged anywhere (-D).");

    public static readonly VerbInfo Verb = VerbInfo.Define("branch.delete", Effect.Destroy,
        "Delete a local branch; a missing branch is `changed: false`.",
        [GitBranchCreate.Name, Force], () => GitJson.Default.GitRefChangeResult, RunAsync,
        examples: [new("git:///srv/app.branch.delete name=hotfix", "Delete a merged branch.")],
        notes: "An unmerged branch is `conflict` unless force=true; the checked-out branch is `conflict`.");

    static async ValueTask<Outcome<GitRefChangeResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var name = GitRefs.Name(ctx.Get(GitBranchCreate.Name), "branch");
        var existing = await Git.ResolveAsync(ctx, path, "refs/heads/" + name).ConfigureAwait(false);
        if (existing is null)
        {
            await Git.CheckedAsync(ctx, path, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
            return new GitRefChangeResult(path, "branch", name, null, null);
        }
        if (await Git.BranchAsync(ctx, path).ConfigureAwait(false) == name)
            return ReshError.Conflict($"{name} is the checked-out branch of {path}.", "Check out another branch first: git://PATH.checkout ref=main.");
        if (ctx.DryRun) return Outcome.Changed(new GitRefChangeResult(path, "branch", name, existing, null));
        await Git.CheckedAsync(ctx, path, ["branch", ctx.Get(Force) ? "-D" : "-d", "--", name]).ConfigureAwait(false);
        return Outcome.Changed(new GitRefChangeResult(path, "branch", name, existing, null));
    }
}
