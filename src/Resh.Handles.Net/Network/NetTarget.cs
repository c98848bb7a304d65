using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Net.Network;

/// <summary>What a net:// target names: a host, a host and port, an interface or a prefix. Everything is checked
/// before it reaches a socket or an `ip` argv (a leading `-` would be read as an option).</summary>
internal static class NetTarget
{
    /// <summary>A host name or address literal: letters, digits, `.`, `-`, `_`, `:` (IPv6) and `%` (zone); no leading `-`.</summary>
    public static string Host(string text, string what = "host")
    {
        var host = text.Length > 2 && text[0] == '[' && text[^1] == ']' ? text[1..^1] : text;
        if (host.Length == 0)
            throw new ReshException(ReshError.Usage($"A {what} is required.", "Write it as the target: net://HOST.VERB (e.g. net://127.0.0.1.ping)."));
        if (host.Length > 253 || host[0] == '-' || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '%')))
            throw new ReshException(ReshError.Usage($"'{Show(text)}' is not a host name or an IP address.",
                "Use a name such as db01.example.com or an address such as 192.0.2.10 or [2001:db8::1].", new JsonObject { ["target"] = Show(text) }));
        return host;
    }

    /// <summary>HOST:PORT, [V6]:PORT; the port may also come from an argument.</summary>
    public static (string Host, int Port) HostPort(string text, long? portArg)
    {
        string hostPart = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close > 0)
            {
                hostPart = text[..(close + 1)];
                if (close + 1 < text.Length && text[close + 1] == ':') portText = text[(close + 2)..];
                else if (close + 1 != text.Length) hostPart = text;
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':');
            hostPart = text[..colon];
            portText = text[(colon + 1)..];
        }
        var host = Host(hostPart);
        int port;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                throw new ReshException(ReshError.Usage($"'{Show(portText)}' is not a port (1-65535).", "Write the target as HOST:PORT, e.g. net://127.0.0.1:5432.tcp."));
            if (portArg is { } p && p != port)
                throw new ReshException(ReshError.Usage($"The target names port {port} but port={p} was given.", "Give the port once."));
        }
        else if (portArg is { } p) port = (int)p;
        else throw new ReshException(ReshError.Usage($"No port given for {host}.", "Write the target as HOST:PORT (net://127.0.0.1:5432.tcp) or pass port=."));
        return (host, port);
    }

    /// <summary>Resolves a host to its addresses (literals without a lookup); the time spent is returned.</summary>
    public static async Task<(IPAddress[] Addresses, double Ms)> ResolveAsync(string host, string family, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        if (IPAddress.TryParse(host, out var literal) && (host.Contains(':') || host.Count(c => c == '.') == 3))
            return (Filter([literal], family, host), 0);
        IPAddress[] found;
        try { found = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false); }
        catch (SocketException e)
        {
            throw new ReshException(ReshError.NotFound($"Host {host} does not resolve ({e.Message}).",
                "Check the name, or give an address.", new JsonObject { ["host"] = host }));
        }
        return (Filter(found, family, host), sw.Elapsed.TotalMilliseconds);
    }

    static IPAddress[] Filter(IPAddress[] found, string family, string host)
    {
        var list = found.Where(a => family switch
        {
            "inet" => a.AddressFamily == AddressFamily.InterNetwork,
            "inet6" => a.AddressFamily == AddressFamily.InterNetworkV6,
            _ => true,
        }).ToArray();
        if (list.Length == 0)
            throw new ReshException(ReshError.NotFound($"Host {host} has no {(family == "inet6" ? "IPv6" : "IPv4")} address.",
                "Try family=all.", new JsonObject { ["host"] = host }));
        return list;
    }

    /// <summary>An interface name as the kernel allows it (1-15 bytes, no `/`, whitespace or `:`-free leading dash).</summary>
    public static string Interface(string text)
    {
        if (text.Length is 0 or > 15 || text is "." or ".." || text[0] == '-' ||
            text.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c) || c > '~'))
            throw new ReshException(ReshError.Usage($"'{Show(text)}' is not an interface name.",
                "Interface names are 1-15 characters without '/', ':' or spaces, e.g. net://eth0.interfaces.", new JsonObject { ["target"] = Show(text) }));
        return text;
    }

    public static string RequireInterface(VerbContext ctx)
    {
        if (ctx.Target.Length == 0)
            throw new ReshException(ReshError.Usage($"{ctx.Verb.Name} needs an interface.", $"Write it as the target: net://eth0.{ctx.Verb.Name}."));
        var name = Interface(ctx.Target);
        if (!Directory.Exists("/sys/class/net/" + name))
            throw new ReshException(ReshError.NotFound($"No interface named {name}.",
                $"Interfaces here: {string.Join(", ", Resh.Handles.Sys.SysNet.InterfaceNames())}.", new JsonObject { ["interface"] = name }));
        return name;
    }

    /// <summary>ADDRESS[/PREFIX] → the canonical "address/prefix" (a missing prefix is /32 or /128, as ip does).</summary>
    public static (IPAddress Address, int Prefix, string Cidr) Cidr(string text, string what)
    {
        var slash = text.IndexOf('/');
        var addrText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addrText, out var address) || !(addrText.Contains(':') || addrText.Count(c => c == '.') == 3) || addrText.Contains('%'))
            throw new ReshException(ReshError.Usage($"{what} '{Show(text)}' is not an IP address.", "Write ADDRESS/PREFIX, e.g. 192.0.2.10/24 or 2001:db8::1/64."));
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
            throw new ReshException(ReshError.Usage($"{what} '{Show(text)}' has a bad prefix length (0-{max}).", "Write ADDRESS/PREFIX, e.g. 192.0.2.10/24."));
        return (address, prefix, $"{address}/{prefix}");
    }

    /// <summary>A route destination: `default` or a prefix, normalised to the network address (as the kernel stores it).</summary>
    public static (string Text, string Family) Destination(string text)
    {
        if (text is "default" or "") return ("default", "inet");
        if (text is "default6") return ("default", "inet6");
        var (address, prefix, _) = Cidr(text, "Destination");
        var bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length * 8; i++)
            if (i >= prefix) bytes[i / 8] &= (byte)~(0x80 >> (i % 8));
        var network = new IPAddress(bytes);
        var family = address.AddressFamily == AddressFamily.InterNetwork ? "inet" : "inet6";
        var full = prefix == bytes.Length * 8;
        return (full ? network.ToString() : $"{network}/{prefix}", family);
    }

    /// <summary>A value from the command line shown in a message: control characters escaped, long values cut.</summary>
    public static string Show(string text)
    {
        var cut = text.Length > 80 && char.IsHighSurrogate(text[79]) ? 79 : 80; // never inside a surrogate pair
        var s = Resh.Core.Text.TerminalText.Escape(text.Length > 80 ? text[..cut] : text);
        return text.Length > 80 ? s + "…" : s;
    }
}
