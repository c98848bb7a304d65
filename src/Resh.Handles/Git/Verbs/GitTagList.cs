using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitTagList
{
    static readonly Arg<string?> Pattern = Arg.String("pattern", "Only tags matching this glob (v1.*).");

    public static readonly VerbInfo Verb = VerbInfo.Define("tag.list", Effect.Read,
        "Tags with the commit each points at, annotated or not, subject and date; newest first.",
        [Pattern], () => GitJson.Default.GitTagListResult, RunAsync,
        examples: [new("git:///srv/app.tag.list", "Every tag."), new("'git:///srv/app.tag.list(pattern=v1.*)'", "The v1 tags.")]);

    static async ValueTask<Outcome<GitTagListResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var pattern = ctx.Get(Pattern) is { } p ? "refs/tags/" + p : "refs/tags";
        var r = await Git.CheckedAsync(ctx, path, ["for-each-ref", "--sort=-creatordate",
            "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(contents:subject)%00%(creatordate:iso-strict)", pattern]).ConfigureAwait(false);
        var list = new List<GitTag>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\0');
            if (f.Length < 6) continue;
            var annotated = f[1] == "tag";
            list.Add(new GitTag(f[0], annotated && f[3].Length > 0 ? f[3] : f[2], annotated, f[4], f[5].Length > 0 ? f[5] : null));
        }
        return new GitTagListResult(path, list.Count, list);
    }
}
