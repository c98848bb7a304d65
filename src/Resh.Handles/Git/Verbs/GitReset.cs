using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitReset
{
    static readonly Arg<string?> Ref = Arg.String("ref", "Where to move the branch: a branch, tag or commit.", "HEAD");
    static readonly Arg<string?> Mode = Arg.Enum("mode", "soft keeps index and tree; mixed resets the index; hard resets index and tree (needs force=true).", ["soft", "mixed", "hard"], "mixed");
    static readonly Arg<bool> Force = Arg.Bool("force", "Required for mode=hard, which discards uncommitted changes.");

    public static readonly VerbInfo Verb = VerbInfo.Define("reset", Effect.Destroy,
        "Move the current branch to a commit (soft, mixed, or hard with force=true); `changed` when HEAD, the index or the tree changed.",
        [Ref, Mode, Force], () => GitJson.Default.GitHeadResult, RunAsync,
        examples: [new("git:///srv/app.reset ref=origin/main mode=hard force=true", "Make the tree exactly origin/main."), new("git:///srv/app.reset", "Unstage everything.")]);

    static async ValueTask<Outcome<GitHeadResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var mode = ctx.Get(Mode)!;
        if (mode == "hard" && !ctx.Get(Force))
            return ReshError.Usage("mode=hard discards uncommitted changes and needs force=true.", "Add force=true, or use mode=mixed to keep the tree.");
        var rev = GitRefs.Rev(ctx.Get(Ref)!, "ref");
        var before = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var target = await Git.CommitAsync(ctx, path, rev).ConfigureAwait(false);
        var status = GitStatusParser.Parse(path, (await Git.CheckedAsync(ctx, path, ["status", "--porcelain=v2", "-z", "--untracked-files=no"]).ConfigureAwait(false)).Stdout);
        var touches = mode switch
        {
            "hard" => status.Staged.Count + status.Unstaged.Count + status.Conflicted.Count > 0,
            "mixed" => status.Staged.Count + status.Conflicted.Count > 0,
            _ => false,
        };
        var changed = before != target || touches;
        var branch = await Git.BranchAsync(ctx, path).ConfigureAwait(false);
        if (!changed) return new GitHeadResult(path, "unchanged", null, rev, branch, before, before);
        if (ctx.DryRun) return Outcome.Changed(new GitHeadResult(path, "would_reset", null, rev, branch, before, target));
        await Git.CheckedAsync(ctx, path, ["reset", "--quiet", "--" + mode, target, "--"]).ConfigureAwait(false);
        return Outcome.Changed(new GitHeadResult(path, "reset", null, rev, branch, before, await Git.HeadAsync(ctx, path).ConfigureAwait(false)));
    }
}
