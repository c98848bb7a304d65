using System.ComponentModel;
using System.Text.Json.Serialization;
using Resh.Handles.Sys;

namespace Resh.Handles.Net.Network;

[Description("The interfaces of this network namespace.")]
public sealed record NetInterfacesResult(int Count, IReadOnlyList<NetInterface> Interfaces);

[Description("An address added to or removed from an interface.")]
public sealed record NetAddrResult(
    string Interface,
    [property: Description("address/prefix_length as the kernel holds it.")] string Address,
    [property: Description("added, deleted, present (already there) or absent (already gone); under --dry-run what would happen.")] string Action);

[Description("One link attribute and its change.")]
public sealed record NetLinkChange(string Field, string? From, string To);

[Description("A link after link.set.")]
public sealed record NetLinkResult(string Interface, [property: Description("Administrative state: up or down.")] string State, int Mtu,
    [property: Description("What changed (or would change under --dry-run); empty when the link was already as asked.")] IReadOnlyList<NetLinkChange> Changes);

[Description("One route, as ip -j route shows it.")]
public sealed record NetRoute(
    [property: Description("inet or inet6.")] string Family,
    [property: Description("Destination prefix, or default.")] string Destination,
    string? Gateway,
    [property: Description("Output interface.")] string? Dev,
    [property: Description("unicast, local, broadcast, unreachable, blackhole, ...")] string? Type,
    [property: Description("Who installed it: kernel, boot, static, dhcp, ra...")] string? Protocol,
    string? Scope,
    long? Metric,
    [property: Description("Preferred source address.")] string? Prefsrc,
    string? Table,
    IReadOnlyList<string> Flags);

[Description("Routes of this network namespace.")]
public sealed record NetRoutesResult(int Count, IReadOnlyList<NetRoute> Routes);

[Description("A route added or deleted.")]
public sealed record NetRouteChangeResult(
    string Destination, string? Gateway, string? Dev, long? Metric, string? Table,
    [property: Description("added, replaced, deleted, present (already as asked) or absent (nothing to delete); under --dry-run what would happen.")] string Action);

[Description("The route the kernel would use for a destination (ip route get).")]
public sealed record NetRouteGetResult(
    [property: Description("The destination as given.")] string Target,
    [property: Description("The address looked up.")] string Destination,
    string? Gateway, string? Dev,
    [property: Description("Source address the kernel would pick.")] string? Prefsrc,
    string? Type, string? Table, IReadOnlyList<string> Flags);

[Description("One neighbour (ARP or NDP) entry.")]
public sealed record NetNeighbor(string Family, string Address, string? Dev,
    [property: Description("Link-layer address; null while incomplete or failed.")] string? Lladdr,
    [property: Description("REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT, NOARP (several for some entries).")] IReadOnlyList<string> State,
    [property: Description("The neighbour announced itself as a router (IPv6).")] bool Router);

[Description("The neighbour table.")]
public sealed record NetNeighborsResult(int Count, IReadOnlyList<NetNeighbor> Neighbors);

[Description("One echo reply.")]
public sealed record NetPingReply(int Seq, [property: Description("Round-trip time in milliseconds.")] double RttMs,
    [property: Description("TTL of the reply (raw sockets and the ping command; null with ping sockets).")] int? Ttl, int Bytes);

[Description("ICMP echo statistics, like ping's summary.")]
public sealed record NetPingResult(
    string Host,
    [property: Description("The address pinged.")] string Address,
    [property: Description("ping socket (unprivileged SOCK_DGRAM ICMP), raw socket (root), or ping command (PATH): the system ping when neither socket is allowed.")] string Method,
    int Transmitted,
    int Received,
    double LossPercent,
    double? RttMinMs, double? RttAvgMs, double? RttMaxMs,
    [property: Description("Mean deviation of the round-trip times (ping's mdev).")] double? RttMdevMs,
    IReadOnlyList<NetPingReply> Replies);

[Description("A TCP connect check.")]
public sealed record NetTcpResult(string Host, int Port,
    [property: Description("The address that accepted.")] string Address,
    [property: Description("True: the connection was accepted.")] bool Open,
    [property: Description("Name resolution time (0 for an address).")] double DnsMs,
    [property: Description("TCP handshake time.")] double ConnectMs);

[Description("A wait until a TCP port accepts.")]
public sealed record NetWaitResult(string Host, int Port, string Address,
    [property: Description("Connection attempts made, the successful one included.")] int Attempts,
    [property: Description("How long the wait took.")] double WaitedMs);

[Description("One open port.")]
public sealed record NetOpenPort(int Port, [property: Description("Service name from /etc/services, when known.")] string? Service, double ConnectMs);

[Description("A TCP connect scan.")]
public sealed record NetScanResult(string Host, string Address,
    [property: Description("Ports tried.")] int Scanned,
    IReadOnlyList<NetOpenPort> Open,
    [property: Description("Ports that refused (RST).")] int Closed,
    [property: Description("Ports that did not answer within the per-port timeout (or were unreachable).")] int Filtered,
    double DurationMs);

[Description("One hop of a traceroute.")]
public sealed record NetHop(int Ttl,
    [property: Description("The router (or the destination) that answered; null when no probe got an answer.")] string? Address,
    [property: Description("Round-trip time of each answered probe, in milliseconds.")] IReadOnlyList<double> RttMs,
    [property: Description("Probes without an answer.")] int Lost,
    [property: Description("time-exceeded, echo-reply (the destination) or unreachable.")] string? Kind);

[Description("The path to a host.")]
public sealed record NetTracerouteResult(string Host, string Address,
    [property: Description("The destination answered.")] bool Reached,
    IReadOnlyList<NetHop> Hops);

[Description("One listening socket and its owner.")]
public sealed record NetListener(string Protocol, string Address, int Port,
    [property: Description("Owning process; null when it cannot be seen (other users' processes without root).")] int? Pid,
    string? Process, string? User, long Inode);

[Description("Listening sockets of this network namespace.")]
public sealed record NetListeningResult(int Count, IReadOnlyList<NetListener> Sockets);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(NetInterfacesResult))]
[JsonSerializable(typeof(NetAddrResult))]
[JsonSerializable(typeof(NetLinkResult))]
[JsonSerializable(typeof(NetRoutesResult))]
[JsonSerializable(typeof(NetRouteChangeResult))]
[JsonSerializable(typeof(NetRouteGetResult))]
[JsonSerializable(typeof(NetNeighborsResult))]
[JsonSerializable(typeof(NetPingResult))]
[JsonSerializable(typeof(NetTcpResult))]
[JsonSerializable(typeof(NetWaitResult))]
[JsonSerializable(typeof(NetScanResult))]
[JsonSerializable(typeof(NetTracerouteResult))]
[JsonSerializable(typeof(NetListeningResult))]
internal sealed partial class NetJson : JsonSerializerContext;
