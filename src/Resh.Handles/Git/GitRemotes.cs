using Resh.Core.Execution;

namespace Resh.Handles.Git;

/// <summary>The remotes configured in a repository, read from `git config -z` (URLs as stored; callers mask them).</summary>
public static class GitRemotes
{
    public static async Task<List<(string Name, string? Url, string? PushUrl)>> ListAsync(VerbContext ctx, string path)
    {
        var r = await Git.RunAsync(ctx, path, ["config", "-z", "--get-regexp", @"^remote\..*\.(url|pushurl)$"]).ConfigureAwait(false);
        if (!r.Succeeded && r.ExitCode != 1) throw GitErrors.From(r, path, ["config", "--get-regexp", "remote"]).ToException();
        var map = new Dictionary<string, (string? Url, string? Push)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var rec in Git.Records(r.Stdout))
        {
            var nl = rec.IndexOf('\n');
            if (nl < 0) continue;
            var key = rec[..nl];
            var value = rec[(nl + 1)..];
            var last = key.LastIndexOf('.');
            var name = key["remote.".Length..last];
            var field = key[(last + 1)..];
            if (!map.TryGetValue(name, out var cur)) { order.Add(name); cur = (null, null); }
            map[name] = field == "url" ? (cur.Url ?? value, cur.Push) : (cur.Url, cur.Push ?? value);
        }
        return order.Select(n => (n, map[n].Url, map[n].Push)).ToList();
    }
}
