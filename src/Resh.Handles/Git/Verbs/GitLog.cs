using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitLog
{
    static readonly Arg<long?> Count = Arg.Int("count", "How many commits, newest first.", 10, min: 1, max: 100000, aliases: ["n"]);
    static readonly Arg<string?> Ref = Arg.String("ref", "The branch, tag, commit or range (main..feature) to list.", "HEAD");
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Only commits touching these paths (relative to the tree).");
    static readonly Arg<string?> Since = Arg.String("since", "Only commits after this date (git's forms: 2024-01-01, '2 weeks ago').");
    static readonly Arg<string?> Author = Arg.String("author", "Only commits whose author matches this pattern.");

    const int Fields = 10;

    public static readonly VerbInfo Verb = VerbInfo.Define("log", Effect.Read,
        "Commits as data: hash, parents, author, ISO dates, subject and body.",
        [Count, Ref, Paths, Since, Author], () => GitJson.Default.GitLogResult, RunAsync,
        examples: [new("git:///srv/app.log count=5", "The last five commits."), new("'git:///srv/app.log(ref=v1.0..main,paths=src)'", "Commits since v1.0 that touch src.")],
        notes: "An empty repository (no commit yet) gives an empty list.");

    static async ValueTask<Outcome<GitLogResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var rev = GitRefs.Rev(ctx.Get(Ref)!, "ref");
        var count = (int)ctx.Get(Count)!.Value;
        var args = new List<string> { "log", "-z", "--no-color", "--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%s%x00%b", "--max-count=" + count };
        if (ctx.Get(Since) is { } since) args.Add("--since=" + since);
        if (ctx.Get(Author) is { } author) args.Add("--author=" + author);
        args.Add("--end-of-options");
        args.Add(rev);
        args.Add("--");
        args.AddRange(ctx.Get(Paths));
        var r = await Git.RunAsync(ctx, path, args).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (rev == "HEAD" && (r.Stderr.Contains("does not have any commits yet", StringComparison.Ordinal) || r.Stderr.Contains("bad revision 'HEAD'", StringComparison.Ordinal)))
                return new GitLogResult(path, rev, 0, []);
            throw GitErrors.From(r, path, args).ToException();
        }
        var commits = Parse(r.Stdout);
        return new GitLogResult(path, rev, commits.Count, commits);
    }

    /// <summary>-z with a NUL-separated format: each commit is exactly <see cref="Fields"/> fields (messages cannot hold NUL).</summary>
    static List<GitCommitInfo> Parse(string output)
    {
        var parts = output.Split('\0');
        var list = new List<GitCommitInfo>();
        for (int i = 0; i + Fields <= parts.Length; i += Fields)
        {
            var hash = parts[i];
            if (i > 0 && hash.StartsWith('\n')) hash = hash[1..];
            if (hash.Length == 0) break;
            list.Add(new GitCommitInfo(hash, parts[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries), parts[i + 2], parts[i + 3], parts[i + 4],
                parts[i + 5], parts[i + 6], parts[i + 7], parts[i + 8], parts[i + 9].TrimEnd('\n')));
        }
        return list;
    }
}
