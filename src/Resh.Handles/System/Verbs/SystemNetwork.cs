using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Sys;

public static class SystemNetwork
{
    static readonly Arg<IReadOnlyList<string>> Interface = Arg.List("interface", "Only these interfaces.", examples: ["eth0", "eth0,lo"], aliases: ["iface"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("network", Effect.Read,
        "Network interfaces: state, MAC, MTU, addresses, traffic counters; default routes and DNS servers.",
        [Interface], () => SystemJson.Default.NetworkResult, Run, human: Human,
        examples: [new("system://.network", "Every interface of this network namespace."), new("'system://.network(interface=eth0)'", "One interface.")],
        notes: "Links from /sys/class/net, addresses from getifaddrs(3), counters from /proc/net/dev, default routes from /proc/net/route " +
               "and /proc/net/ipv6_route, resolvers from /etc/resolv.conf. Everything describes the network namespace resh runs in.");

    static Outcome<NetworkResult> Run(VerbContext ctx)
    {
        var wanted = ctx.Get(Interface);
        var names = SysNet.InterfaceNames();
        if (names.Count == 0)
            return ReshError.Unavailable("/sys/class/net cannot be read.", "Is sysfs mounted?", new JsonObject { ["path"] = SysNet.ClassDir });
        var missing = wanted.Where(w => !names.Contains(w)).ToList();
        if (missing.Count > 0)
            return ReshError.NotFound($"No interface named {string.Join(", ", missing)}.", $"Interfaces here: {string.Join(", ", names)}.",
                new JsonObject { ["missing"] = new JsonArray(missing.Select(m => (JsonNode?)m).ToArray()) });
        return Collect(wanted.Count > 0 ? wanted : names, ctx.Warn);
    }

    public static NetworkResult Collect(IReadOnlyList<string> names, Action<string> warn)
    {
        var addresses = Addresses(warn);
        var counters = ProcNetDev.Parse(ProcFile.ReadText(ProcNetDev.Path) ?? "");
        var interfaces = new List<NetInterface>(names.Count);
        foreach (var name in names)
        {
            var dev = SysNet.Read(name);
            var own = addresses.Where(a => a.Interface == name).Select(Describe).ToList();
            interfaces.Add(new NetInterface(dev.Name, dev.Index, dev.Type, dev.State, dev.Carrier, dev.Flags, dev.Mtu, dev.Mac, dev.SpeedMbps,
                dev.Duplex, dev.Driver, dev.Master, dev.Virtual, own, counters.GetValueOrDefault(name)));
        }
        var routes = NetRoutes.ParseIpv4(ProcFile.ReadText(NetRoutes.Ipv4Path) ?? "");
        routes.AddRange(NetRoutes.ParseIpv6(ProcFile.ReadText(NetRoutes.Ipv6Path) ?? ""));
        var resolver = ResolvConf.Parse(ProcFile.ReadText(ResolvConf.Path, 256 << 10) ?? "");
        return new NetworkResult(interfaces, routes, resolver.Nameservers.Select(ip => ip.ToString()).ToList(), resolver.Search);
    }

    /// <summary>Name, state, MAC and addresses of every interface, for system://.info.</summary>
    public static List<InfoInterface> Summaries(Action<string> warn)
    {
        var addresses = Addresses(warn);
        return SysNet.InterfaceNames().Select(name =>
        {
            var (state, mac) = SysNet.ReadBrief(name);
            return new InfoInterface(name, state, mac, addresses.Where(a => a.Interface == name).Select(a => $"{a.Address}/{a.PrefixLength}").ToList());
        }).ToList();
    }

    static List<InterfaceAddress> Addresses(Action<string> warn)
    {
        var addresses = IfAddrs.Read(out var errno);
        if (addresses is null) warn($"getifaddrs failed ({Resh.Core.Platform.Posix.StrError(errno)}); addresses are missing.");
        return addresses ?? [];
    }

    /// <summary>The table view: one line per interface (like ip -br), then routes and resolvers.</summary>
    static string Human(NetworkResult r)
    {
        var t = new TextColumns("NAME", "STATE", "MTU", "MAC", "RX", "TX", "ADDRESSES");
        foreach (var i in r.Interfaces)
            t.Add(i.Name, i.State, i.Mtu?.ToString(System.Globalization.CultureInfo.InvariantCulture), i.Mac,
                i.Counters is { } c ? SystemText.Size(c.RxBytes) : null, i.Counters is { } d ? SystemText.Size(d.TxBytes) : null,
                string.Join(" ", i.Addresses.Select(a => a.Cidr)));
        var sb = new System.Text.StringBuilder(t.Render());
        foreach (var route in r.DefaultRoutes)
            sb.Append("default ").Append(route.Gateway is null ? "" : "via " + route.Gateway + " ").Append("dev ").Append(route.Interface).Append('\n');
        if (r.DnsServers.Count > 0) sb.Append("dns ").Append(string.Join(" ", r.DnsServers)).Append('\n');
        if (r.DnsSearch.Count > 0) sb.Append("search ").Append(string.Join(" ", r.DnsSearch)).Append('\n');
        return sb.ToString();
    }

    static IpAddressInfo Describe(InterfaceAddress a)
    {
        var text = a.Address.ToString();
        return new IpAddressInfo(a.Family, text, a.PrefixLength, $"{text}/{a.PrefixLength}", Scope(a.Address),
            a.Broadcast?.ToString(), a.Peer?.ToString());
    }

    /// <summary>The scope an address has by its range (ip(8) shows the configured one, which matches for ordinary setups).</summary>
    public static string Scope(IPAddress ip)
    {
        if (IPAddress.IsLoopback(ip)) return "host";
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (ip.IsIPv6LinkLocal) return "link";
            if (ip.IsIPv6SiteLocal) return "site";
            return "global";
        }
        var b = ip.GetAddressBytes();
        return b[0] == 169 && b[1] == 254 ? "link" : "global";
    }
}
