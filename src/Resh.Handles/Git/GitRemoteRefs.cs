using Resh.Core.Execution;

namespace Resh.Handles.Git;

/// <summary>What a remote advertises (`git ls-remote --symref`), read without fetching anything.</summary>
public static class GitRemoteRefs
{
    public static async Task<(string? Head, List<GitRemoteRef> Refs)> ListAsync(VerbContext ctx, string? repo, string remote, GitAuth auth, IReadOnlyList<string>? patterns = null)
    {
        var args = new List<string> { "ls-remote", "--symref", "--end-of-options", remote };
        if (patterns is not null) args.AddRange(patterns);
        var r = await Git.CheckedAsync(ctx, repo, args, new GitOptions { Auth = auth }).ConfigureAwait(false);
        string? head = null;
        var byName = new Dictionary<string, GitRemoteRef>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t');
            if (tab < 0) continue;
            var left = line[..tab];
            var name = line[(tab + 1)..];
            if (left.StartsWith("ref: ", StringComparison.Ordinal))
            {
                if (name == "HEAD") head = left[5..].StartsWith("refs/heads/", StringComparison.Ordinal) ? left[16..] : left[5..];
                continue;
            }
            if (name.EndsWith("^{}", StringComparison.Ordinal))
            {
                var baseName = name[..^3];
                if (byName.TryGetValue(baseName, out var tag)) byName[baseName] = tag with { Peeled = left };
                continue;
            }
            byName[name] = new GitRemoteRef(name, left, null);
            order.Add(name);
        }
        return (head, order.Select(n => byName[n]).ToList());
    }

    /// <summary>The commit a ref name means on the remote: a branch, then a tag (peeled), then HEAD; null when none matches.</summary>
    public static string? Find(List<GitRemoteRef> refs, string name)
    {
        foreach (var full in new[] { name, "refs/heads/" + name, "refs/tags/" + name })
        {
            var hit = refs.FirstOrDefault(r => r.Name == full);
            if (hit is not null) return hit.Peeled ?? hit.Commit;
        }
        return null;
    }
}
