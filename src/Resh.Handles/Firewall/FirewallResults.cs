using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Firewall;

[Description("One firewall rule in resh's model, whatever the backend.")]
public sealed record FwRule(
    [property: Description("r + 8 hex digits for rules resh manages (the same request always gets the same id); for other rules a backend reference such as nft:inet/filter/input/12.")] string Id,
    [property: Description("True when resh added it (it carries the resh marker).")] bool Managed,
    string Backend,
    [property: Description("any (IPv4 and IPv6), ipv4 or ipv6.")] string Family,
    string? Table,
    string? Chain,
    [property: Description("in, out or forward.")] string Direction,
    [property: Description("tcp, udp, icmp, icmpv6, or null for any.")] string? Proto,
    [property: Description("Destination ports and ranges (8000-8100).")] IReadOnlyList<string> Ports,
    [property: Description("Source address or network (CIDR).")] string? Source,
    string? Destination,
    [property: Description("Interface (incoming for in/forward, outgoing for out).")] string? Iface,
    [property: Description("accept, drop or reject (null when the rule has another verdict).")] string? Action,
    [property: Description("N/second|minute|hour|day.")] string? RateLimit,
    bool Log,
    [property: Description("The comment without resh's marker.")] string? Comment,
    long? Packets,
    long? Bytes,
    [property: Description("0-based position in its chain.")] int Position,
    [property: Description("The backend's handle: nft rule handle, ufw rule number.")] string? Handle,
    [property: Description("The rule as the backend spells it (nft expression JSON, iptables-save line, ufw tuple, firewalld rich rule).")] string? Native,
    [property: Description("True when parts of the rule could not be mapped to the model (see native).")] bool Partial);

public sealed record FwRulesResult(string Backend, int Count, IReadOnlyList<FwRule> Rules);

[Description("A change waiting for firewall://.confirm.")]
public sealed record PendingInfo(
    string Id,
    [property: Description("RFC 3339 time of the automatic rollback.")] string Deadline,
    double SecondsLeft,
    [property: Description("PID of the detached rollback timer.")] int? TimerPid);

public sealed record FwStatusResult(
    string Backend,
    [property: Description("Why this backend: detected (and from what) or chosen with backend=.")] string DetectedBy,
    bool Active,
    [property: Description("Default policy per direction of the chains resh manages (accept/drop).")] IReadOnlyDictionary<string, string> Policies,
    int Rules,
    int ManagedRules,
    [property: Description("The SSH session resh runs under (client -> server port), protected from lock-out; null when not over SSH.")] string? SshSession,
    PendingInfo? Pending);

public sealed record FwChangeResult(
    string Backend,
    [property: Description("added, updated, deleted, policy_set, applied, restored, enabled, disabled, confirmed, rolled_back or none.")] string Action,
    [property: Description("The rules added, deleted or now in effect.")] IReadOnlyList<FwRule> Rules,
    [property: Description("The native commands run (or that would run): an nft script, iptables-restore input, ufw or firewall-cmd argv.")] IReadOnlyList<string> Commands,
    [property: Description("Unified diff of resh's rules (one normalized line per rule), before -> after.")] string? Diff,
    [property: Description("Set when confirm= was given: the change rolls back at the deadline unless firewall://.confirm is called.")] PendingInfo? Pending);

public sealed record FwSaveResult(
    string Backend,
    [property: Description("json (resh's model: managed rules and policies) or native (nft list ruleset, iptables-save, ufw rule files, firewalld rich rules).")] string Format,
    [property: Description("The file written, or null when the content is returned in `content`.")] string? Path,
    int Rules,
    string? Content);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FwRulesResult))]
[JsonSerializable(typeof(FwStatusResult))]
[JsonSerializable(typeof(FwChangeResult))]
[JsonSerializable(typeof(FwSaveResult))]
[JsonSerializable(typeof(FirewallSnapshot))]
[JsonSerializable(typeof(PendingState))]
internal sealed partial class FirewallJson : JsonSerializerContext;
