using System.Net;
using System.Net.Sockets;
using Resh.Core.Errors;

namespace Resh.Handles.Dns;

/// <summary>Where a query goes: server= (IP, IP:PORT, [IPv6]:PORT or a host name) with port=, or the system's resolvers.</summary>
internal static class DnsServers
{
    public static IPEndPoint Parse(string spec, int? port)
    {
        var text = spec.Trim();
        string host = text;
        int? p = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0) throw Bad(spec, "the `[` of an IPv6 address is not closed");
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':')) throw Bad(spec, "only `:PORT` may follow `]`");
                p = PortOf(spec, rest[1..]);
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':');
            host = text[..colon];
            p = PortOf(spec, text[(colon + 1)..]);
        }
        if (p is not null && port is not null && p != port)
            throw new ReshException(ReshError.Usage($"server={spec} names port {p} and port={port} another.", "Give the port once."));
        var finalPort = p ?? port ?? 53;
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, finalPort);
        var name = DnsNames.Fqdn(host, "server name").TrimEnd('.');
        try
        {
            var addrs = global::System.Net.Dns.GetHostAddresses(name);
            var pick = addrs.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addrs.FirstOrDefault();
            if (pick is null) throw new ReshException(ReshError.NotFound($"The server name {name} has no address.", "Give the server's IP address."));
            return new IPEndPoint(pick, finalPort);
        }
        catch (SocketException e)
        {
            throw new ReshException(ReshError.NotFound($"The server name {name} does not resolve ({e.Message}).", "Give the server's IP address."));
        }
    }

    static int PortOf(string spec, string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p : throw Bad(spec, $"`{text}` is not a port (1-65535)");

    static ReshException Bad(string spec, string why) =>
        new(ReshError.Usage($"server={spec} is not a server address: {why}.", "Give IP, IP:PORT, [IPv6]:PORT or a host name, e.g. server=127.0.0.1:5353."));

    /// <summary>
    /// The system's name servers: the `nameserver` lines of /etc/resolv.conf, in order, at most three (glibc's MAXNS),
    /// loopback ones included, as dig and the libc resolver read them; port= applies to all. Never a public fallback.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> SystemResolvers(int? port, string path = "/etc/resolv.conf")
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReshException(ReshError.Unavailable($"No name server is configured: {path} cannot be read ({ExceptionTranslation.OneLine(e.Message)}).", "Give server=IP[:PORT]."));
        }
        var list = ParseResolvConf(lines, port ?? 53);
        if (list.Count == 0)
            throw new ReshException(ReshError.Unavailable($"No name server is configured ({path} lists none).", "Give server=IP[:PORT]."));
        return list;
    }

    /// <summary>The nameserver addresses of resolv.conf lines (comments with # or ;, an IPv6 zone after %), at most three.</summary>
    internal static List<IPEndPoint> ParseResolvConf(IEnumerable<string> lines, int port)
    {
        var list = new List<IPEndPoint>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || words[0] != "nameserver") continue;
            if (!IPAddress.TryParse(words[1], out var ip)) continue;
            var ep = new IPEndPoint(ip, port);
            if (!list.Contains(ep)) list.Add(ep);
            if (list.Count == 3) break;
        }
        return list;
    }

    public static string Show(IPEndPoint ep) => ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
}
