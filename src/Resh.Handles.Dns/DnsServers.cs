using System.Net;
using System.Net.Sockets;
using Resh.Core.Errors;
using Resh.Core.Platform;

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
    public static IReadOnlyList<IPEndPoint> SystemResolvers(int? port, string path = ResolvConf.Path) =>
        Endpoints(SystemConfig(path), port ?? 53, path);

    /// <summary>resolv.conf as the C library reads it (Resh.Core's one reader); unavailable when it cannot be read.</summary>
    public static ResolverConfig SystemConfig(string path = ResolvConf.Path)
    {
        try { return ResolvConf.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReshException(ReshError.Unavailable($"No name server is configured: {path} cannot be read ({ExceptionTranslation.OneLine(e.Message)}).", "Give server=IP[:PORT].") with { Transient = false });
        }
    }

    internal static IReadOnlyList<IPEndPoint> Endpoints(ResolverConfig config, int port, string path = ResolvConf.Path) =>
        config.Nameservers.Count > 0
            ? config.Nameservers.Select(ip => new IPEndPoint(ip, port)).ToList()
            : throw new ReshException(ReshError.Unavailable($"No name server is configured ({path} lists none).", "Give server=IP[:PORT].") with { Transient = false });

    public static string Show(IPEndPoint ep) => ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
}
