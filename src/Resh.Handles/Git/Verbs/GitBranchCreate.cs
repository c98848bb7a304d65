using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitBranchCreate
{
    internal static readonly Arg<string?> Name = Arg.String("name", "The branch name.", required: true);
    static readonly Arg<string?> Start = Arg.String("start", "Where it starts: a branch, tag or commit.", "HEAD", aliases: ["ref"]);
    static readonly Arg<bool> Force = Arg.Bool("force", "Move an existing branch of that name to start.");

    public static readonly VerbInfo Verb = VerbInfo.Define("branch.create", Effect.Mutate,
        "Create a branch (not checked out); the same branch at the same commit is `changed: false`.",
        [Name, Start, Force], () => GitJson.Default.GitRefChangeResult, RunAsync,
        examples: [new("git:///srv/app.branch.create name=hotfix", "A branch at HEAD."), new("git:///srv/app.branch.create name=release start=v1.2.0", "At a tag.")],
        notes: "An existing branch elsewhere is `conflict` unless force=true (the checked-out branch is never moved).");

    static async ValueTask<Outcome<GitRefChangeResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var name = GitRefs.Name(ctx.Get(Name), "branch");
        var start = GitRefs.Rev(ctx.Get(Start)!, "start");
        var target = await Git.CommitAsync(ctx, path, start).ConfigureAwait(false);
        var existing = await Git.ResolveAsync(ctx, path, "refs/heads/" + name).ConfigureAwait(false);
        if (existing == target) return new GitRefChangeResult(path, "branch", name, existing, target);
        if (existing is not null && !ctx.Get(Force))
            return ReshError.Conflict($"The branch {name} exists at {existing[..12]}, not at {start}.", "Pass force=true to move it.", new System.Text.Json.Nodes.JsonObject { ["current"] = existing, ["wanted"] = target });
        if (ctx.DryRun) return Outcome.Changed(new GitRefChangeResult(path, "branch", name, existing, target));
        await Git.CheckedAsync(ctx, path, existing is null ? ["branch", "--no-track", "--", name, target] : ["branch", "--no-track", "--force", "--", name, target]).ConfigureAwait(false);
        return Outcome.Changed(new GitRefChangeResult(path, "branch", name, existing, target));
    }
}
