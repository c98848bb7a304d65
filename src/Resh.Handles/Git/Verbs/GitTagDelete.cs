using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitTagDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("tag.delete", Effect.Destroy,
        "Delete a local tag; a missing tag is `changed: false`.",
        [GitTagCreate.Name], () => GitJson.Default.GitRefChangeResult, RunAsync,
        examples: [new("git:///srv/app.tag.delete name=v1.2.0-rc1", "Delete a tag (push refs=:refs/tags/v1.2.0-rc1 removes it from the remote).")]);

    static async ValueTask<Outcome<GitRefChangeResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var name = GitRefs.Name(ctx.Get(GitTagCreate.Name), "tag");
        var existing = await Git.ResolveAsync(ctx, path, "refs/tags/" + name).ConfigureAwait(false);
        if (existing is null)
        {
            await Git.CheckedAsync(ctx, path, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
            return new GitRefChangeResult(path, "tag", name, null, null);
        }
        if (ctx.DryRun) return Outcome.Changed(new GitRefChangeResult(path, "tag", name, existing, null));
        await Git.CheckedAsync(ctx, path, ["tag", "--delete", "--", name]).ConfigureAwait(false);
        return Outcome.Changed(new GitRefChangeResult(path, "tag", name, existing, null));
    }
}
