using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitStashPop
{
    static readonly Arg<long?> Index = Arg.Int("index", "Which entry (0 is the newest).", 0, min: 0);

    public static readonly VerbInfo Verb = VerbInfo.Define("stash.pop", Effect.Mutate,
        "Apply a stash entry and drop it; an empty stash is `changed: false`.",
        [Index], () => GitJson.Default.GitStashResult, RunAsync,
        examples: [new("git:///srv/app.stash.pop", "Re-apply the newest entry.")],
        notes: "An entry that does not apply cleanly is `conflict`, and stays in the stash.");

    static async ValueTask<Outcome<GitStashResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var index = (int)ctx.Get(Index)!.Value;
        var list = await GitStashes.ListAsync(ctx, path).ConfigureAwait(false);
        if (list.Count == 0) return new GitStashResult(path, "pop", null);
        var entry = list.FirstOrDefault(e => e.Index == index);
        if (entry is null) return ReshError.NotFound($"There is no stash entry {index} (the stash has {list.Count}).", "List them: git://PATH.stash.list.");
        if (ctx.DryRun) return Outcome.Changed(new GitStashResult(path, "pop", entry));
        var args = new List<string> { "stash", "pop", "--quiet", $"stash@{{{index}}}" };
        var r = await Git.RunAsync(ctx, path, args).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            var err = GitErrors.From(r, path, args);
            if (r.Stderr.Contains("CONFLICT", StringComparison.Ordinal) || r.Stderr.Contains("would be overwritten", StringComparison.Ordinal) || r.Stdout.Contains("CONFLICT", StringComparison.Ordinal))
                err = ReshError.Conflict("The stash entry does not apply cleanly; it stays in the stash.", "Commit or discard the local changes in the way, then pop again.", err.Details);
            throw err.ToException();
        }
        return Outcome.Changed(new GitStashResult(path, "pop", entry));
    }
}
