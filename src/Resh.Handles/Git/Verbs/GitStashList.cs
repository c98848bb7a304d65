using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitStashList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("stash.list", Effect.Read,
        "Stash entries, newest first.",
        [], () => GitJson.Default.GitStashListResult, RunAsync,
        examples: [new("git:///srv/app.stash.list", "What is stashed.")]);

    static async ValueTask<Outcome<GitStashListResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var list = await GitStashes.ListAsync(ctx, path).ConfigureAwait(false);
        return new GitStashListResult(path, list.Count, list);
    }
}
