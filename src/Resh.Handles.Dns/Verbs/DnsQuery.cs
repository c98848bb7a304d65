using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsQuery
{
    static readonly Arg<bool> Recurse = Arg.Bool("recurse", "Ask for recursion (RD flag); false asks the server only for what it holds (dig +norecurse).", true);
    static readonly Arg<bool> Edns = Arg.Bool("edns", "Send an EDNS OPT record (1232-byte UDP answers); false sends a plain 512-byte query (dig +noedns).", true);
    static readonly Arg<bool> Dnssec = Arg.Bool("dnssec", "Set the DNSSEC OK bit: ask for RRSIGs and the AD flag (dig +dnssec).");

    public static readonly VerbInfo Verb = VerbInfo.Define("query", Effect.Read,
        "Ask a name server one question (any record type) and return the answer, authority and additional sections as data (dig).",
        [DnsArgs.Type, .. DnsArgs.Connection, Recurse, Edns, Dnssec], () => DnsJson.Default.DnsQueryResult, RunAsync,
        examples:
        [
            new("dns://example.test.query", "A records of example.test from the system's resolver."),
            new("'dns://example.test.query(type=MX,server=127.0.0.1:5353)'", "MX records, from the server on 127.0.0.1 port 5353."),
            new("dns://example.test.query type=SOA recurse=false tcp=true", "The SOA, non-recursive, over TCP."),
        ],
        notes: "A negative answer (NXDOMAIN, or NOERROR with no records) is data: ok, with `rcode` and empty `answer`. " +
               "SERVFAIL and REFUSED are data as well; check `rcode`. No answer at all is `timeout`; a closed port (ICMP port unreachable, connection refused) is `unavailable` at once. " +
               "A UDP answer that comes back truncated (TC) is asked again over TCP, as dig does, and `protocol` says tcp.");

    static async ValueTask<Outcome<DnsQueryResult>> RunAsync(VerbContext ctx)
    {
        var name = DnsNames.Fqdn(ctx.Target);
        var type = DnsLookup.ParseType(ctx.Get(DnsArgs.Type)!);
        var servers = DnsCall.Servers(ctx);
        var options = new DnsLookup.Options(ctx.Get(DnsArgs.Tcp), ctx.Get(Recurse), ctx.Get(Edns) || ctx.Get(Dnssec), ctx.Get(Dnssec), DnsCall.Timeout(ctx), DnsCall.Tries(ctx));
        var reply = await DnsLookup.AskAsync(servers, name, type, options, ctx.Cancellation).ConfigureAwait(false);
        var (r, server, ms) = reply;
        var h = r.Header;
        return new DnsQueryResult(name, DnsLookup.TypeName(type), DnsServers.Show(server), reply.Tcp ? "tcp" : "udp", DnsLookup.Rcode(r),
            new DnsFlags(h.HasAuthorityAnswer, h.ResultTruncated, h.RecursionDesired, h.RecursionAvailable, h.IsAuthenticData, h.IsCheckingDisabled),
            options.Edns,
            DnsLookup.Records(r.Answers), DnsLookup.Records(r.Authorities), DnsLookup.Records(r.Additionals), r.MessageSize, ms);
    }
}
