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

    /// <summary>The system's name servers (/etc/resolv.conf), with port= applied; never a public fallback.</summary>
    public static IReadOnlyList<IPEndPoint> SystemResolvers(int? port)
    {
        var list = global::DnsClient.NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false)
            .Select(n => new IPEndPoint(IPAddress.Parse(n.Address), port ?? n.Port)).ToList();
        if (list.Count == 0)
            throw new ReshException(ReshError.Unavailable("No name server is configured (/etc/resolv.conf lists none).", "Give server=IP[:PORT]."));
        return list;
    }

    public static string Show(IPEndPoint ep) => ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
}
