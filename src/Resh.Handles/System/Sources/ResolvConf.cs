namespace Resh.Handles.Sys;

/// <summary>resolv.conf(5): the name servers and search domains the C library uses.</summary>
public sealed record ResolverConfig(IReadOnlyList<string> Nameservers, IReadOnlyList<string> Search);

public static class ResolvConf
{
    public const string Path = "/etc/resolv.conf";

    public static ResolverConfig Parse(string text)
    {
        var servers = new List<string>();
        var search = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            var f = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f[0] == "nameserver" && f.Length > 1) servers.Add(f[1]);
            // The last search or domain line wins, as in the resolver.
            else if (f[0] is "search" or "domain") { search.Clear(); search.AddRange(f.Skip(1)); }
        }
        return new ResolverConfig(servers, search);
    }
}
