using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitStatus
{
    static readonly Arg<string?> Untracked = Arg.Enum("untracked", "How untracked files are listed: normal (a new directory as one entry), all (every file) or no.", ["normal", "all", "no"], "normal");

    public static readonly VerbInfo Verb = VerbInfo.Define("status", Effect.Read,
        "A working tree's state as data: branch, upstream, ahead/behind, staged, unstaged, untracked and conflicted paths.",
        [Untracked], () => GitJson.Default.GitStatusResult, RunAsync,
        examples: [new("git:///srv/app.status", "Branch, ahead/behind and changed paths of /srv/app."), new("git:///srv/app.status untracked=all", "Every untracked file, not just new directories.")],
        notes: "One `git status --porcelain=v2 --branch -z` with the repository's fsmonitor and hooks switched off; `clean` is true when there is nothing to commit and nothing untracked.");

    static async ValueTask<Outcome<GitStatusResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var r = await Git.CheckedAsync(ctx, path, ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=" + ctx.Get(Untracked)]).ConfigureAwait(false);
        return GitStatusParser.Parse(path, r.Stdout);
    }
}
