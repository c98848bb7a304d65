using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Git;

/// <summary>Facts about an existing working tree that write verbs check before they act.</summary>
public static class GitTree
{
    /// <summary>
    /// The tree's top level must be the path itself: a directory inside another repository (or no repository)
    /// is `conflict` for ensure and clone, never a reason to act on the enclosing repository.
    /// </summary>
    public static async Task<bool> IsTopLevelAsync(VerbContext ctx, string path)
    {
        var r = await Git.RunAsync(ctx, path, ["rev-parse", "--show-toplevel"]).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (r.Stderr.Contains("dubious ownership", StringComparison.Ordinal)) throw GitErrors.From(r, path, ["rev-parse", "--show-toplevel"]).ToException();
            return false;
        }
        return Path.GetFullPath(r.Stdout.TrimEnd('\n')).TrimEnd('/') == path;
    }

    /// <summary>Tracked paths with changes (staged, unstaged or conflicted); untracked files do not count.</summary>
    public static async Task<List<string>> DirtyAsync(VerbContext ctx, string path)
    {
        var r = await Git.CheckedAsync(ctx, path, ["status", "--porcelain=v2", "-z", "--untracked-files=no"]).ConfigureAwait(false);
        var s = GitStatusParser.Parse(path, r.Stdout);
        return s.Staged.Select(c => c.Path).Concat(s.Unstaged.Select(c => c.Path)).Concat(s.Conflicted.Select(c => c.Path)).Distinct().ToList();
    }

    public static ReshError DirtyError(string path, List<string> dirty, string verb) =>
        ReshError.Conflict($"{path} has uncommitted changes to {dirty.Count} tracked path(s); {verb} would overwrite them.",
            "Commit or stash them (git://PATH.commit, .stash.push), or pass force=true to discard them.",
            new System.Text.Json.Nodes.JsonObject { ["paths"] = new System.Text.Json.Nodes.JsonArray(dirty.Take(50).Select(p => (System.Text.Json.Nodes.JsonNode?)p).ToArray()) });
}
