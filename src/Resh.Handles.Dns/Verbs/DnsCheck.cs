using System.Net;
using System.Text.Json.Nodes;
using DnsClient;
using DnsClient.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsCheck
{
    public static readonly VerbInfo Verb = VerbInfo.Define("check", Effect.Read,
        "Check that every authoritative server of a zone answers the same: authoritatively, with one SOA serial and one NS set.",
        [.. DnsArgs.Connection], () => DnsJson.Default.DnsCheckResult, RunAsync,
        examples:
        [
            new("dns://example.com.check", "Ask each name server of example.com for its SOA and NS records."),
            new("dns://example.test.check server=127.0.0.1:5353", "Find the servers through 127.0.0.1:5353 and ask them on port 5353."),
        ],
        targetHelp: "A zone name.",
        notes: "The NS names and their addresses come from server= (or the system's resolvers); each server is then asked without recursion, " +
               "on port= or the port of server= (53 by default). Servers that disagree, do not answer or are not authoritative fail the call " +
               "(`failed`, every server's answer in `details`).");

    static async ValueTask<Outcome<DnsCheckResult>> RunAsync(VerbContext ctx)
    {
        var zone = DnsNames.Fqdn(ctx.Target, "zone name");
        var via = DnsCall.Servers(ctx);
        var port = DnsCall.Port(ctx) ?? (ctx.Get(DnsArgs.Server) is { Length: > 0 } ? via[0].Port : 53);
        var options = new DnsLookup.Options(ctx.Get(DnsArgs.Tcp), Timeout: DnsCall.Timeout(ctx), Tries: DnsCall.Tries(ctx));
        var (nsResp, _, _) = await DnsLookup.AskAsync(via, zone, QueryType.NS, options, ctx.Cancellation).ConfigureAwait(false);
        var names = nsResp.Answers.OfType<NsRecord>().Select(n => DnsNames.Canonical(n.NSDName.Value)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            return ReshError.NotFound($"{zone} has no NS records ({DnsLookup.Rcode(nsResp)} from {DnsServers.Show(via[0])}).", "Check the zone name, or give server= a server that knows it.");
        var servers = new List<DnsCheckServer>();
        var direct = options with { Recursion = false };
        foreach (var ns in names)
        {
            IPAddress? address = null;
            try
            {
                var (a, _, _) = await DnsLookup.AskAsync(via, ns, QueryType.A, options, ctx.Cancellation).ConfigureAwait(false);
                address = a.Answers.OfType<ARecord>().FirstOrDefault()?.Address;
            }
            catch (ReshException) { }
            if (address is null) { servers.Add(new DnsCheckServer(ns, null, null, [], false, "its name has no A record")); continue; }
            var ep = new IPEndPoint(address, port);
            try
            {
                var (soa, _, _) = await DnsLookup.AskAsync([ep], zone, QueryType.SOA, direct, ctx.Cancellation).ConfigureAwait(false);
                var (nsAt, _, _) = await DnsLookup.AskAsync([ep], zone, QueryType.NS, direct, ctx.Cancellation).ConfigureAwait(false);
                var serial = soa.Answers.OfType<SoaRecord>().FirstOrDefault()?.Serial;
                var nsSet = nsAt.Answers.OfType<NsRecord>().Select(n => DnsNames.Canonical(n.NSDName.Value)).Distinct().Order(StringComparer.Ordinal).ToList();
                var aa = soa.Header.HasAuthorityAnswer;
                string? error = serial is null ? $"no SOA record ({DnsLookup.Rcode(soa)})" : !aa ? "not authoritative for the zone" : null;
                servers.Add(new DnsCheckServer(ns, DnsServers.Show(ep), serial, nsSet, aa, error));
            }
            catch (ReshException e)
            {
                servers.Add(new DnsCheckServer(ns, DnsServers.Show(ep), null, [], false, e.Error.Message));
            }
        }
        var serials = servers.Where(s => s.Serial is not null).Select(s => s.Serial!.Value).Distinct().Order().ToList();
        var nsSets = servers.Where(s => s.Error is null).Select(s => string.Join(' ', s.NameServers)).Distinct().Count();
        var consistent = servers.All(s => s.Error is null) && serials.Count == 1 && nsSets == 1;
        var result = new DnsCheckResult(zone, consistent, serials, servers);
        if (consistent) return result;
        var why = servers.FirstOrDefault(s => s.Error is not null) is { } bad ? $"{bad.Name} {bad.Error}"
            : serials.Count > 1 ? "SOA serials differ: " + string.Join(", ", servers.Select(s => $"{s.Name} {s.Serial}"))
            : "NS sets differ";
        var details = new JsonObject
        {
            ["zone"] = zone,
            ["serials"] = new JsonArray(serials.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            ["servers"] = new JsonArray(servers.Select(s => (JsonNode?)new JsonObject
            {
                ["name"] = s.Name, ["address"] = s.Address, ["serial"] = s.Serial, ["authoritative"] = s.Authoritative, ["error"] = s.Error,
                ["name_servers"] = new JsonArray(s.NameServers.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            }).ToArray()),
        };
        return ReshError.Failed($"The servers of {zone.TrimEnd('.')} disagree: {why}.", "A secondary that lags behind needs a zone transfer (check NOTIFY and allow-transfer on the primary).", details);
    }
}
