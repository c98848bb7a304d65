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

    /// <summary>timeout= per try; without it, resolv.conf's `options timeout:N` when the system's resolvers are asked (as dig does), else 5 s.</summary>
    public static TimeSpan Timeout(VerbContext ctx) =>
        !ctx.IsSet(DnsArgs.Timeout) && UsesSystem(ctx) ? TimeSpan.FromSeconds(DnsServers.SystemConfig().Timeout) : ctx.Get(DnsArgs.Timeout) ?? TimeSpan.FromSeconds(5);

    /// <summary>Tries per query: resolv.conf's `options attempts:N` for the system's resolvers, else 2.</summary>
    public static int Tries(VerbContext ctx) => UsesSystem(ctx) ? DnsServers.SystemConfig().Attempts : 2;

    static bool UsesSystem(VerbContext ctx) => ctx.Get(DnsArgs.Server) is not { Length: > 0 };
}
