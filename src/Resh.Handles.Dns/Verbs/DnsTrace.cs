using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsTrace
{
    static readonly Arg<IReadOnlyList<string>> Roots = Arg.List("roots",
        "Root servers to start from, IP or IP:PORT (default: the IANA root servers on port 53). Servers found by referral are asked on the same port.",
        examples: ["127.53.0.1:5353"]);
    static readonly Arg<long?> MaxSteps = Arg.Int("max_steps", "Most referrals to follow before giving up (a loop guard).", 30, min: 1, max: 100);

    // a.root-servers.net ... m.root-servers.net (IANA root hints).
    static readonly string[] IanaRoots =
    [
        "198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13", "192.203.230.10", "192.5.5.241", "192.112.36.4",
        "198.97.190.53", "192.36.148.17", "192.58.128.30", "193.0.14.129", "199.7.83.42", "202.12.27.33",
    ];

    public static readonly VerbInfo Verb = VerbInfo.Define("trace", Effect.Read,
        "Resolve a name iteratively from the root servers, one step per server asked, following referrals (dig +trace).",
        [DnsArgs.Type, Roots, DnsArgs.Tcp, DnsArgs.Timeout, MaxSteps], () => DnsJson.Default.DnsTraceResult, RunAsync,
        examples:
        [
            new("dns://www.example.com.trace", "From the IANA roots down to example.com's servers."),
            new("dns://www.example.test.trace roots=127.53.0.1:5353", "From a private root on port 5353."),
        ],
        notes: "Each step asks one server without recursion. Glue from the referral is used; a name server without glue is itself traced from the roots (bounded). " +
               "A server that does not answer is recorded with its error and the next server of the same referral is tried. " +
               "`resolved: false` means the last server answered without authority and without a referral (an error rcode, or a lame server). " +
               "When no server of a step answers at all the call fails (`timeout`, or `unavailable` when they refuse), with the steps so far in details; " +
               "a referral to servers without any address, or more than max_steps referrals, is `failed`.");

    static async ValueTask<Outcome<DnsTraceResult>> RunAsync(VerbContext ctx)
    {
        var name = DnsNames.Fqdn(ctx.Target);
        var type = DnsLookup.ParseType(ctx.Get(DnsArgs.Type)!);
        var roots = ctx.Get(Roots) is { Count: > 0 } given ? given.Select(r => DnsServers.Parse(r, null)).ToList() : IanaRoots.Select(a => new IPEndPoint(IPAddress.Parse(a), 53)).ToList();
        var port = roots[0].Port;
        var options = new DnsLookup.Options(ctx.Get(DnsArgs.Tcp), Recursion: false, Timeout: ctx.Get(DnsArgs.Timeout) ?? TimeSpan.FromSeconds(5));
        var steps = new List<DnsTraceStep>();
        var end = await Walk(name, type, roots.Select(r => (r, (string?)null)).ToList(), port, options, steps, (int)ctx.Get(MaxSteps)!.Value, 0, ctx.Cancellation).ConfigureAwait(false);
        if (end.Failure is { } failure)
        {
            // No server of a step answered (or the walk could not go on): there is no result to report as data.
            var details = new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = name,
                ["type"] = DnsLookup.TypeName(type),
                ["steps"] = System.Text.Json.JsonSerializer.SerializeToNode(steps, DnsJson.Default.IReadOnlyListDnsTraceStep),
            };
            return failure with { Details = details };
        }
        return new DnsTraceResult(name, DnsLookup.TypeName(type), end.Resolved, end.Rcode, end.Answer, steps);
    }

    /// <summary>Where a walk ended: an answer (resolved or not, with its rcode), or a failure when it could not go on.</summary>
    sealed record End(bool Resolved, string Rcode, IReadOnlyList<DnsRecordData> Answer, ReshError? Failure = null);

    static async Task<End> Walk(string name, QueryType type,
        List<(IPEndPoint Address, string? Name)> servers, int port, DnsLookup.Options options, List<DnsTraceStep> steps, int maxSteps, int depth, CancellationToken token)
    {
        var zone = ".";
        for (int hop = 0; hop < maxSteps; hop++)
        {
            IDnsQueryResponse? r = null;
            var errors = new List<ReshError>();
            foreach (var (address, serverName) in servers.Take(4))
            {
                try
                {
                    var (resp, _, ms) = await DnsLookup.AskAsync([address], name, type, options, token).ConfigureAwait(false);
                    var referral = Referral(resp, zone);
                    steps.Add(new DnsTraceStep(DnsServers.Show(address), serverName, DnsLookup.Rcode(resp), resp.Header.HasAuthorityAnswer, referral?.Zone,
                        referral?.Names ?? [], DnsLookup.Records(resp.Answers), ms, null));
                    r = resp;
                    break;
                }
                catch (ReshException e)
                {
                    errors.Add(e.Error);
                    steps.Add(new DnsTraceStep(DnsServers.Show(address), serverName, "", false, null, [], [], 0, e.Error.Message));
                }
            }
            if (r is null)
            {
                var asked = string.Join(", ", servers.Take(4).Select(s => DnsServers.Show(s.Address)));
                var where = zone == "." ? "the root servers" : $"the servers of {zone.TrimEnd('.')}";
                var all = errors.All(e => e.Code == ErrorCode.Timeout);
                var message = $"No server answered the trace of {name} {DnsLookup.TypeName(type)}: {where} ({asked}) {(all ? "did not answer in time" : "could not be reached")}; {errors[^1].Message}";
                var hint = zone == "." ? "Check roots= (IP:PORT of servers that answer) and the network; raise timeout= for slow links." : "The delegation points to servers that do not answer (a lame delegation), or the network is down.";
                return new End(false, "", [], all ? ReshError.Timeout(message, hint) : ReshError.Unavailable(message, hint));
            }
            var rcode = DnsLookup.Rcode(r);
            var next = Referral(r, zone);
            // Only records owned by the name asked count as its answer (an unrelated record is not a resolution).
            var owners = new HashSet<string>(StringComparer.Ordinal) { DnsNames.Canonical(name) };
            foreach (var c in r.Answers.OfType<CNameRecord>())
                if (owners.Contains(DnsNames.Canonical(c.DomainName.Value))) owners.Add(DnsNames.Canonical(c.CanonicalName.Value));
            var own = r.Answers.Where(a => owners.Contains(DnsNames.Canonical(a.DomainName.Value))).ToList();
            if (r.Header.HasAuthorityAnswer || own.Count > 0 || rcode != "NOERROR" || next is null)
                return new End(r.Header.HasAuthorityAnswer || own.Count > 0, rcode, DnsLookup.Records(own));
            zone = next.Zone;
            var glue = r.Additionals.OfType<ARecord>().ToList();
            var nextServers = new List<(IPEndPoint, string?)>();
            foreach (var ns in next.Names)
            {
                foreach (var a in glue.Where(g => DnsNames.Canonical(g.DomainName.Value) == ns)) nextServers.Add((new IPEndPoint(a.Address, port), ns));
            }
            if (nextServers.Count == 0 && depth < 2)
            {
                // No glue: find the first name server's address by tracing it from the roots of this walk.
                foreach (var ns in next.Names.Take(2))
                {
                    var sub = new List<DnsTraceStep>();
                    var found = await Walk(ns, QueryType.A, [.. RootsOf(steps)], port, options, sub, maxSteps, depth + 1, token).ConfigureAwait(false);
                    foreach (var a in found.Answer.Where(x => x.Type == "A" && DnsNames.Canonical(x.Name) == DnsNames.Canonical(ns))) nextServers.Add((new IPEndPoint(IPAddress.Parse(a.Data), port), ns));
                    if (found.Resolved && nextServers.Count > 0) break;
                }
            }
            if (nextServers.Count == 0)
                return new End(false, "", [], ReshError.Failed($"The referral to {zone.TrimEnd('.')} names name servers ({string.Join(", ", next.Names)}) with no address resh could find; the trace of {name} stops there.",
                    "The delegation lacks glue and its name servers do not resolve from these roots."));
            servers = nextServers;
        }
        return new End(false, "", [], ReshError.Failed($"The trace of {name} followed {maxSteps} referrals without reaching an answer (a referral loop?).", "Raise max_steps= if the hierarchy is really that deep."));
    }

    static IEnumerable<(IPEndPoint, string?)> RootsOf(List<DnsTraceStep> steps)
    {
        var first = steps[0].Server;
        var colon = first.LastIndexOf(':');
        yield return (new IPEndPoint(IPAddress.Parse(first[..colon].Trim('[', ']')), int.Parse(first[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)), steps[0].ServerName);
    }

    sealed record Delegation(string Zone, IReadOnlyList<string> Names);

    /// <summary>The NS records of the authority section when they delegate below the current zone (a referral), else null.</summary>
    static Delegation? Referral(IDnsQueryResponse r, string zone)
    {
        var ns = r.Authorities.OfType<NsRecord>().ToList();
        if (ns.Count == 0) return null;
        var owner = DnsNames.Canonical(ns[0].DomainName.Value);
        var closer = owner != zone && (zone == "." || owner.EndsWith("." + zone, StringComparison.Ordinal));
        return closer ? new Delegation(owner, ns.Select(n => DnsNames.Canonical(n.NSDName.Value)).Distinct().ToList()) : null;
    }
}
