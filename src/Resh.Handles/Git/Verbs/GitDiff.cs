using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitDiff
{
    static readonly Arg<string?> From = Arg.String("from", "Compare from this revision (default: the index, or HEAD with staged=true).");
    static readonly Arg<string?> To = Arg.String("to", "Compare to this revision (default: the working tree).");
    static readonly Arg<bool> Staged = Arg.Bool("staged", "Compare the index with HEAD (what a commit would record).", aliases: ["cached"]);
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Only these paths.");
    static readonly Arg<long?> Context = Arg.Int("context", "Lines of context in the unified text.", 3, min: 0, max: 1000);
    static readonly Arg<long?> MaxBytes = Arg.Size("max_bytes", "Cut the unified text after this many bytes (the numbers stay exact).", 1024 * 1024);

    public static readonly VerbInfo Verb = VerbInfo.Define("diff", Effect.Read,
        "Changes as data (per-file added/deleted lines from --numstat) and as unified text.",
        [From, To, Staged, Paths, Context, MaxBytes], () => GitJson.Default.GitDiffResult, RunAsync,
        examples: [new("git:///srv/app.diff", "Unstaged changes of the working tree."), new("git:///srv/app.diff staged=true", "What the next commit would record."),
            new("'git:///srv/app.diff(from=v1.0,to=main)'", "Between two revisions.")],
        notes: "External diff drivers and textconv filters from the repository's config are not run (--no-ext-diff --no-textconv).");

    static async ValueTask<Outcome<GitDiffResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var revs = new List<string>();
        string compared;
        if (ctx.Get(From) is { } from)
        {
            revs.Add(GitRefs.Rev(from, "from"));
            if (ctx.Get(To) is { } to) revs.Add(GitRefs.Rev(to, "to"));
            compared = revs.Count == 2 ? $"{from}..{revs[1]}" : $"{from}..worktree";
        }
        else if (ctx.Get(To) is not null)
            throw ReshError.Usage("`to` needs `from`.", "Give both: from=v1.0 to=main.").ToException();
        else compared = ctx.Get(Staged) ? "HEAD..index" : "index..worktree";
        var common = new List<string> { "--no-ext-diff", "--no-textconv", "--no-color", "-M" };
        if (ctx.Get(Staged) && revs.Count < 2) common.Add("--cached");
        var tail = new List<string> { "--end-of-options" };
        tail.AddRange(revs);
        tail.Add("--");
        tail.AddRange(ctx.Get(Paths));

        var numArgs = new List<string> { "diff", "--numstat", "-z" };
        numArgs.AddRange(common); numArgs.AddRange(tail);
        var num = await Git.CheckedAsync(ctx, path, numArgs).ConfigureAwait(false);
        var files = ParseNumstat(num.Stdout);

        var max = (int)Math.Min(ctx.Get(MaxBytes)!.Value, 256L * 1024 * 1024);
        var patchArgs = new List<string> { "diff", "--patch", "-U" + ctx.Get(Context) };
        patchArgs.AddRange(common); patchArgs.AddRange(tail);
        var patch = await Git.RunAsync(ctx, path, patchArgs, new GitOptions { MaxOutputBytes = max }).ConfigureAwait(false);
        if (!patch.Succeeded) throw GitErrors.From(patch, path, patchArgs).ToException();
        return new GitDiffResult(path, compared, files.Count, files.Sum(f => f.Added ?? 0), files.Sum(f => f.Deleted ?? 0), files, patch.Stdout, patch.StdoutTruncated);
    }

    /// <summary>`--numstat -z`: "ADDED\tDELETED\tPATH\0", or for a rename "ADDED\tDELETED\t\0FROM\0TO\0"; binary files count "-".</summary>
    static List<GitDiffFile> ParseNumstat(string output)
    {
        var rec = Git.Records(output);
        var list = new List<GitDiffFile>();
        for (int i = 0; i < rec.Count; i++)
        {
            var f = rec[i].Split('\t', 3);
            if (f.Length < 3) continue;
            var binary = f[0] == "-";
            long? added = binary ? null : long.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture);
            long? deleted = binary ? null : long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture);
            if (f[2].Length == 0 && i + 2 < rec.Count)
            {
                var old = rec[++i];
                var now = rec[++i];
                list.Add(new GitDiffFile(now, old, added, deleted, binary));
            }
            else list.Add(new GitDiffFile(f[2], null, added, deleted, binary));
        }
        return list;
    }
}
