using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetNeighbors
{
    static readonly Arg<string?> Family = Arg.Enum("family", "Which table: ARP (inet), NDP (inet6) or both.", ["all", "inet", "inet6"], "all");

    public static readonly VerbInfo Verb = VerbInfo.Define("neighbors", Effect.Read,
        "The neighbour tables: ARP and NDP entries with link-layer address and state (ip -j neigh).",
        [Family], () => NetJson.Default.NetNeighborsResult, RunAsync,
        examples: [new("net://.neighbors", "Every ARP and NDP entry."), new("net://eth0.neighbors family=inet", "The ARP entries of eth0.")],
        targetHelp: "An interface name, or empty for all.");

    static async ValueTask<Outcome<NetNeighborsResult>> RunAsync(VerbContext ctx)
    {
        var dev = ctx.Target.Length == 0 ? null : NetTarget.RequireInterface(ctx);
        var family = ctx.Get(Family)!;
        var list = new List<NetNeighbor>();
        foreach (var f in family == "all" ? ["inet", "inet6"] : new[] { family })
        {
            var args = new List<string> { f == "inet" ? "-4" : "-6", "neigh", "show" };
            if (dev is not null) args.AddRange(["dev", dev]);
            foreach (var n in await IpTool.ReadAsync(args, ctx.Cancellation).ConfigureAwait(false))
                list.Add(new NetNeighbor(f, IpTool.Str(n, "dst") ?? "", IpTool.Str(n, "dev") ?? dev, IpTool.Str(n, "lladdr"), IpTool.Strings(n, "state"),
                    n?["router"] is not null));
        }
        return new NetNeighborsResult(list.Count, list);
    }
}
