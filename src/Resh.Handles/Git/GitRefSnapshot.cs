using Resh.Core.Execution;

namespace Resh.Handles.Git;

/// <summary>Every ref and the object it names (`for-each-ref`), to say truthfully what a fetch changed.</summary>
public static class GitRefSnapshot
{
    public static async Task<Dictionary<string, string>> TakeAsync(VerbContext ctx, string repo)
    {
        var r = await Git.CheckedAsync(ctx, repo, ["for-each-ref", "--format=%(objectname) %(refname)"]).ConfigureAwait(false);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var sp = line.IndexOf(' ');
            if (sp > 0) map[line[(sp + 1)..]] = line[..sp];
        }
        return map;
    }

    public static List<GitRefUpdate> Compare(Dictionary<string, string> before, Dictionary<string, string> after)
    {
        var list = new List<GitRefUpdate>();
        foreach (var (name, now) in after)
        {
            if (!before.TryGetValue(name, out var old)) list.Add(new GitRefUpdate(name, null, now, "new", null));
            else if (old != now) list.Add(new GitRefUpdate(name, old, now, "updated", null));
        }
        foreach (var (name, old) in before)
            if (!after.ContainsKey(name)) list.Add(new GitRefUpdate(name, old, null, "deleted", null));
        return list.OrderBy(u => u.Ref, StringComparer.Ordinal).ToList();
    }
}
