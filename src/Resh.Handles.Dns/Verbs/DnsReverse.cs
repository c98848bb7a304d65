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
        notes: "An address without a PTR record is data: ok with empty `names` and the server's `rcode`.");

    static async ValueTask<Outcome<DnsReverseResult>> RunAsync(VerbContext ctx)
    {
        var text = ctx.Target.Trim().TrimStart('[').TrimEnd(']');
        if (!IPAddress.TryParse(text, out var ip))
            return ReshError.Usage($"`{ctx.Target}` is not an IP address.", "Give an IPv4 or IPv6 address: dns://192.0.2.1.reverse.");
        var arpa = DnsNames.ArpaName(ip);
        var (r, server, _) = await DnsLookup.AskAsync(DnsCall.Servers(ctx), arpa, QueryType.PTR,
            new DnsLookup.Options(ctx.Get(DnsArgs.Tcp), Timeout: DnsCall.Timeout(ctx)), ctx.Cancellation).ConfigureAwait(false);
        var names = r.Answers.OfType<PtrRecord>().Select(p => p.PtrDomainName.Value).ToList();
        return new DnsReverseResult(ip.ToString(), arpa, DnsServers.Show(server), DnsLookup.Rcode(r), names);
    }
}
