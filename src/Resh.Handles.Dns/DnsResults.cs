using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Dns;

[Description("One resource record, in presentation form (as dig prints it).")]
public sealed record DnsRecordData(
    [property: Description("Owner name, fully qualified (trailing dot); odd bytes escaped as \\DDD.")] string Name,
    [property: Description("A, AAAA, MX, TXT... (TYPEnnn for types without a mnemonic).")] string Type,
    string Class,
    [property: Description("Time to live in seconds.")] long TtlSeconds,
    [property: Description("The record data in zone-file form (`10 mail.example.test.` for MX).")] string Data);

[Description("Header flags of a DNS answer.")]
public sealed record DnsFlags(
    [property: Description("Authoritative answer.")] bool Aa,
    [property: Description("Truncated (the answer did not fit the UDP packet).")] bool Tc,
    [property: Description("Recursion desired (echoed from the query).")] bool Rd,
    [property: Description("Recursion available.")] bool Ra,
    [property: Description("Authentic data: the server validated the answer with DNSSEC.")] bool Ad,
    [property: Description("Checking disabled.")] bool Cd);

[Description("An answer to one question, with all three sections as data.")]
public sealed record DnsQueryResult(
    string Name,
    string Type,
    [property: Description("The server that answered, IP:PORT.")] string Server,
    [property: Description("udp or tcp: the transport the answer came over (tcp also when a truncated UDP answer was asked again over TCP).")] string Protocol,
    [property: Description("Response code: NOERROR, NXDOMAIN, SERVFAIL, REFUSED...")] string Rcode,
    DnsFlags Flags,
    [property: Description("The query carried an EDNS OPT record.")] bool Edns,
    IReadOnlyList<DnsRecordData> Answer,
    IReadOnlyList<DnsRecordData> Authority,
    [property: Description("Additional section (the OPT pseudo-record left out).")] IReadOnlyList<DnsRecordData> Additional,
    [property: Description("Size of the answer message in bytes.")] int MessageBytes,
    double DurationMs);

[Description("One address from the system resolver.")]
public sealed record DnsAddress(string Address, [property: Description("inet or inet6.")] string Family);

[Description("What the system resolver (getaddrinfo: /etc/hosts, nsswitch, /etc/resolv.conf) answers for a name, like `getent ahosts`.")]
public sealed record DnsResolveResult(
    string Name,
    [property: Description("The name resolved to at least one address.")] bool Found,
    [property: Description("Canonical name (after CNAMEs), when the resolver gives one.")] string? CanonicalName,
    IReadOnlyList<DnsAddress> Addresses,
    [property: Description("Why nothing was found (the resolver's words), when found is false.")] string? Reason);

[Description("The PTR names of an address.")]
public sealed record DnsReverseResult(
    string Address,
    [property: Description("The in-addr.arpa / ip6.arpa name asked for.")] string PtrName,
    string Server,
    string Rcode,
    [property: Description("Host names the PTR records give (empty when there are none).")] IReadOnlyList<string> Names);

[Description("One server asked during a trace.")]
public sealed record DnsTraceStep(
    [property: Description("The server asked, IP:PORT.")] string Server,
    [property: Description("Its name (from the referral that led here), when known.")] string? ServerName,
    string Rcode,
    [property: Description("The server answered authoritatively.")] bool Authoritative,
    [property: Description("Zone the server delegated to (its referral), when it referred.")] string? Referral,
    [property: Description("Name servers of the referral.")] IReadOnlyList<string> NameServers,
    IReadOnlyList<DnsRecordData> Answer,
    double DurationMs,
    [property: Description("Why this server gave no usable answer (timeout, refused...), when it did not.")] string? Error);

[Description("An iterative resolution from the roots, one step per server asked (dig +trace).")]
public sealed record DnsTraceResult(
    string Name,
    string Type,
    [property: Description("An authoritative server answered (possibly with no records, or NXDOMAIN).")] bool Resolved,
    string Rcode,
    IReadOnlyList<DnsRecordData> Answer,
    IReadOnlyList<DnsTraceStep> Steps);

[Description("What one authoritative server of a zone says.")]
public sealed record DnsCheckServer(
    string Name,
    [property: Description("Address asked, IP:PORT (null when the name did not resolve).")] string? Address,
    [property: Description("SOA serial it serves.")] long? Serial,
    [property: Description("The zone's NS names as this server lists them, sorted.")] IReadOnlyList<string> NameServers,
    bool Authoritative,
    [property: Description("Why this server could not be checked.")] string? Error);

[Description("Whether every authoritative server of a zone answers the same.")]
public sealed record DnsCheckResult(
    string Zone,
    [property: Description("Every server answered authoritatively with the same SOA serial and NS set.")] bool Consistent,
    [property: Description("Distinct serials seen.")] IReadOnlyList<long> Serials,
    IReadOnlyList<DnsCheckServer> Servers);

[Description("A zone transfer (AXFR).")]
public sealed record DnsZoneListResult(
    string Zone,
    string Server,
    long Serial,
    [property: Description("Records in the zone (the closing SOA not counted twice).")] int Count,
    [property: Description("Bytes received.")] long Bytes,
    [property: Description("The transfer was signed with the TSIG key.")] bool Signed,
    IReadOnlyList<DnsRecordData> Records);

[Description("A dynamic update (RFC 2136) of one record set: what it was, what it is now.")]
public sealed record DnsRecordChangeResult(
    string Name,
    string Zone,
    string Type,
    long TtlSeconds,
    [property: Description("The primary server updated, IP:PORT.")] string Server,
    [property: Description("Values of the record set before (zone-file form).")] IReadOnlyList<string> Before,
    [property: Description("Values after (as read back from the server; the plan under --dry-run).")] IReadOnlyList<string> After,
    [property: Description("An update message was sent (false when the records were already as asked, or under --dry-run).")] bool Sent,
    [property: Description("Prerequisites sent with the update.")] IReadOnlyList<string> Prerequisites,
    [property: Description("The update was signed with TSIG (key name).")] string? Key);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DnsQueryResult))]
[JsonSerializable(typeof(DnsResolveResult))]
[JsonSerializable(typeof(DnsReverseResult))]
[JsonSerializable(typeof(DnsTraceResult))]
[JsonSerializable(typeof(DnsCheckResult))]
[JsonSerializable(typeof(DnsZoneListResult))]
[JsonSerializable(typeof(DnsRecordChangeResult))]
internal sealed partial class DnsJson : JsonSerializerContext;
