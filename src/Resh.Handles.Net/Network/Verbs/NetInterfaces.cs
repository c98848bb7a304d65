using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Sys;

namespace Resh.Handles.Net.Network;

public static class NetInterfaces
{
    public static readonly VerbInfo Verb = VerbInfo.Define("interfaces", Effect.Read,
        "Interfaces: state, flags, MTU, MAC, addresses and traffic counters (ip -j addr and ip -s link in one answer).",
        [], () => NetJson.Default.NetInterfacesResult, Run, human: Human,
        examples: [new("net://.interfaces --format table", "Every interface, one line each."), new("net://lo.interfaces", "One interface.")],
        notes: "Read without a child process: links from /sys/class/net, addresses from getifaddrs(3) (netlink), counters from /proc/net/dev " +
               "(the same source as system://.network). Everything describes the network namespace resh runs in.",
        targetHelp: "An interface name, or empty for all.");

    static Outcome<NetInterfacesResult> Run(VerbContext ctx)
    {
        IReadOnlyList<string> names = ctx.Target.Length == 0 ? SysNet.InterfaceNames() : [NetTarget.RequireInterface(ctx)];
        var list = SystemNetwork.Collect(names, ctx.Warn).Interfaces;
        return new NetInterfacesResult(list.Count, list);
    }

    static string Human(NetInterfacesResult r)
    {
        var t = new TextColumns("NAME", "STATE", "MTU", "MAC", "RX", "TX", "ADDRESSES");
        foreach (var i in r.Interfaces)
            t.Add(i.Name, i.State, i.Mtu?.ToString(System.Globalization.CultureInfo.InvariantCulture), i.Mac,
                i.Counters is { } c ? SystemText.Size(c.RxBytes) : null, i.Counters is { } d ? SystemText.Size(d.TxBytes) : null,
                string.Join(" ", i.Addresses.Select(a => a.Cidr)));
        return t.Render();
    }
}
