using System.Net;
using Resh.Core.Execution;

namespace Resh.Handles.Dns;

/// <summary>What the verbs read from their context the same way.</summary>
internal static class DnsCall
{
    public static int? Port(VerbContext ctx) => ctx.Get(DnsArgs.Port) is { } p ? (int)p : null;

    /// <summary>server= (with port=), else the system's resolvers.</summary>
    public static IReadOnlyList<IPEndPoint> Servers(VerbContext ctx) =>
        ctx.Get(DnsArgs.Server) is { Length: > 0 } s ? [DnsServers.Parse(s, Port(ctx))] : DnsServers.SystemResolvers(Port(ctx));

    public static TimeSpan Timeout(VerbContext ctx) => ctx.Get(DnsArgs.Timeout) ?? TimeSpan.FromSeconds(5);
}
