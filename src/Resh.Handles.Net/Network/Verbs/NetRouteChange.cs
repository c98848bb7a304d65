using System.Globalization;
using System.Net;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

internal static class RouteArgs
{
    public static readonly Arg<string?> Via = Arg.String("via", "Gateway address.", aliases: ["gateway"]);
    public static readonly Arg<string?> Dev = Arg.String("dev", "Output interface.");
    public static readonly Arg<long?> Metric = Arg.Int("metric", "Route metric (priority).", min: 0, max: uint.MaxValue);
    public static readonly Arg<string?> Table = Arg.String("table", "Routing table: main, local or a number.", "main");

    public record Spec(string Destination, string Family, string? Via, string? Dev, long? Metric, string Table)
    {
        public List<string> Selector()
        {
            var args = new List<string> { Family == "inet" ? "-4" : "-6", "route", "show", "table", Table, "exact", Destination };
            return args;
        }

        public List<string> Command(string op)
        {
            var args = new List<string> { Family == "inet" ? "-4" : "-6", "route", op, Destination };
            if (Via is not null) args.AddRange(["via", Via]);
            if (Dev is not null) args.AddRange(["dev", Dev]);
            if (Metric is { } m) args.AddRange(["metric", m.ToString(CultureInfo.InvariantCulture)]);
            args.AddRange(["table", Table]);
            return args;
        }

        public bool Matches(NetRoute r) =>
            (Via is null || (r.Gateway is not null && IPAddress.TryParse(r.Gateway, out var g) && g.ToString() == Via)) &&
            (Dev is null || r.Dev == Dev) &&
            (Metric is null || (r.Metric ?? 0) == Metric) &&
            r.Type is null or "unicast";

        public NetRouteChangeResult Result(string action) => new(Destination, Via, Dev, Metric, Table, action);
    }

    public static Spec Parse(VerbContext ctx, bool needsNextHop)
    {
        if (ctx.Target.Length == 0)
            throw new Resh.Core.Errors.ReshException(Resh.Core.Errors.ReshError.Usage($"{ctx.Verb.Name} needs a destination.",
                $"Write it as the target: net://192.0.2.0/24.{ctx.Verb.Name}(via=10.0.0.1), or net://default.{ctx.Verb.Name}."));
        var (dest, family) = NetTarget.Destination(ctx.Target);
        string? via = null;
        if (ctx.Get(Via) is { } v)
        {
            var (gw, _, _) = NetTarget.Cidr(v, "via");
            via = gw.ToString();
            var gwFamily = gw.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "inet" : "inet6";
            if (dest == "default") family = gwFamily;
            else if (gwFamily != family)
                throw new Resh.Core.Errors.ReshException(Resh.Core.Errors.ReshError.Usage($"Gateway {via} is not of the destination's family.", "Use an IPv4 gateway for an IPv4 route and IPv6 for IPv6."));
        }
        var dev = ctx.Get(Dev) is { } d ? NetTarget.Interface(d) : null;
        if (needsNextHop && via is null && dev is null)
            throw new Resh.Core.Errors.ReshException(Resh.Core.Errors.ReshError.Usage("A route needs via= or dev=.", $"e.g. net://{ctx.Target}.route.add(via=192.0.2.1)"));
        return new Spec(dest, family, via, dev, ctx.Get(Metric), Routes.TableArg(ctx.Get(Table)!));
    }

    public static async Task<List<NetRoute>> ExistingAsync(Spec spec, CancellationToken ct) =>
        (await IpTool.ReadAsync(spec.Selector(), ct).ConfigureAwait(false)).Select(r => Routes.FromJson(r, spec.Family, null)).ToList();
}

public static class NetRouteAdd
{
    public static readonly VerbInfo Verb = VerbInfo.Define("route.add", Effect.Mutate,
        "Add a route (or replace one to the same destination and metric); a route already as asked is changed: false.",
        [RouteArgs.Via, RouteArgs.Dev, RouteArgs.Metric, RouteArgs.Table], () => NetJson.Default.NetRouteChangeResult, RunAsync,
        examples: [new("'net://198.51.100.0/24.route.add(via=192.0.2.1)'", "ip route add 198.51.100.0/24 via 192.0.2.1."),
                   new("'net://default.route.add(via=192.0.2.1,dev=eth0)' --dry-run", "Say whether the default route would change.")],
        notes: "A route to the same destination with the same metric but another gateway or interface is replaced (ip route replace), as a " +
               "declarative tool would; the result says `replaced`. Needs root or CAP_NET_ADMIN when something changes.",
        targetHelp: "The destination: a prefix (198.51.100.0/24, 2001:db8::/32), an address, `default` (IPv4, or IPv6 with an IPv6 via=) or `default6`.");

    static async ValueTask<Outcome<NetRouteChangeResult>> RunAsync(VerbContext ctx)
    {
        var spec = RouteArgs.Parse(ctx, needsNextHop: true);
        var existing = await RouteArgs.ExistingAsync(spec, ctx.Cancellation).ConfigureAwait(false);
        if (existing.Any(spec.Matches)) return spec.Result("present");
        var sameKey = existing.Any(r => (r.Metric ?? 0) == (spec.Metric ?? 0) && r.Type is null or "unicast");
        var action = sameKey ? "replaced" : "added";
        if (!IpTool.IsRoot && !await Addresses.CanChange(ctx).ConfigureAwait(false)) return IpTool.PermissionDenied($"add a route to {spec.Destination}", dryRun: ctx.DryRun);
        if (ctx.DryRun) return Outcome.Changed(spec.Result(action));
        await IpTool.ChangeAsync(spec.Command(sameKey ? "replace" : "add"), ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(spec.Result(action));
    }
}

public static class NetRouteDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("route.delete", Effect.Destroy,
        "Delete a route; no matching route is changed: false.",
        [RouteArgs.Via, RouteArgs.Dev, RouteArgs.Metric, RouteArgs.Table], () => NetJson.Default.NetRouteChangeResult, RunAsync,
        examples: [new("net://198.51.100.0/24.route.delete", "ip route del 198.51.100.0/24."),
                   new("'net://default.route.delete(via=192.0.2.1)'", "Delete the default route through 192.0.2.1 only.")],
        notes: "via=, dev= and metric= narrow which route is deleted. Needs root or CAP_NET_ADMIN when something changes.",
        targetHelp: "The destination: a prefix, an address, `default` or `default6`.");

    static async ValueTask<Outcome<NetRouteChangeResult>> RunAsync(VerbContext ctx)
    {
        var spec = RouteArgs.Parse(ctx, needsNextHop: false);
        var existing = await RouteArgs.ExistingAsync(spec, ctx.Cancellation).ConfigureAwait(false);
        if (!existing.Any(spec.Matches)) return spec.Result("absent");
        if (!IpTool.IsRoot && !await Addresses.CanChange(ctx).ConfigureAwait(false)) return IpTool.PermissionDenied($"delete the route to {spec.Destination}", dryRun: ctx.DryRun);
        if (ctx.DryRun) return Outcome.Changed(spec.Result("deleted"));
        await IpTool.ChangeAsync(spec.Command("del"), ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(spec.Result("deleted"));
    }
}
