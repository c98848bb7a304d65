using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitRemoteAdd
{
    internal static readonly Arg<string?> Name = Arg.String("name", "The remote's name.", required: true);
    static readonly Arg<string?> Url = Arg.String("url", "Its URL (no password in it: give token= to verbs that talk to it).", required: true);
    static readonly Arg<bool> Force = Arg.Bool("force", "Change the URL of an existing remote of that name.");

    public static readonly VerbInfo Verb = VerbInfo.Define("remote.add", Effect.Mutate,
        "Add a remote; the same name with the same URL is `changed: false`.",
        [Name, Url, Force], () => GitJson.Default.GitRemoteChangeResult, RunAsync,
        examples: [new("git:///srv/app.remote.add name=backup url=ssh://git@backup.example.com/app.git", "A second remote.")],
        notes: "A URL with a password is refused: it would be stored in .git/config in clear. An existing remote with another URL is `conflict` unless force=true.");

    static async ValueTask<Outcome<GitRemoteChangeResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var name = GitRefs.Name(ctx.Get(Name), "remote");
        var given = ctx.Get(Url)!;
        var (url, _, password) = GitUrl.Split(given, "url");
        if (password is not null)
            return ReshError.Usage("The URL holds a credential, which git would store in .git/config in clear.", "Give the URL without it and pass token= to fetch, pull and push.");
        await Git.CheckedAsync(ctx, path, ["rev-parse", "--git-dir"]).ConfigureAwait(false);
        var existing = (await GitRemotes.ListAsync(ctx, path).ConfigureAwait(false)).FirstOrDefault(r => r.Name == name);
        var shown = GitUrl.Display(url);
        if (existing.Name is not null)
        {
            if (existing.Url == url) return new GitRemoteChangeResult(path, name, shown, shown);
            if (!ctx.Get(Force))
                return ReshError.Conflict($"The remote {name} exists with URL {GitUrl.Display(existing.Url)}.", "Pass force=true to change its URL.");
        }
        var before = existing.Url is null ? null : GitUrl.Display(existing.Url);
        if (ctx.DryRun) return Outcome.Changed(new GitRemoteChangeResult(path, name, before, shown));
        await Git.CheckedAsync(ctx, path, existing.Name is null ? ["remote", "add", "--", name, url] : ["remote", "set-url", "--", name, url]).ConfigureAwait(false);
        return Outcome.Changed(new GitRemoteChangeResult(path, name, before, shown));
    }
}
