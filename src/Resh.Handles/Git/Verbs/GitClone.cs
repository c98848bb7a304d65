using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitClone
{
    internal static readonly Arg<string?> Url = Arg.String("url", "The remote: https://, ssh://, git://, file://, host:path or a local path.", required: true);
    static readonly Arg<string?> Branch = Arg.String("branch", "Check out this branch or tag instead of the remote's HEAD.");
    internal static readonly Arg<long?> Depth = Arg.Int("depth", "Shallow clone with this many commits.", min: 1);
    internal static readonly Arg<bool> Submodules = Arg.Bool("submodules", "Clone submodules too (--recurse-submodules).");

    public static readonly VerbInfo Verb = VerbInfo.Define("clone", Effect.Mutate,
        "Clone a remote into the target path (missing or empty); an existing repository of the same remote is `changed: false`.",
        [Url, Branch, Depth, Submodules, .. GitAuth.Args], () => GitJson.Default.GitHeadResult, RunAsync,
        examples: [new("'git:///srv/app.clone(url=https://github.com/org/app.git,branch=main,depth=1)'", "A shallow clone of main."),
            new("git:///srv/app.clone url=git@github.com:org/app.git ssh_key=/root/.ssh/deploy", "Over SSH with a deploy key.")],
        notes: "A path holding another repository or other files is `conflict`. Credentials in url= are taken out of the URL (the clone's origin is stored without them) and given to git through GIT_ASKPASS.");

    static async ValueTask<Outcome<GitHeadResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Path(ctx);
        var (url, user, password) = GitUrl.Split(ctx.Get(Url)!, "url");
        var shown = GitUrl.Display(ctx.Get(Url));
        var branch = ctx.Get(Branch) is { } b ? GitRefs.Rev(b, "branch") : null;
        if (!GitCloner.Free(path))
        {
            if (Directory.Exists(Path.Combine(path, ".git")))
            {
                var origin = await Git.RunAsync(ctx, path, ["config", "--get", "remote.origin.url"]).ConfigureAwait(false);
                if (origin.Succeeded && origin.Stdout.Trim() == url)
                    return new GitHeadResult(path, "unchanged", shown, branch, await Git.BranchAsync(ctx, path).ConfigureAwait(false), await Git.HeadAsync(ctx, path).ConfigureAwait(false), await Git.HeadAsync(ctx, path).ConfigureAwait(false));
                return ReshError.Conflict($"{path} already holds a clone of another remote ({GitUrl.Display(origin.Stdout.Trim())}).", "Choose another path, or remove it first.");
            }
            return ReshError.Conflict($"{path} exists and is not empty.", "Clone into a missing or empty directory, or use .ensure on an existing clone.");
        }
        if (ctx.DryRun) return Outcome.Changed(new GitHeadResult(path, "would_clone", shown, branch, null, null, null));
        using var auth = GitAuth.From(ctx, user, password);
        await GitCloner.CloneAsync(ctx, url, path, branch, ctx.Get(Depth), ctx.Get(Submodules), auth).ConfigureAwait(false);
        return Outcome.Changed(new GitHeadResult(path, "cloned", shown, branch, await Git.BranchAsync(ctx, path).ConfigureAwait(false), null, await Git.HeadAsync(ctx, path).ConfigureAwait(false)));
    }
}
