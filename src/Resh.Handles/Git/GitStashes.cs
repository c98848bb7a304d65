using Resh.Core.Execution;

namespace Resh.Handles.Git;

/// <summary>The stash list (`git stash list -z` with a NUL-separated format).</summary>
public static class GitStashes
{
    public static async Task<List<GitStashEntry>> ListAsync(VerbContext ctx, string path)
    {
        var r = await Git.CheckedAsync(ctx, path, ["stash", "list", "-z", "--format=%gd%x00%H%x00%gs%x00%cI"]).ConfigureAwait(false);
        var parts = r.Stdout.Split('\0');
        var list = new List<GitStashEntry>();
        for (int i = 0; i + 4 <= parts.Length; i += 4)
        {
            var name = parts[i].TrimStart('\n');
            if (name.Length == 0) break;
            var open = name.IndexOf('{');
            var index = open > 0 && int.TryParse(name[(open + 1)..^1], out var n) ? n : list.Count;
            list.Add(new GitStashEntry(name, index, parts[i + 1], parts[i + 2], parts[i + 3]));
        }
        return list;
    }
}
