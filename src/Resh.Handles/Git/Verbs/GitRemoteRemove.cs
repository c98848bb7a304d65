using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitRemoteRemove
{
    public static readonly VerbInfo Verb = VerbInfo.Define("remote.remove", Effect.Destroy,
        "Remove a remote and its remote-tracking branches; a missing remote is `changed: false`.",
        [GitRemoteAdd.Name], () => GitJson.Default.GitRemoteChangeResult, RunAsync,
        examples: [new("git:///srv/app.remote.remove name=backup", "Forget a remote.")]);

    static async ValueTask<Outcome<GitRemoteChangeResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var name = GitRefs.Name(ctx.Get(GitRemoteAdd.Name), "remote");
        await Git.CheckedAsync(ctx, path, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
        var existing = (await GitRemotes.ListAsync(ctx, path).ConfigureAwait(false)).FirstOrDefault(r => r.Name == name);
        if (existing.Name is null) return new GitRemoteChangeResult(path, name, null, null);
        var before = existing.Url is null ? null : GitUrl.Display(existing.Url);
        if (ctx.DryRun) return Outcome.Changed(new GitRemoteChangeResult(path, name, before, null));
        await Git.CheckedAsync(ctx, path, ["remote", "remove", "--", name]).ConfigureAwait(false);
        return Outcome.Changed(new GitRemoteChangeResult(path, name, before, null));
    }
}
