using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Git;
using GitCli = Resh.Handles.Git.Git;

namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// Git sources: `git+URL[#REF]`, or a URL ending in .git (`https://host/p.git#v1.2.0`). Cloned with git://'s runner
/// (hooks off, no fsmonitor, no prompts, ssh in batch mode), depth 1, no submodules, only the transports an operator
/// expects (https, http, ssh, git, file; never ext:: or fd::), into a private temporary directory; the .git directory
/// is removed before the install so it is not copied into the store. REF is a branch or tag (a commit hash is fetched
/// by hash where the server allows it).
/// </summary>
public static class PluginGitSource
{
    public static bool IsGit(string from) =>
        from.StartsWith("git+", StringComparison.Ordinal)
        || (!from.Contains("://", StringComparison.Ordinal) ? false : StripRef(from).EndsWith(".git", StringComparison.Ordinal))
        || from.StartsWith("git://", StringComparison.Ordinal);

    static string StripRef(string s) => s.IndexOf('#') is var i and >= 0 ? s[..i] : s;

    public static (string Url, string? Ref) Parse(string from)
    {
        var s = from.StartsWith("git+", StringComparison.Ordinal) ? from[4..] : from;
        string? gitRef = null;
        var hash = s.IndexOf('#');
        if (hash >= 0) { gitRef = s[(hash + 1)..]; s = s[..hash]; }
        if (gitRef is { Length: 0 }) gitRef = null;
        var scheme = s.IndexOf("://", StringComparison.Ordinal) is var k and > 0 ? s[..k].ToLowerInvariant() : null;
        if (scheme is not ("https" or "http" or "ssh" or "git" or "file"))
            throw ReshError.Usage($"`{GitUrl.Display(from)}` is not a git URL resh clones plugins from.",
                "Use git+https://host/repo.git, git+ssh://host/repo.git, git+file:///path/repo or git://host/repo.git, with #REF for a branch or tag.").ToException();
        if (s.Length > 4096 || s.Any(char.IsControl) || s.StartsWith('-'))
            throw ReshError.Usage("The git URL holds control characters or is too long.", "Check the URL.").ToException();
        if (gitRef is not null && (gitRef.StartsWith('-') || gitRef.Any(c => char.IsControl(c) || c == ' ') || gitRef.Contains("..", StringComparison.Ordinal) || gitRef.Length > 255))
            throw ReshError.Usage($"`{gitRef}` is not a valid git branch, tag or commit.", "Give a branch or tag name after #, e.g. git+https://host/p.git#v1.2.0.").ToException();
        return (s, gitRef);
    }

    public static async Task<PluginFetch> FetchAsync(VerbContext ctx, string from)
    {
        var (url, gitRef) = Parse(from);
        var (plain, user, password) = GitUrl.Split(url, "from");
        var work = PluginArchives.WorkDir();
        try
        {
            var dir = Path.Combine(work.Path, "repo");
            using var auth = GitAuth.From(ctx, user, password);
            // As for archives: a credential never goes over a clear-text transport (git would send it as Basic auth).
            if (auth.HasToken && !plain.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                throw ReshError.Usage($"token= (or a password in the URL) is sent only over https, and `{GitUrl.Display(url)}` is not https.",
                    "Use the repository's https:// URL (or ssh:// with ssh_key=).").ToException();
            // Bounded like an archive: a watcher measures the clone while git writes it and stops git past the bounds.
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            (long Files, long Bytes)? over = null;
            var watcher = Task.Run(async () =>
            {
                while (!bound.IsCancellationRequested)
                {
                    try { await Task.Delay(200, bound.Token).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                    var seen = PluginArchives.Measure(work.Path);
                    if (seen.Files > PluginArchives.MaxFiles || seen.Bytes > PluginArchives.MaxExtractedBytes)
                    {
                        over = seen;
                        bound.Cancel();
                        return;
                    }
                }
            });
            void CheckBound()
            {
                if (over is { } o) throw PluginArchives.TooLarge(GitUrl.Display(url), o.Files, o.Bytes);
            }
            var safety = new GitOptions { Auth = auth, Config = ["protocol.ext.allow=never", "protocol.fd.allow=never", "submodule.recurse=false", "core.symlinks=true"], Cancellation = bound.Token };
            try
            {
            var isHash = gitRef is { Length: 40 or 64 } && gitRef.All(char.IsAsciiHexDigit); // a full commit id: fetched by id
            if (!isHash)
            {
                var args = new List<string> { "clone", "--quiet", "--depth=1", "--no-recurse-submodules", "--no-tags" };
                if (gitRef is not null) args.Add("--branch=" + gitRef);
                args.AddRange(["--", plain, dir]);
                var r = await GitCli.RunAsync(ctx, null, args, safety).ConfigureAwait(false);
                CheckBound();
                if (!r.Succeeded)
                {
                    var err = GitErrors.From(r, null, args);
                    if (gitRef is not null && r.Stderr.Contains("not found in upstream", StringComparison.Ordinal))
                        err = ReshError.NotFound($"The repository has no branch or tag `{gitRef}`.", "Check the #REF part of the URL: a branch, a tag, or a full 40-character commit id.", err.Details);
                    throw err.ToException();
                }
            }
            else
            {
                await GitCli.CheckedAsync(ctx, null, ["init", "--quiet", "--", dir], safety).ConfigureAwait(false);
                await GitCli.CheckedAsync(ctx, dir, ["remote", "add", "origin", "--", plain], safety).ConfigureAwait(false);
                var fetch = await GitCli.RunAsync(ctx, dir, ["fetch", "--quiet", "--depth=1", "--no-recurse-submodules", "origin", "--end-of-options", gitRef!], safety).ConfigureAwait(false);
                CheckBound();
                if (!fetch.Succeeded)
                {
                    var err = GitErrors.From(fetch, null, ["fetch", "origin", gitRef!]);
                    throw (fetch.Stderr.Contains("remote ref", StringComparison.Ordinal) || fetch.Stderr.Contains("not our ref", StringComparison.Ordinal)
                        ? ReshError.NotFound($"The repository has no commit {gitRef}, or does not serve commits by id.", "Name a branch or tag after # instead.", err.Details)
                        : err).ToException();
                }
                await GitCli.CheckedAsync(ctx, dir, ["checkout", "--quiet", "--detach", "FETCH_HEAD"], safety).ConfigureAwait(false);
            }
            }
            catch (OperationCanceledException) when (over is not null) { CheckBound(); throw; }
            finally
            {
                // The token is needed by the clone or fetch only: its file is wiped now, not when the install ends (s36 attacker #11).
                auth.Dispose();
                bound.Cancel();
                await watcher.ConfigureAwait(false);
            }
            CheckBound();
            var commit = await GitCli.HeadAsync(ctx, dir).ConfigureAwait(false);
            Directory.Delete(Path.Combine(dir, ".git"), recursive: true);
            var tree = PluginArchives.Measure(dir);
            if (tree.Files > PluginArchives.MaxFiles || tree.Bytes > PluginArchives.MaxExtractedBytes) throw PluginArchives.TooLarge(GitUrl.Display(url), tree.Files, tree.Bytes);
            var root = PluginArchives.PluginRoot(dir, GitUrl.Display(url));
            var source = new JsonObject
            {
                ["kind"] = "git",
                ["from"] = GitUrl.Display(from),
                ["url"] = GitUrl.Display(plain),
                ["ref"] = gitRef,
                ["commit"] = commit,
            };
            return new PluginFetch(root, source, null, null, work);
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }
}
