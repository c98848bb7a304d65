using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// The canonical spelling of a target's endpoint (`[user[:password]@]host[:port]` before the first `/`, `?` or `#`),
/// so that a pattern written for one spelling holds for all: the host case-folded without a trailing dot, IPv4 in any
/// form inet_aton reads (127.1, 2130706433, 0x7f.1, 0177.0.0.1) as a dotted quad, IPv6 compressed (an IPv4-mapped
/// address as IPv4), the port without leading zeros. <see cref="Canonical"/> leaves the user and password out;
/// <see cref="WithUser"/> keeps the user (a deny pattern may name it), never the password. A host that reaches this
/// machine's loopback (localhost, *.localhost, 127.0.0.0/8, ::1, 0.0.0.0, ::; an IPv6 zone id dropped) also has the other loopback spellings as
/// <see cref="Loopback"/> forms, for deny patterns.
/// </summary>
public sealed record McpEndpoint(string Canonical, string WithUser, IReadOnlyList<string> Loopback)
{
    static readonly string[] LoopbackHosts = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "[::]"];

    public static McpEndpoint? Parse(string body)
    {
        var end = body.AsSpan().IndexOfAny('/', '?', '#');
        var authority = end < 0 ? body : body[..end];
        var rest = end < 0 ? "" : body[end..];
        if (authority.Length == 0) return null;
        string? user = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = authority[..at];
            var colon = user.IndexOf(':');
            if (colon >= 0) user = user[..colon];
            authority = authority[(at + 1)..];
        }
        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0) return null;
            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.StartsWith(':')) port = after[1..];
            else if (after.Length > 0) return null;
        }
        else if (authority.Count(c => c == ':') > 1)
        {
            host = authority; // a bare IPv6 address
        }
        else
        {
            var colon = authority.IndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (colon >= 0) port = authority[(colon + 1)..];
        }
        var canonicalHost = Host(host);
        if (canonicalHost is null) return null;
        if (port is not null && port.Length > 0 && port.All(char.IsAsciiDigit) && port.Length <= 10
            && long.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            port = p.ToString(CultureInfo.InvariantCulture);
        var hostPort = port is null ? canonicalHost : canonicalHost + ":" + port;
        var loopback = new List<string>();
        if (IsLoopback(canonicalHost))
            foreach (var l in LoopbackHosts)
                if (l != canonicalHost) loopback.Add((port is null ? l : l + ":" + port) + rest);
        return new McpEndpoint(hostPort + rest, user is null ? hostPort + rest : user + "@" + hostPort + rest, loopback);
    }

    /// <summary>
    /// A canonical host that reaches this machine's loopback: localhost and *.localhost, all of 127.0.0.0/8 (and so
    /// ::ffff:127.0.0.0/104, canonicalised to IPv4), ::1, and the any-addresses 0.0.0.0 and ::.
    /// </summary>
    public static bool IsLoopback(string canonicalHost) =>
        Array.IndexOf(LoopbackHosts, canonicalHost) >= 0 || canonicalHost.EndsWith(".localhost", StringComparison.Ordinal)
        || InetAton(canonicalHost) is { } v4 && v4.StartsWith("127.", StringComparison.Ordinal);

    /// <summary>The canonical host, or null when the text is no host at all (empty).</summary>
    public static string? Host(string host)
    {
        var h = host.TrimEnd('.').ToLowerInvariant();
        if (h.Length == 0) return null;
        if (InetAton(h) is { } v4) return v4;
        var bare = h.StartsWith('[') && h.EndsWith(']') ? h[1..^1] : h;
        // An IPv6 zone id (`fe80::1%eth0`, `::1%lo`, percent-escaped `%25lo`) picks the interface, not the address: drop it.
        if (bare.Contains(':') && bare.IndexOf('%') is var zone and > 0) bare = bare[..zone];
        if (bare.Contains(':') && IPAddress.TryParse(bare, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
            return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4().ToString() : "[" + ip + "]";
        return h;
    }

    /// <summary>An IPv4 address in any form inet_aton accepts (1 to 4 parts, each decimal, 0octal or 0xhex) as a dotted quad.</summary>
    public static string? InetAton(string text)
    {
        var parts = text.Split('.');
        if (parts.Length is < 1 or > 4) return null;
        var values = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (Part(parts[i]) is { } v) values[i] = v; else return null;
        long addr;
        switch (parts.Length)
        {
            case 1: addr = values[0]; if (addr > 0xFFFFFFFF) return null; break;
            case 2: if (values[0] > 255 || values[1] > 0xFFFFFF) return null; addr = values[0] << 24 | values[1]; break;
            case 3: if (values[0] > 255 || values[1] > 255 || values[2] > 0xFFFF) return null; addr = values[0] << 24 | values[1] << 16 | values[2]; break;
            default:
                if (values.Any(v => v > 255)) return null;
                addr = values[0] << 24 | values[1] << 16 | values[2] << 8 | values[3];
                break;
        }
        return $"{addr >> 24 & 255}.{addr >> 16 & 255}.{addr >> 8 & 255}.{addr & 255}";
    }

    static long? Part(string p)
    {
        if (p.Length == 0 || p.Length > 12) return null;
        if (p.StartsWith("0x", StringComparison.Ordinal))
            return p.Length > 2 && long.TryParse(p.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h) ? h : (p.Length == 2 ? 0 : null);
        if (!p.All(char.IsAsciiDigit)) return null;
        if (p.Length > 1 && p[0] == '0')
        {
            long o = 0;
            foreach (var c in p[1..]) { if (c > '7') return null; o = o * 8 + (c - '0'); }
            return o;
        }
        return long.Parse(p, CultureInfo.InvariantCulture);
    }
}
