using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Git;

/// <summary>Clones a remote into a path that is missing or an empty directory (shared by clone and ensure).</summary>
public static class GitCloner
{
    /// <summary>True when a clone may go to <paramref name="path"/>: it does not exist, or is an empty directory.</summary>
    public static bool Free(string path) =>
        !Path.Exists(path) || (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any());

    public static async Task CloneAsync(VerbContext ctx, string url, string path, string? branch, long? depth, bool submodules, GitAuth auth)
    {
        var args = new List<string> { "clone", "--quiet" };
        if (branch is not null) args.Add("--branch=" + branch);
        if (depth is { } d) args.Add("--depth=" + d);
        if (submodules) { args.Add("--recurse-submodules"); if (depth is not null) args.Add("--shallow-submodules"); }
        args.Add("--");
        args.Add(url);
        args.Add(path);
        var existed = Directory.Exists(path);
        var r = await Git.RunAsync(ctx, null, args, new GitOptions { Auth = auth }).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            // git removes what it created; an empty directory we were given stays as it was.
            if (!existed && Directory.Exists(path)) try { Directory.Delete(path, recursive: true); } catch (IOException) { }
            var err = GitErrors.From(r, null, args);
            if (branch is not null && r.Stderr.Contains("not found in upstream", StringComparison.Ordinal))
                err = ReshError.NotFound($"The remote has no branch or tag `{branch}`.", "List what it has: " + Resh.Core.Grammar.StageText.Command(ctx.Handle, "", "ls-remote", "url=" + GitUrl.Display(url)), err.Details);
            throw err.ToException();
        }
    }
}
