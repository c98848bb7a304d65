using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

/// <summary>net:// — interfaces, addresses, links, routes and neighbours of this network namespace, and reachability checks.</summary>
public static class NetHandle
{
    public static HandleInfo Create() => new("net",
        "Networking: interfaces, addresses, links, routes, neighbours, ping, TCP checks and waits, port scans, traceroute, listening sockets (ip, ping, nc, ss in one grammar).",
        "Depends on the verb: an interface (net://eth0.addr.add), a host (net://10.0.0.1.ping), HOST:PORT (net://127.0.0.1:5432.wait), a route destination " +
        "(net://198.51.100.0/24.route.add), or empty (net://.interfaces).",
        [
            NetInterfaces.Verb,
            NetAddrAdd.Verb,
            NetAddrDelete.Verb,
            NetLinkSet.Verb,
            NetRoutesList.Verb,
            NetRouteGet.Verb,
            NetRouteAdd.Verb,
            NetRouteDelete.Verb,
            NetNeighbors.Verb,
            NetPing.Verb,
            NetTcp.Verb,
            NetWait.Verb,
            NetScan.Verb,
            NetTraceroute.Verb,
            NetListening.Verb,
        ])
    {
        Notes = "Everything describes the network namespace resh runs in (ip netns exec NAME resh ... for another). Reads use getifaddrs/netlink, /sys, /proc " +
                "and iproute2's JSON output (ip -j), never its text. Changes go through ip with argv arrays after every value was checked " +
                "(a leading '-' or a control character is refused); they are idempotent (changed: false when already as asked), honour --dry-run, " +
                "and without root or CAP_NET_ADMIN are `permission_denied`.",
    };
}
