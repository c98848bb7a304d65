using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitRemoteList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("remote.list", Effect.Read,
        "The remotes and their URLs (credentials removed).",
        [], () => GitJson.Default.GitRemoteListResult, RunAsync,
        examples: [new("git:///srv/app.remote.list", "origin and any others.")]);

    static async ValueTask<Outcome<GitRemoteListResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        await Git.CheckedAsync(ctx, path, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
        var list = (await GitRemotes.ListAsync(ctx, path).ConfigureAwait(false))
            .Select(r => new GitRemote(r.Name, r.Url is null ? null : GitUrl.Display(r.Url), r.PushUrl is null ? null : GitUrl.Display(r.PushUrl))).ToList();
        return new GitRemoteListResult(path, list.Count, list);
    }
}
