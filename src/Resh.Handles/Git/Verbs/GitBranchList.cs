using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitBranchList
{
    static readonly Arg<bool> Remotes = Arg.Bool("remotes", "Include remote-tracking branches (origin/main).");

    public static readonly VerbInfo Verb = VerbInfo.Define("branch.list", Effect.Read,
        "Branches with their commit, upstream, ahead/behind and whether they are checked out.",
        [Remotes], () => GitJson.Default.GitBranchListResult, RunAsync,
        examples: [new("git:///srv/app.branch.list", "Local branches."), new("git:///srv/app.branch.list remotes=true", "With origin/* too.")]);

    static async ValueTask<Outcome<GitBranchListResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var args = new List<string> { "for-each-ref", "--format=%(refname)%00%(objectname)%00%(HEAD)%00%(upstream:short)%00%(upstream:track,nobracket)%00%(contents:subject)", "refs/heads" };
        if (ctx.Get(Remotes)) args.Add("refs/remotes");
        var r = await Git.CheckedAsync(ctx, path, args).ConfigureAwait(false);
        var list = new List<GitBranch>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\0');
            if (f.Length < 6) continue;
            var remote = f[0].StartsWith("refs/remotes/", StringComparison.Ordinal);
            var name = remote ? f[0]["refs/remotes/".Length..] : f[0]["refs/heads/".Length..];
            if (remote && name.EndsWith("/HEAD", StringComparison.Ordinal)) continue;
            int? ahead = null, behind = null;
            var gone = f[4] == "gone";
            if (f[3].Length > 0 && !gone)
            {
                ahead = 0; behind = 0;
                foreach (var part in f[4].Split(", ", StringSplitOptions.RemoveEmptyEntries))
                {
                    var kv = part.Split(' ');
                    if (kv.Length == 2 && int.TryParse(kv[1], out var n)) { if (kv[0] == "ahead") ahead = n; else if (kv[0] == "behind") behind = n; }
                }
            }
            list.Add(new GitBranch(name, f[0], f[1], f[2] == "*", remote, f[3].Length > 0 ? f[3] : null, ahead, behind, gone, f[5]));
        }
        return new GitBranchListResult(path, list.Count, list);
    }
}
