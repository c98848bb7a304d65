using System.Globalization;
using System.Net;

namespace Resh.Handles.Sys;

/// <summary>A default route: the interface and the gateway (null for a direct, on-link default).</summary>
[System.ComponentModel.Description("A default route.")]
public sealed record DefaultRoute(
    [property: System.ComponentModel.Description("inet or inet6.")] string Family,
    string Interface,
    [property: System.ComponentModel.Description("Next hop; null for an on-link default.")] string? Gateway,
    long Metric);

/// <summary>Default routes from /proc/net/route (IPv4, little-endian hex) and /proc/net/ipv6_route.</summary>
public static class NetRoutes
{
    public const string Ipv4Path = "/proc/net/route", Ipv6Path = "/proc/net/ipv6_route";
    const int RTF_UP = 0x1, RTF_GATEWAY = 0x2, RTF_REJECT = 0x200;

    public static List<DefaultRoute> ParseIpv4(string text)
    {
        var routes = new List<DefaultRoute>();
        // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
        foreach (var line in text.Split('\n').Skip(1))
        {
            var f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || f[1] != "00000000" || f[7] != "00000000") continue;
            if (!int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) || (flags & RTF_UP) == 0) continue;
            string? gateway = null;
            if ((flags & RTF_GATEWAY) != 0 && uint.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gw))
                gateway = new IPAddress(gw).ToString(); // the kernel prints the address in host (little-endian) order
            long.TryParse(f[6], NumberStyles.None, CultureInfo.InvariantCulture, out var metric);
            routes.Add(new DefaultRoute("inet", f[0], gateway, metric));
        }
        return routes;
    }

    public static List<DefaultRoute> ParseIpv6(string text)
    {
        var routes = new List<DefaultRoute>();
        // dest dest_plen src src_plen next_hop metric refcnt use flags iface
        foreach (var line in text.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[0] != new string('0', 32) || f[1] != "00") continue;
            if (!int.TryParse(f[8], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) || (flags & RTF_UP) == 0) continue;
            if ((flags & RTF_REJECT) != 0) continue; // the kernel's unreachable placeholder default on lo
            string? gateway = null;
            if ((flags & RTF_GATEWAY) != 0 && f[4].Length == 32)
            {
                var bytes = Convert.FromHexString(f[4]);
                gateway = new IPAddress(bytes).ToString();
            }
            long.TryParse(f[5], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var metric);
            routes.Add(new DefaultRoute("inet6", f[9], gateway, metric));
        }
        return routes;
    }
}
