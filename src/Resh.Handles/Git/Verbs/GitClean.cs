using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitClean
{
    static readonly Arg<bool> Force = Arg.Bool("force", "Required to delete anything (--dry-run lists what would go without it).");
    static readonly Arg<bool> Directories = Arg.Bool("directories", "Remove untracked directories too (-d).", true);
    static readonly Arg<string?> Ignored = Arg.Enum("ignored", "no: keep ignored files; also: remove them too (-x); only: remove only ignored files (-X).", ["no", "also", "only"], "no");
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Only below these paths.");

    public static readonly VerbInfo Verb = VerbInfo.Define("clean", Effect.Destroy,
        "Delete untracked files (force=true required); --dry-run lists them. Nothing to remove is `changed: false`.",
        [Force, Directories, Ignored, Paths], () => GitJson.Default.GitCleanResult, RunAsync,
        examples: [new("git:///srv/app.clean --dry-run", "What would be deleted."), new("git:///srv/app.clean force=true ignored=also", "Untracked and ignored files, build output included.")],
        notes: "Nested repositories are left alone (git clean without -ff).");

    static async ValueTask<Outcome<GitCleanResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        if (!ctx.DryRun && !ctx.Get(Force))
            return ReshError.Usage("clean deletes files and needs force=true.", "Look first with --dry-run, then add force=true.");
        var opts = new List<string>();
        if (ctx.Get(Directories)) opts.Add("-d");
        if (ctx.Get(Ignored) == "also") opts.Add("-x");
        else if (ctx.Get(Ignored) == "only") opts.Add("-X");
        var tail = new List<string> { "--" };
        tail.AddRange(ctx.Get(Paths));
        var list = await Git.CheckedAsync(ctx, path, ["clean", "--dry-run", .. opts, .. tail]).ConfigureAwait(false);
        var removed = Parse(list.Stdout, "Would remove ");
        if (removed.Count == 0 || ctx.DryRun) return Outcome.Changed(new GitCleanResult(path, removed, removed.Count), removed.Count > 0);
        var run = await Git.CheckedAsync(ctx, path, ["clean", "--force", .. opts, .. tail]).ConfigureAwait(false);
        var done = Parse(run.Stdout, "Removing ");
        return Outcome.Changed(new GitCleanResult(path, done, done.Count), done.Count > 0);
    }

    static List<string> Parse(string output, string prefix) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => GitQuoted.Unquote(l[prefix.Length..])).ToList();
}
