using System.Globalization;
using System.Net;

namespace Resh.Core.Platform;

/// <summary>
/// What resolv.conf(5) tells the C library: the name servers (in order, at most three: glibc's MAXNS), the search
/// list (the last search or domain line wins) and the timeout, attempts and ndots options (glibc's bounds applied).
/// </summary>
public sealed record ResolverConfig(IReadOnlyList<IPAddress> Nameservers, IReadOnlyList<string> Search, int Timeout, int Attempts, int Ndots)
{
    /// <summary>The C library's defaults: 5 s per try, 2 tries, ndots 1.</summary>
    public static readonly ResolverConfig Empty = new([], [], 5, 2, 1);
}

/// <summary>
/// The one reader of /etc/resolv.conf (system.network shows it, dns:// asks its servers). It reads as glibc's
/// res_init does: a line starting with # or ; is a comment; a nameserver's address ends at whitespace, # or ;
/// and must be an IP address (an IPv6 one may carry a %zone); duplicates are dropped; `options timeout:N
/// attempts:N ndots:N` are clamped to glibc's limits (30, 5, 15).
/// </summary>
public static class ResolvConf
{
    public const string Path = "/etc/resolv.conf";
    public const int MaxNameservers = 3;

    public static ResolverConfig Parse(string text)
    {
        var servers = new List<IPAddress>();
        var search = new List<string>();
        int timeout = ResolverConfig.Empty.Timeout, attempts = ResolverConfig.Empty.Attempts, ndots = ResolverConfig.Empty.Ndots;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            var words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (words[0])
            {
                case "nameserver" when words.Length > 1:
                    var address = words[1];
                    var cut = address.IndexOfAny(['#', ';']);
                    if (cut >= 0) address = address[..cut];
                    if (servers.Count < MaxNameservers && IPAddress.TryParse(address, out var ip) && !servers.Contains(ip)) servers.Add(ip);
                    break;
                case "search" or "domain":
                    search.Clear();
                    search.AddRange(words.Skip(1).TakeWhile(w => w[0] is not '#' and not ';'));
                    break;
                case "options":
                    foreach (var option in words.Skip(1))
                    {
                        if (Option(option, "timeout:") is { } t) timeout = Math.Clamp(t, 1, 30);
                        else if (Option(option, "attempts:") is { } a) attempts = Math.Clamp(a, 1, 5);
                        else if (Option(option, "ndots:") is { } n) ndots = Math.Clamp(n, 0, 15);
                    }
                    break;
            }
        }
        return new ResolverConfig(servers, search, timeout, attempts, ndots);
    }

    static int? Option(string word, string prefix) =>
        word.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(word.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
}
