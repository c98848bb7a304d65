using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitEnsure
{
    static readonly Arg<string?> Ref = Arg.String("ref", "The branch, tag or commit to have checked out (default: the current branch, or the remote's HEAD for a new clone).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Discard local changes to tracked files, local commits on the branch, and replace a different origin URL.");

    public static readonly VerbInfo Verb = VerbInfo.Define("ensure", Effect.Mutate,
        "A working tree at a ref: clone if missing, else fetch and check the ref out; `changed` only when HEAD moved (Ansible's git module).",
        [GitClone.Url, Ref, GitClone.Depth, GitClone.Submodules, Force, .. GitAuth.Args], () => GitJson.Default.GitHeadResult, RunAsync,
        examples: [new("'git:///srv/app.ensure(url=git://127.0.0.1:9418/app.git,ref=main)'", "/srv/app at the remote's main, cloned if missing."),
            new("'git:///srv/app.ensure(url=https://github.com/org/app.git,ref=v1.2.0)' token=env:GIT_TOKEN", "At a tag, with a token for a private repository."),
            new("git:///srv/app.ensure url=git@github.com:org/app.git ref=main --dry-run", "What would change, read from the remote without fetching.")],
        notes: "A branch ref checks out a local branch of that name reset to the remote's (refused with `conflict` when the local branch has commits the remote lacks, unless force); a tag or commit is checked out detached. "
            + "A dirty tree is `conflict` unless force=true. --dry-run asks the remote (ls-remote) what the ref points at and fetches nothing.");

    const string Remote = "origin";

    static async ValueTask<Outcome<GitHeadResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Path(ctx);
        var given = ctx.Get(GitClone.Url)!;
        var (url, user, password) = GitUrl.Split(given, "url");
        var shown = GitUrl.Display(given);
        var want = ctx.Get(Ref) is { } rf ? GitRefs.Rev(rf, "ref") : null;
        var force = ctx.Get(Force);
        using var auth = GitAuth.From(ctx, user, password);

        if (GitCloner.Free(path))
        {
            if (ctx.DryRun)
            {
                var (head, refs) = await GitRemoteRefs.ListAsync(ctx, null, url, auth).ConfigureAwait(false);
                var target = want is null ? GitRemoteRefs.Find(refs, "HEAD") : GitRemoteRefs.Find(refs, want) ?? (GitRefs.LooksLikeHash(want) ? want : null);
                if (target is null) return NoSuchRef(ctx, want!, shown);
                return Outcome.Changed(new GitHeadResult(path, "would_clone", shown, want, want is null ? head : null, null, target));
            }
            var hash = want is not null && GitRefs.LooksLikeHash(want);
            await GitCloner.CloneAsync(ctx, url, path, hash ? null : want, ctx.Get(GitClone.Depth), ctx.Get(GitClone.Submodules), auth).ConfigureAwait(false);
            if (hash)
            {
                var commit = await Git.ResolveAsync(ctx, path, want!).ConfigureAwait(false) ?? throw NoSuchRef(ctx, want!, shown).ToException();
                await Git.CheckedAsync(ctx, path, ["checkout", "--quiet", "--detach", commit, "--"]).ConfigureAwait(false);
                await Submodules(ctx, path, auth).ConfigureAwait(false);
            }
            return Outcome.Changed(new GitHeadResult(path, "cloned", shown, want, await Git.BranchAsync(ctx, path).ConfigureAwait(false), null, await Git.HeadAsync(ctx, path).ConfigureAwait(false)));
        }

        if (!Directory.Exists(path) || !await GitTree.IsTopLevelAsync(ctx, path).ConfigureAwait(false))
            return ReshError.Conflict($"{path} exists and is not the top of a git working tree.", "Point ensure at a missing or empty directory, or at an existing clone.");
        var origin = await Git.RunAsync(ctx, path, ["config", "--get", "remote." + Remote + ".url"]).ConfigureAwait(false);
        var current = origin.Succeeded ? origin.Stdout.Trim() : null;
        if (current is not null && current != url && !force)
            return ReshError.Conflict($"{path} is a clone of {GitUrl.Display(current)}, not of {shown}.", "Pass force=true to point origin at the new URL, or choose another path.",
                new System.Text.Json.Nodes.JsonObject { ["origin"] = GitUrl.Display(current), ["url"] = shown });
        var dirty = await GitTree.DirtyAsync(ctx, path).ConfigureAwait(false);
        if (dirty.Count > 0 && !force) return GitTree.DirtyError(path, dirty, "ensure");
        var before = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var branchBefore = await Git.BranchAsync(ctx, path).ConfigureAwait(false);

        if (ctx.DryRun)
        {
            var (head, refs) = await GitRemoteRefs.ListAsync(ctx, path, url, auth).ConfigureAwait(false);
            var name = want ?? branchBefore ?? head ?? "HEAD";
            var target = GitRemoteRefs.Find(refs, name);
            if (target is null && GitRefs.LooksLikeHash(name)) target = await Git.ResolveAsync(ctx, path, name).ConfigureAwait(false) ?? name;
            if (target is null) return NoSuchRef(ctx, name, shown);
            var moves = before is null || !before.StartsWith(target, StringComparison.Ordinal);
            var discards = dirty.Count > 0;
            return Outcome.Changed(new GitHeadResult(path, moves || discards ? "would_check_out" : "unchanged", shown, name, branchBefore, before, target), moves || discards);
        }

        if (current is null) await Git.CheckedAsync(ctx, path, ["remote", "add", "--", Remote, url]).ConfigureAwait(false);
        else if (current != url) await Git.CheckedAsync(ctx, path, ["remote", "set-url", "--", Remote, url]).ConfigureAwait(false);
        var fetch = new List<string> { "fetch", "--quiet", "--tags", "--force" };
        if (ctx.Get(GitClone.Depth) is { } depth) fetch.Add("--depth=" + depth);
        fetch.Add(Remote);
        await Git.CheckedAsync(ctx, path, fetch, new GitOptions { Auth = auth }).ConfigureAwait(false);

        var wanted = want ?? branchBefore;
        if (wanted is null)
        {
            // Detached and no ref asked for: the remote's default branch.
            var sym = await Git.RunAsync(ctx, path, ["symbolic-ref", "--quiet", "--short", "refs/remotes/" + Remote + "/HEAD"]).ConfigureAwait(false);
            wanted = sym.Succeeded ? sym.Stdout.Trim()[(Remote.Length + 1)..] : "HEAD";
        }
        var forceArgs = force ? new[] { "--force" } : [];
        var remoteBranch = await Git.ResolveAsync(ctx, path, $"refs/remotes/{Remote}/{wanted}").ConfigureAwait(false);
        string action;
        if (remoteBranch is not null)
        {
            var local = await Git.ResolveAsync(ctx, path, "refs/heads/" + wanted).ConfigureAwait(false);
            if (local is not null && local != remoteBranch && !force)
            {
                var ancestor = await Git.RunAsync(ctx, path, ["merge-base", "--is-ancestor", local, remoteBranch]).ConfigureAwait(false);
                if (!ancestor.Succeeded)
                    return ReshError.Conflict($"The local branch {wanted} has commits that {Remote}/{wanted} does not.", "Push them first (git://PATH.push), or pass force=true to reset the branch to the remote's.",
                        new System.Text.Json.Nodes.JsonObject { ["local"] = local, ["remote"] = remoteBranch });
            }
            if (branchBefore == wanted && before == remoteBranch && dirty.Count == 0) action = "unchanged";
            else
            {
                await Git.CheckedAsync(ctx, path, ["checkout", "--quiet", .. forceArgs, "-B", wanted, "--track", $"{Remote}/{wanted}", "--"]).ConfigureAwait(false);
                action = "checked_out";
            }
        }
        else
        {
            var commit = await Git.ResolveAsync(ctx, path, "refs/tags/" + wanted).ConfigureAwait(false)
                ?? (GitRefs.LooksLikeHash(wanted) ? await Git.ResolveAsync(ctx, path, wanted).ConfigureAwait(false) : null);
            if (commit is null) return NoSuchRef(ctx, wanted, shown);
            if (branchBefore is null && before == commit && dirty.Count == 0) action = "unchanged";
            else
            {
                await Git.CheckedAsync(ctx, path, ["checkout", "--quiet", .. forceArgs, "--detach", commit, "--"]).ConfigureAwait(false);
                action = "checked_out";
            }
        }
        if (action != "unchanged") await Submodules(ctx, path, auth).ConfigureAwait(false);
        var after = await Git.HeadAsync(ctx, path).ConfigureAwait(false);
        var changed = after != before || (dirty.Count > 0 && action != "unchanged");
        if (!changed) action = "unchanged";
        return Outcome.Changed(new GitHeadResult(path, action, shown, want, await Git.BranchAsync(ctx, path).ConfigureAwait(false), before, after), changed);

        async Task Submodules(VerbContext c, string p, GitAuth a)
        {
            if (!c.Get(GitClone.Submodules)) return;
            await Git.CheckedAsync(c, p, ["submodule", "update", "--init", "--recursive"], new GitOptions { Auth = a }).ConfigureAwait(false);
        }
    }

    static ReshError NoSuchRef(VerbContext ctx, string name, string url) =>
        ReshError.NotFound($"The remote {url} has no branch, tag or commit `{name}`.",
            "List what it has: " + Resh.Core.Grammar.StageText.Command(ctx.Handle, "", "ls-remote", "url=" + url));
}
