using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsReverse
{
    public static readonly VerbInfo Verb = VerbInfo.Define("reverse", Effect.Read,
        "The host names of an IP address (its PTR records under in-addr.arpa or ip6.arpa), like `dig -x`.",
        [.. DnsArgs.Connection], () => DnsJson.Default.DnsReverseResult, RunAsync,
        examples:
        [
            new("dns://127.0.0.10.reverse server=127.0.0.1:5353", "PTR names of 127.0.0.10."),
            new("dns://192.0.2.1.reverse", "PTR names of 192.0.2.1, from the system's resolvers."),
        ],
        targetHelp: "An IPv4 or IPv6 address (IPv6 may be in brackets).",
        notes: "An address without a PTR record (NXDOMAIN, or NOERROR with no PTR) is data: ok with empty `names` and the server's `rcode`. " +
               "Any other answer says nothing about the address and is an error with the rcode in details: REFUSED is `permission_denied`, SERVFAIL and the rest `failed`.");

    static async ValueTask<Outcome<DnsReverseResult>> RunAsync(VerbContext ctx)
    {
        var text = ctx.Target.Trim().TrimStart('[').TrimEnd(']');
        if (!IPAddress.TryParse(text, out var ip))
            return ReshError.Usage($"`{ctx.Target}` is not an IP address.", "Give an IPv4 or IPv6 address: dns://192.0.2.1.reverse.");
        var arpa = DnsNames.ArpaName(ip);
        var (r, server, _) = await DnsLookup.AskAsync(DnsCall.Servers(ctx), arpa, QueryType.PTR,
            new DnsLookup.Options(ctx.Get(DnsArgs.Tcp), Timeout: DnsCall.Timeout(ctx), Tries: DnsCall.Tries(ctx)), ctx.Cancellation).ConfigureAwait(false);
        var rcode = DnsLookup.Rcode(r);
        if (r.Header.ResponseCode is not (DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain))
        {
            // Only NXDOMAIN and NODATA mean "no names"; a server that refused or failed has not said anything about the address.
            var details = new System.Text.Json.Nodes.JsonObject { ["server"] = DnsServers.Show(server), ["ptr_name"] = arpa, ["rcode"] = rcode };
            var message = $"{DnsServers.Show(server)} answered {rcode} for {arpa} PTR: it gave no answer about {ip}.";
            return r.Header.ResponseCode == DnsHeaderResponseCode.Refused
                ? ReshError.PermissionDenied(message, "The server does not answer for this reverse zone (or not to this client); ask a server that does (server=IP:PORT).", details)
                : ReshError.Failed(message, "The server could not resolve the reverse name; try again, or ask another server (server=IP:PORT).", details);
        }
        var names = r.Answers.OfType<PtrRecord>().Select(p => p.PtrDomainName.Value).ToList();
        return new DnsReverseResult(ip.ToString(), arpa, DnsServers.Show(server), rcode, names);
    }
}
