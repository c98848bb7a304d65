using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("Network interfaces of this network namespace, with addresses, counters, default routes and resolvers.")]
public sealed record NetworkResult(
    [property: Description("Every interface, sorted by name.")] IReadOnlyList<NetInterface> Interfaces,
    [property: Description("Default routes from /proc/net/route and /proc/net/ipv6_route.")] IReadOnlyList<DefaultRoute> DefaultRoutes,
    [property: Description("Name servers from /etc/resolv.conf.")] IReadOnlyList<string> DnsServers,
    [property: Description("Search domains from /etc/resolv.conf.")] IReadOnlyList<string> DnsSearch);

[Description("One network interface.")]
public sealed record NetInterface(
    [property: Description("Interface name, e.g. eth0.")] string Name,
    [property: Description("Interface index.")] int? Index,
    [property: Description("Link type: ether, loopback, none (tun), ipip, gre, ...")] string Type,
    [property: Description("Operational state: up, down, unknown (loopback and some virtual links), dormant, lowerlayerdown.")] string? State,
    [property: Description("Link carrier detected; null when the link is administratively down.")] bool? Carrier,
    [property: Description("Interface flags: UP, BROADCAST, LOOPBACK, POINTOPOINT, RUNNING, NOARP, PROMISC, MULTICAST, ...")] IReadOnlyList<string> Flags,
    [property: Description("MTU in bytes.")] int? Mtu,
    [property: Description("Link-layer (MAC) address; null for links without one.")] string? Mac,
    [property: Description("Link speed in Mbit/s when the driver reports it.")] long? SpeedMbps,
    [property: Description("full or half, when reported.")] string? Duplex,
    [property: Description("Kernel driver of the device.")] string? Driver,
    [property: Description("The bridge or bond this interface belongs to.")] string? Master,
    [property: Description("True for software interfaces (lo, veth, bridge, tun); false for hardware.")] bool Virtual,
    [property: Description("IPv4 and IPv6 addresses (getifaddrs).")] IReadOnlyList<IpAddressInfo> Addresses,
    [property: Description("Traffic counters since the interface was created (/proc/net/dev).")] NetCounters? Counters);

[Description("One IP address of an interface.")]
public sealed record IpAddressInfo(
    [property: Description("inet or inet6.")] string Family,
    [property: Description("The address, e.g. 192.0.2.10 or fe80::1.")] string Address,
    [property: Description("Network prefix length in bits.")] int PrefixLength,
    [property: Description("address/prefix_length.")] string Cidr,
    [property: Description("host, link, site or global, derived from the address.")] string Scope,
    [property: Description("IPv4 broadcast address, when set.")] string? Broadcast,
    [property: Description("Peer address of a point-to-point link.")] string? Peer);
