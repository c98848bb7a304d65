using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>
/// A rule as resh asks for it: the one model every backend renders. Fields are normalized on creation
/// (ports sorted, networks in CIDR form), so the same request always gets the same <see cref="Id"/>
/// and "allow port 443" twice is one rule.
/// </summary>
public sealed record RuleSpec(string Family, string Direction, string? Proto, IReadOnlyList<string> Ports, string? Source, string? Destination,
    string? Iface, string Action, string? RateLimit, bool Log, string? Comment)
{
    public const string Marker = "resh:";

    /// <summary>r + 8 hex digits of the normalized match and verdict (not the comment).</summary>
    public string Id
    {
        get
        {
            var key = $"v1|{Direction}|{Family}|{Proto ?? "any"}|{string.Join(',', Ports)}|{Source ?? "*"}|{Destination ?? "*"}|{Iface ?? "*"}|{Action}|{RateLimit ?? "-"}|{(Log ? 1 : 0)}";
            return "r" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8].ToLowerInvariant();
        }
    }

    /// <summary>The comment stored with the rule: the marker and id, then the user's comment.</summary>
    public string MarkedComment => Comment is null ? Marker + Id : $"{Marker}{Id} {Comment}";

    /// <summary>One line for diffs and logs: `in tcp 443 from 10.0.0.0/8 accept # web`.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(Direction).Append(' ').Append(Family == "any" ? "" : Family + " ").Append(Proto ?? "any");
        if (Ports.Count > 0) sb.Append(" port ").Append(string.Join(',', Ports));
        sb.Append(" from ").Append(Source ?? "any").Append(" to ").Append(Destination ?? "any");
        if (Iface is not null) sb.Append(" on ").Append(Iface);
        if (RateLimit is not null) sb.Append(" limit ").Append(RateLimit);
        if (Log) sb.Append(" log");
        sb.Append(' ').Append(Action);
        if (Comment is not null) sb.Append(" # ").Append(Comment);
        return sb.ToString();
    }

    public FwRule ToRule(string backend, int position, string? handle = null, string? native = null, string? table = null, string? chain = null) =>
        new(Id, true, backend, Family, table, chain, Direction, Proto, Ports, Source, Destination, Iface, Action, RateLimit, Log, Comment,
            null, null, position, handle, native, false);

    public static RuleSpec? FromRule(FwRule r) => r.Managed && r.Action is not null && !r.Partial
        ? new RuleSpec(r.Family, r.Direction, r.Proto, r.Ports, r.Source, r.Destination, r.Iface, r.Action, r.RateLimit, r.Log, r.Comment)
        : null;

    /// <summary>Builds and validates a spec; every value is checked here, before any backend sees it.</summary>
    public static RuleSpec Create(string? family, string? direction, string? proto, IEnumerable<string> ports, string? source, string? destination,
        string? iface, string action, string? rateLimit, bool log, string? comment)
    {
        direction = (direction ?? "in").ToLowerInvariant();
        if (direction is not ("in" or "out" or "forward")) throw Bad($"direction must be in, out or forward, not `{Show(direction)}`.");
        action = action.ToLowerInvariant() switch { "allow" or "accept" => "accept", "deny" or "drop" => "drop", "reject" => "reject", var a => throw Bad($"action must be accept, drop or reject, not `{Show(a)}`.") };
        proto = proto?.ToLowerInvariant();
        if (proto is "any" or "all" or "") proto = null;
        if (proto is not (null or "tcp" or "udp" or "icmp" or "icmpv6")) throw Bad($"proto must be tcp, udp, icmp, icmpv6 or any, not `{Show(proto)}`.");
        var normPorts = NormalizePorts(ports);
        if (normPorts.Count > 0 && proto is "icmp" or "icmpv6") throw Bad("ICMP has no ports.");
        var src = NormalizeAddress(source, "from");
        var dst = NormalizeAddress(destination, "to");
        family = (family ?? "any").ToLowerInvariant() switch { "any" or "inet" or "" => "any", "ipv4" or "ip" or "inet4" or "4" => "ipv4", "ipv6" or "ip6" or "inet6" or "6" => "ipv6", var f => throw Bad($"family must be any, ipv4 or ipv6, not `{Show(f)}`.") };
        foreach (var addr in new[] { src, dst })
        {
            if (addr is null) continue;
            var fam = addr.Contains(':') ? "ipv6" : "ipv4";
            if (family == "any") family = fam;
            else if (family != fam) throw Bad($"{addr} is an {fam} address but the rule is for {family}.");
        }
        if (proto == "icmp") { if (family == "ipv6") throw Bad("icmp is IPv4; use proto=icmpv6."); family = "ipv4"; }
        if (proto == "icmpv6") { if (family == "ipv4") throw Bad("icmpv6 is IPv6; use proto=icmp."); family = "ipv6"; }
        if (iface is not null && (iface.Length is 0 or > 15 || !iface.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@' or '+')))
            throw Bad($"`{Show(iface)}` is not an interface name.");
        return new RuleSpec(family, direction, proto, normPorts, src, dst, iface, action, NormalizeRate(rateLimit), log, NormalizeComment(comment));
    }

    public static List<string> NormalizePorts(IEnumerable<string> ports)
    {
        var list = new List<(int Lo, int Hi)>();
        foreach (var raw in ports)
        {
            foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var bits = part.Split(['-', ':'], 2);
                if (!TryPort(bits[0], out var lo) || (bits.Length == 2 && !TryPort(bits[1], out _)))
                    throw Bad($"`{Show(part)}` is not a port (1-65535) or range (8000-8100).");
                var hi = bits.Length == 2 ? int.Parse(bits[1], CultureInfo.InvariantCulture) : lo;
                if (hi < lo) throw Bad($"Port range {part} is backwards.");
                if (!list.Contains((lo, hi))) list.Add((lo, hi));
            }
        }
        if (list.Count > 15) throw Bad("At most 15 ports or ranges per rule.");
        list.Sort();
        return list.Select(p => p.Lo == p.Hi ? p.Lo.ToString(CultureInfo.InvariantCulture) : $"{p.Lo}-{p.Hi}").ToList();
    }

    static bool TryPort(string s, out int port) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    public static string? NormalizeAddress(string? value, string field)
    {
        if (value is null || value is "any" or "") return null;
        var v = value.Trim();
        var slash = v.IndexOf('/');
        if (!IPAddress.TryParse(slash < 0 ? v : v[..slash], out var ip) || v.Contains('%'))
            throw Bad($"{field} must be an IP address or network (10.0.0.0/8, 2001:db8::/32), not `{Show(value)}`.");
        var max = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        var len = max;
        if (slash >= 0 && (!int.TryParse(v[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out len) || len < 0 || len > max))
            throw Bad($"`{Show(value)}` has a bad prefix length.");
        if (ip.IsIPv4MappedToIPv6) throw Bad($"Write IPv4 addresses as IPv4, not `{Show(value)}`.");
        var net = new IPNetwork(Mask(ip, len), len);
        return len == max ? net.BaseAddress.ToString() : net.ToString();
    }

    static IPAddress Mask(IPAddress ip, int len)
    {
        var b = ip.GetAddressBytes();
        for (int i = 0; i < b.Length; i++)
        {
            var bits = Math.Clamp(len - i * 8, 0, 8);
            b[i] &= (byte)(0xff << (8 - bits));
        }
        return new IPAddress(b);
    }

    static string? NormalizeRate(string? rate)
    {
        if (rate is null) return null;
        var parts = rate.Trim().ToLowerInvariant().Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1_000_000)
            throw Bad($"rate_limit must be N/second, N/minute, N/hour or N/day, not `{Show(rate)}`.");
        var unit = parts[1] switch
        {
            "s" or "sec" or "second" => "second",
            "m" or "min" or "minute" => "minute",
            "h" or "hour" => "hour",
            "d" or "day" => "day",
            _ => throw Bad($"rate_limit must be N/second, N/minute, N/hour or N/day, not `{Show(rate)}`."),
        };
        return $"{n}/{unit}";
    }

    static string? NormalizeComment(string? comment)
    {
        if (comment is null) return null;
        var c = comment.Trim();
        if (c.Length == 0) return null;
        if (c.Length > 64 || c.Any(ch => ch < ' ' || ch > '~' || ch is '"' or '\'' or '\\' or '`' or '$'))
            throw Bad("comment must be at most 64 printable ASCII characters without quotes, backslashes, '`' or '$'.");
        return c;
    }

    /// <summary>Reads the marker of a stored comment: (id, user comment), or null for rules resh did not add.</summary>
    public static (string Id, string? Comment)? ParseMarker(string? stored)
    {
        if (stored is null || !stored.StartsWith(Marker, StringComparison.Ordinal)) return null;
        var rest = stored[Marker.Length..];
        var sp = rest.IndexOf(' ');
        var id = sp < 0 ? rest : rest[..sp];
        if (id.Length != 9 || id[0] != 'r' || !id[1..].All(char.IsAsciiHexDigitLower)) return null;
        return (id, sp < 0 ? null : rest[(sp + 1)..]);
    }

    static ReshException Bad(string message) => ReshError.Usage(message, null).ToException();

    static string Show(string? s)
    {
        if (s is null) return "";
        var c = s.Length > 40 ? s[..40] + "…" : s;
        return new string(c.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
    }

    /// <summary>True when the rule would match a TCP connection from <paramref name="client"/> to <paramref name="port"/> (interfaces assumed to match).</summary>
    public bool MatchesTcp(IPAddress client, IPAddress? server, int port)
    {
        if (Direction != "in") return false;
        if (Proto is not (null or "tcp")) return false;
        var fam = client.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
        if (Family != "any" && Family != fam) return false;
        if (Ports.Count > 0 && !Ports.Any(p => InRange(p, port))) return false;
        if (Source is not null && !Contains(Source, client)) return false;
        if (Destination is not null && (server is null || !Contains(Destination, server))) return false;
        return true;
    }

    /// <summary>
    /// True when an outbound rule would match the replies of that TCP session (server:port to the client's
    /// unknown port): only rules without a port can be known to match them.
    /// </summary>
    public bool MatchesTcpReply(IPAddress client, IPAddress? server)
    {
        if (Direction != "out") return false;
        if (Proto is not (null or "tcp")) return false;
        var fam = client.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
        if (Family != "any" && Family != fam) return false;
        if (Ports.Count > 0) return false;
        if (Destination is not null && !Contains(Destination, client)) return false;
        if (Source is not null && (server is null || !Contains(Source, server))) return false;
        return true;
    }

    static bool InRange(string p, int port)
    {
        var dash = p.IndexOf('-');
        if (dash < 0) return int.Parse(p, CultureInfo.InvariantCulture) == port;
        return port >= int.Parse(p[..dash], CultureInfo.InvariantCulture) && port <= int.Parse(p[(dash + 1)..], CultureInfo.InvariantCulture);
    }

    static bool Contains(string network, IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return network.Contains('/') ? IPNetwork.Parse(network).Contains(ip) : IPAddress.Parse(network).Equals(ip);
    }
}
