using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitLsRemote
{
    static readonly Arg<string?> Url = Arg.String("url", "The remote, when the target is not a URL (or a local tree's remote name with a tree target).");
    static readonly Arg<bool> Heads = Arg.Bool("heads", "Only branches.");
    static readonly Arg<bool> Tags = Arg.Bool("tags", "Only tags.");

    public static readonly VerbInfo Verb = VerbInfo.Define("ls-remote", Effect.Read,
        "The branches and tags a remote advertises, and where its HEAD points, without cloning.",
        [Url, Heads, Tags, .. GitAuth.Args], () => GitJson.Default.GitLsRemoteResult, RunAsync,
        examples: [new("git://https://github.com/git/git.git.ls-remote heads=true", "The branches of a public repository."),
            new("'git://.ls-remote(url=git://127.0.0.1:9418/app.git)'", "The refs served by a git daemon."),
            new("git:///srv/app.ls-remote url=origin", "What the tree's origin advertises.")],
        targetHelp: "A remote URL (git://https://host/repo.git), empty with url=, or a working tree with url=REMOTE-NAME.");

    static async ValueTask<Outcome<GitLsRemoteResult>> RunAsync(VerbContext ctx)
    {
        string? repo = null;
        string remote;
        if (ctx.Get(Url) is { } url)
        {
            remote = url;
            if (ctx.Target.Length > 0 && !GitUrl.LooksRemote(ctx.Target)) repo = GitTarget.Existing(ctx);
        }
        else if (ctx.Target.Length > 0 && GitUrl.LooksRemote(ctx.Target)) remote = ctx.Target;
        else throw ReshError.Usage("ls-remote needs a remote.", "Give it as the target (git://https://host/repo.git.ls-remote) or as url=.").ToException();
        var (clean, user, password) = GitUrl.Split(remote, "url");
        using var auth = GitAuth.From(ctx, user, password);
        var patterns = new List<string>();
        if (ctx.Get(Heads)) patterns.Add("refs/heads/*");
        if (ctx.Get(Tags)) patterns.Add("refs/tags/*");
        var (head, refs) = await GitRemoteRefs.ListAsync(ctx, repo, clean, auth, patterns).ConfigureAwait(false);
        if (patterns.Count > 0) refs = refs.Where(r => r.Name != "HEAD").ToList();
        return new GitLsRemoteResult(GitUrl.Display(remote), head, refs.Count, refs);
    }
}
