using System.Net;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetAddrAdd
{
    internal static readonly Arg<string?> Address = Arg.String("address", "ADDRESS/PREFIX, e.g. 192.0.2.10/24 or 2001:db8::1/64 (no prefix: /32 or /128).",
        required: true, examples: ["192.0.2.10/24"], aliases: ["addr"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("addr.add", Effect.Mutate,
        "Add an IP address to an interface; an address already there is changed: false.",
        [Address], () => NetJson.Default.NetAddrResult, RunAsync,
        examples: [new("net://eth0.addr.add address=192.0.2.10/24", "Add an address (ip addr add 192.0.2.10/24 dev eth0)."),
                   new("net://eth0.addr.add address=2001:db8::10/64 --dry-run", "Say whether it would be added.")],
        notes: "Needs root or CAP_NET_ADMIN when something changes; an IPv6 address is added with nodad (usable at once, as for a static configuration).",
        targetHelp: "The interface.");

    static async ValueTask<Outcome<NetAddrResult>> RunAsync(VerbContext ctx)
    {
        var dev = NetTarget.RequireInterface(ctx);
        var (address, prefix, cidr) = NetTarget.Cidr(ctx.Get(Address)!, "address");
        if (await Addresses.HasAsync(dev, address, prefix, ctx.Cancellation).ConfigureAwait(false))
            return new NetAddrResult(dev, cidr, "present");
        if (!IpTool.IsRoot && !await Addresses.CanChange(ctx).ConfigureAwait(false)) return IpTool.PermissionDenied($"add {cidr} to {dev}", dryRun: ctx.DryRun);
        if (ctx.DryRun) return Outcome.Changed(new NetAddrResult(dev, cidr, "added"));
        var args = new List<string> { "addr", "add", cidr, "dev", dev };
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) args.Add("nodad");
        await IpTool.ChangeAsync(args, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new NetAddrResult(dev, cidr, "added"));
    }
}

public static class NetAddrDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("addr.delete", Effect.Destroy,
        "Remove an IP address from an interface; an address not there is changed: false.",
        [NetAddrAdd.Address], () => NetJson.Default.NetAddrResult, RunAsync,
        examples: [new("net://eth0.addr.delete address=192.0.2.10/24", "Remove an address (ip addr del 192.0.2.10/24 dev eth0).")],
        notes: "Needs root or CAP_NET_ADMIN when something changes. An address given without a prefix is deleted with whatever prefix it has " +
               "on the interface (with a warning, as ip addr del does); with a prefix that does not match, nothing is deleted and a warning names the prefix it has.",
        targetHelp: "The interface.");

    static async ValueTask<Outcome<NetAddrResult>> RunAsync(VerbContext ctx)
    {
        var dev = NetTarget.RequireInterface(ctx);
        var given = ctx.Get(NetAddrAdd.Address)!;
        var (address, prefix, cidr) = NetTarget.Cidr(given, "address");
        if (!await Addresses.HasAsync(dev, address, prefix, ctx.Cancellation).ConfigureAwait(false))
        {
            var prefixes = await Addresses.PrefixesAsync(dev, address, ctx.Cancellation).ConfigureAwait(false);
            if (prefixes.Count == 0) return new NetAddrResult(dev, cidr, "absent");
            if (given.Contains('/'))
            {
                ctx.Warn($"{address} is on {dev} with prefix /{prefixes[0]}, not /{prefix}; nothing was deleted. Give address={address}/{prefixes[0]} to delete it.");
                return new NetAddrResult(dev, cidr, "absent");
            }
            // No prefix given: the address itself is meant, whatever its prefix (as `ip addr del ADDRESS dev DEV`, which warns the same way).
            prefix = prefixes[0];
            cidr = $"{address}/{prefix}";
            ctx.Warn($"address= has no prefix; {cidr}, the address as configured on {dev}, is the one deleted. Give the prefix to be exact.");
        }
        if (!IpTool.IsRoot && !await Addresses.CanChange(ctx).ConfigureAwait(false)) return IpTool.PermissionDenied($"remove {cidr} from {dev}", dryRun: ctx.DryRun);
        if (ctx.DryRun) return Outcome.Changed(new NetAddrResult(dev, cidr, "deleted"));
        await IpTool.ChangeAsync(["addr", "del", cidr, "dev", dev], ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new NetAddrResult(dev, cidr, "deleted"));
    }
}

internal static class Addresses
{
    public static async Task<bool> HasAsync(string dev, IPAddress address, int prefix, CancellationToken ct)
    {
        foreach (var link in await IpTool.ReadAsync(["addr", "show", "dev", dev], ct).ConfigureAwait(false))
            if (link?["addr_info"] is System.Text.Json.Nodes.JsonArray infos)
                foreach (var a in infos)
                    if (IPAddress.TryParse(IpTool.Str(a, "local") ?? "", out var local) && local.Equals(address) && IpTool.Long(a, "prefixlen") == prefix)
                        return true;
        return false;
    }

    /// <summary>The prefix lengths <paramref name="address"/> has on <paramref name="dev"/> (empty when it is not there).</summary>
    public static async Task<List<int>> PrefixesAsync(string dev, IPAddress address, CancellationToken ct)
    {
        var found = new List<int>();
        foreach (var link in await IpTool.ReadAsync(["addr", "show", "dev", dev], ct).ConfigureAwait(false))
            if (link?["addr_info"] is System.Text.Json.Nodes.JsonArray infos)
                foreach (var a in infos)
                    if (IPAddress.TryParse(IpTool.Str(a, "local") ?? "", out var local) && local.Equals(address) && IpTool.Long(a, "prefixlen") is { } p)
                        found.Add((int)p);
        return found;
    }

    /// <summary>Whether this process holds CAP_NET_ADMIN (a non-root process may, through file capabilities or a user namespace).</summary>
    public static Task<bool> CanChange(VerbContext ctx)
    {
        var status = Resh.Handles.Proc.ProcFs.ReadText("/proc/self/status", 64 * 1024) ?? "";
        foreach (var line in status.Split('\n'))
            if (line.StartsWith("CapEff:", StringComparison.Ordinal) &&
                ulong.TryParse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var caps))
                return Task.FromResult((caps & (1UL << 12)) != 0);
        return Task.FromResult(false);
    }
}
