using System.Net;
using System.Net.Sockets;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsResolve
{
    static readonly Arg<string?> Family = Arg.Enum("family", "Address family to ask for.", ["any", "inet", "inet6"], "any");

    public static readonly VerbInfo Verb = VerbInfo.Define("resolve", Effect.Read,
        "Resolve a name the way every program on this host does (getaddrinfo: /etc/hosts, nsswitch, /etc/resolv.conf), like `getent ahosts`.",
        [Family], () => DnsJson.Default.DnsResolveResult, RunAsync,
        examples:
        [
            new("dns://www.example.test.resolve", "Addresses of www.example.test, as the system resolver sees them."),
            new("dns://localhost.resolve family=inet6", "IPv6 addresses only."),
        ],
        notes: "A name that does not resolve is data (`found: false` with the resolver's reason), not an error.");

    static async ValueTask<Outcome<DnsResolveResult>> RunAsync(VerbContext ctx)
    {
        var fqdn = DnsNames.Fqdn(ctx.Target);
        var name = fqdn == "." ? throw new ReshException(ReshError.Usage("The root is not a host name.", "Give a host name: dns://www.example.test.resolve.")) : fqdn.TrimEnd('.');
        var family = ctx.Get(Family) switch { "inet" => AddressFamily.InterNetwork, "inet6" => AddressFamily.InterNetworkV6, _ => AddressFamily.Unspecified };
        try
        {
            var entry = await global::System.Net.Dns.GetHostEntryAsync(name, family, ctx.Cancellation).ConfigureAwait(false);
            var addresses = entry.AddressList.Select(a => new DnsAddress(a.ToString(), a.AddressFamily == AddressFamily.InterNetworkV6 ? "inet6" : "inet"))
                .DistinctBy(a => a.Address).ToList();
            var canonical = string.IsNullOrEmpty(entry.HostName) ? null : entry.HostName;
            return new DnsResolveResult(name, addresses.Count > 0, canonical, addresses, addresses.Count > 0 ? null : "no address of the asked family");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return new DnsResolveResult(name, false, null, [], e.SocketErrorCode == SocketError.HostNotFound ? "unknown host" : "no address of the asked family");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TryAgain)
        {
            return ReshError.Unavailable($"The system resolver could not answer for {name} now ({e.Message}).", "Check /etc/resolv.conf and that its name servers answer.");
        }
    }
}
