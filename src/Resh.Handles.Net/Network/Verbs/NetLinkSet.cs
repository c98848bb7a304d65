using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetLinkSet
{
    static readonly Arg<string?> State = Arg.Enum("state", "Administrative state.", ["up", "down"]);
    static readonly Arg<long?> Mtu = Arg.Int("mtu", "MTU in bytes, within the interface's own limits (lo takes 65536; the kernel's min_mtu/max_mtu are checked).", min: 1, max: int.MaxValue);

    public static readonly VerbInfo Verb = VerbInfo.Define("link.set", Effect.Mutate,
        "Bring a link up or down and set its MTU; attributes already as asked are left alone (changed: false).",
        [State, Mtu], () => NetJson.Default.NetLinkResult, RunAsync,
        examples: [new("net://eth1.link.set state=up", "ip link set dev eth1 up."), new("net://eth1.link.set mtu=9000 --dry-run", "Show the MTU change without making it.")],
        notes: "Needs root or CAP_NET_ADMIN when something changes. The driver may refuse an MTU it cannot carry (the error names it).",
        targetHelp: "The interface.");

    static async ValueTask<Outcome<NetLinkResult>> RunAsync(VerbContext ctx)
    {
        var dev = NetTarget.RequireInterface(ctx);
        var state = ctx.Get(State);
        var mtu = ctx.Get(Mtu);
        if (state is null && mtu is null) return ReshError.Usage("link.set needs state= or mtu=.", $"e.g. net://{dev}.link.set state=up");
        var (upNow, mtuNow, minMtu, maxMtu) = await ReadAsync(dev, ctx.Cancellation).ConfigureAwait(false);
        // The range is the interface's (ip -d: min_mtu/max_mtu; 0 means the driver sets no bound), not a fixed 65535.
        if (mtu is { } asked && (minMtu > 0 && asked < minMtu || maxMtu > 0 && asked > maxMtu))
            return ReshError.Usage($"{dev} takes an MTU from {minMtu} to {maxMtu}, not {asked}.", $"Choose an mtu= within {minMtu}-{maxMtu} (the kernel's limits for {dev}).");
        var changes = new List<NetLinkChange>();
        var args = new List<string> { "link", "set", "dev", dev };
        if (mtu is { } m && m != mtuNow)
        {
            changes.Add(new("mtu", mtuNow.ToString(CultureInfo.InvariantCulture), m.ToString(CultureInfo.InvariantCulture)));
            args.AddRange(["mtu", m.ToString(CultureInfo.InvariantCulture)]);
        }
        if (state is not null && (state == "up") != upNow)
        {
            changes.Add(new("state", upNow ? "up" : "down", state));
            args.Add(state);
        }
        if (changes.Count == 0) return new NetLinkResult(dev, upNow ? "up" : "down", (int)mtuNow, []);
        if (!IpTool.IsRoot && !await Addresses.CanChange(ctx).ConfigureAwait(false)) return IpTool.PermissionDenied($"change link {dev}", dryRun: ctx.DryRun);
        if (ctx.DryRun) return Outcome.Changed(new NetLinkResult(dev, upNow ? "up" : "down", (int)mtuNow, changes));
        await IpTool.ChangeAsync(args, ctx.Cancellation).ConfigureAwait(false);
        var (upAfter, mtuAfter, _, _) = await ReadAsync(dev, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new NetLinkResult(dev, upAfter ? "up" : "down", (int)mtuAfter, changes));
    }

    static async Task<(bool Up, long Mtu, long MinMtu, long MaxMtu)> ReadAsync(string dev, CancellationToken ct)
    {
        var rows = await IpTool.ReadAsync(["-d", "link", "show", "dev", dev], ct).ConfigureAwait(false);
        var link = rows.Count > 0 ? rows[0] : null;
        return (IpTool.Strings(link, "flags").Contains("UP"), IpTool.Long(link, "mtu") ?? 0, IpTool.Long(link, "min_mtu") ?? 0, IpTool.Long(link, "max_mtu") ?? 0);
    }
}
