using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitStashPush
{
    static readonly Arg<string?> Message = Arg.String("message", "A note for the entry.", aliases: ["m"]);
    static readonly Arg<bool> Untracked = Arg.Bool("untracked", "Stash untracked files too.");

    public static readonly VerbInfo Verb = VerbInfo.Define("stash.push", Effect.Mutate,
        "Put uncommitted changes aside and clean the tree; nothing to stash is `changed: false`.",
        [Message, Untracked], () => GitJson.Default.GitStashResult, RunAsync,
        examples: [new("git:///srv/app.stash.push message='before deploy'", "Stash local edits.")]);

    static async ValueTask<Outcome<GitStashResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var untracked = ctx.Get(Untracked);
        var status = GitStatusParser.Parse(path, (await Git.CheckedAsync(ctx, path, ["status", "--porcelain=v2", "-z", untracked ? "--untracked-files=all" : "--untracked-files=no"]).ConfigureAwait(false)).Stdout);
        if (status.Clean) return new GitStashResult(path, "push", null);
        if (ctx.DryRun) return Outcome.Changed(new GitStashResult(path, "push", null));
        var args = new List<string> { "stash", "push", "--quiet" };
        if (untracked) args.Add("--include-untracked");
        if (ctx.Get(Message) is { } m) args.Add("--message=" + m);
        var before = (await GitStashes.ListAsync(ctx, path).ConfigureAwait(false)).Count;
        await Git.CheckedAsync(ctx, path, args).ConfigureAwait(false);
        var list = await GitStashes.ListAsync(ctx, path).ConfigureAwait(false);
        return Outcome.Changed(new GitStashResult(path, "push", list.FirstOrDefault()), list.Count > before);
    }
}
