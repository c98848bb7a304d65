using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitCommit
{
    static readonly Arg<string?> Message = Arg.String("message", "The commit message (first line: the subject).", required: true, aliases: ["m"]);
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Stage these paths (new, changed or deleted) and commit them with whatever is already staged.");
    static readonly Arg<bool> All = Arg.Bool("all", "Stage every change in the tree first, new files included (.gitignore respected).");
    static readonly Arg<string?> Author = Arg.String("author", "The author, 'Name <email>' (also the committer when git has no user.name/user.email).");
    static readonly Arg<bool> AllowEmpty = Arg.Bool("allow_empty", "Commit even when nothing changed.");

    public static readonly VerbInfo Verb = VerbInfo.Define("commit", Effect.Mutate,
        "Commit staged changes, given paths, or everything; `changed: false` when there is nothing to commit.",
        [Message, Paths, All, Author, AllowEmpty, GitPush.Hooks], () => GitJson.Default.GitCommitResult, RunAsync,
        examples: [new("git:///srv/app.commit message='Update config' all=true", "Everything in the tree."),
            new("'git:///etc.commit(message=nginx: raise worker count,paths=nginx/nginx.conf,author=Ops <ops@example.com>)'", "One file, with an author.")],
        notes: "The message goes to git on stdin (-F -). Hooks (pre-commit, commit-msg) run only with hooks=true. --dry-run lists the paths the commit would record.");

    static async ValueTask<Outcome<GitCommitResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var message = ctx.Get(Message)!;
        if (message.Trim().Length == 0) return ReshError.Usage("The commit message is empty.", "Give message='what and why'.");
        var subject = message.Split('\n')[0].Trim();
        var paths = ctx.Get(Paths);
        var all = ctx.Get(All);
        var env = new Dictionary<string, string?>();
        if (ctx.Get(Author) is { } author)
        {
            var lt = author.IndexOf('<');
            if (lt <= 0 || !author.TrimEnd().EndsWith('>') || author.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0)
                return ReshError.Usage($"`{author}` is not 'Name <email>'.", "Give author='Jane Doe <jane@example.com>'.");
            var name = author[..lt].Trim();
            var email = author[(lt + 1)..author.LastIndexOf('>')].Trim();
            env["GIT_AUTHOR_NAME"] = name;
            env["GIT_AUTHOR_EMAIL"] = email;
            var configured = await Git.RunAsync(ctx, path, ["config", "user.email"]).ConfigureAwait(false);
            if (!configured.Succeeded || configured.Stdout.Trim().Length == 0)
            {
                env["GIT_COMMITTER_NAME"] = name;
                env["GIT_COMMITTER_EMAIL"] = email;
            }
        }

        // What would be staged, then what is staged: the files this commit records.
        var stage = new List<string> { "add", "--all" };
        if (ctx.DryRun) stage.Add("--dry-run");
        stage.Add("--");
        if (paths.Count > 0) stage.AddRange(paths);
        else if (!all) stage = [];
        if (paths.Count > 0 && all) return ReshError.Usage("Give paths= or all=true, not both.", "all=true already stages every change.");
        var files = new List<GitPathChange>();
        if (stage.Count > 0)
        {
            var added = await Git.CheckedAsync(ctx, path, stage).ConfigureAwait(false);
            if (ctx.DryRun)
            {
                // git add --dry-run says "add 'path'" for new and changed files alike; the tree's status tells them apart.
                var tree = GitStatusParser.Parse(path, (await Git.CheckedAsync(ctx, path, ["status", "--porcelain=v2", "-z", "--untracked-files=all"]).ConfigureAwait(false)).Stdout);
                foreach (var line in added.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    // "add 'path'" / "remove 'path'"
                    var sp = line.IndexOf(' ');
                    if (sp < 0) continue;
                    var p = line[(sp + 1)..].Trim('\'');
                    var status = line.StartsWith("remove", StringComparison.Ordinal) ? "deleted"
                        : tree.Untracked.Contains(p) ? "added"
                        : tree.Unstaged.FirstOrDefault(u => u.Path == p)?.Status ?? "modified";
                    files.Add(new GitPathChange(p, status, null));
                }
            }
        }
        var staged = await Git.CheckedAsync(ctx, path, ["diff", "--cached", "--name-status", "-z", "-M"]).ConfigureAwait(false);
        foreach (var f in NameStatus(staged.Stdout))
            if (!files.Any(x => x.Path == f.Path)) files.Add(f);
        var branch = await Git.BranchAsync(ctx, path).ConfigureAwait(false);
        if (files.Count == 0 && !ctx.Get(AllowEmpty)) return new GitCommitResult(path, null, branch, [], subject);
        if (ctx.DryRun) return Outcome.Changed(new GitCommitResult(path, null, branch, files, subject));
        var args = new List<string> { "commit", "--quiet", "--no-edit", "-F", "-", "--cleanup=strip" };
        if (ctx.Get(AllowEmpty)) args.Add("--allow-empty");
        await Git.CheckedAsync(ctx, path, args, new GitOptions { Stdin = Encoding.UTF8.GetBytes(message), Hooks = ctx.Get(GitPush.Hooks), Environment = env }).ConfigureAwait(false);
        return Outcome.Changed(new GitCommitResult(path, await Git.HeadAsync(ctx, path).ConfigureAwait(false), branch, files, subject));
    }

    /// <summary>`diff --name-status -z`: "X\0path\0", or "R100\0old\0new\0" for renames and copies.</summary>
    internal static List<GitPathChange> NameStatus(string output)
    {
        var rec = Git.Records(output);
        var list = new List<GitPathChange>();
        for (int i = 0; i < rec.Count; i++)
        {
            var code = rec[i];
            if (code.Length == 0 || i + 1 >= rec.Count) continue;
            if (code[0] is 'R' or 'C' && i + 2 < rec.Count)
            {
                var from = rec[++i];
                list.Add(new GitPathChange(rec[++i], GitStatusParser.Status(code[0]), from));
            }
            else list.Add(new GitPathChange(rec[++i], GitStatusParser.Status(code[0]), null));
        }
        return list;
    }
}
