using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetRoutesList
{
    static readonly Arg<string?> Family = Arg.Enum("family", "Which routes.", ["all", "inet", "inet6"], "all");
    static readonly Arg<string?> Table = Arg.String("table", "Routing table: main, local, all or a number.", "main");

    public static readonly VerbInfo Verb = VerbInfo.Define("routes", Effect.Read,
        "The routing table (ip -j route show), IPv4 and IPv6.",
        [Family, Table], () => NetJson.Default.NetRoutesResult, RunAsync,
        examples: [new("net://.routes", "Routes of the main table."), new("net://eth0.routes family=inet", "IPv4 routes through eth0.")],
        targetHelp: "An interface name (only its routes), or empty.");

    static async ValueTask<Outcome<NetRoutesResult>> RunAsync(VerbContext ctx)
    {
        var dev = ctx.Target.Length == 0 ? null : NetTarget.RequireInterface(ctx);
        var table = Routes.TableArg(ctx.Get(Table)!);
        var family = ctx.Get(Family)!;
        var list = new List<NetRoute>();
        foreach (var f in family == "all" ? ["inet", "inet6"] : new[] { family })
        {
            var args = new List<string> { f == "inet" ? "-4" : "-6", "route", "show", "table", table };
            if (dev is not null) args.AddRange(["dev", dev]);
            foreach (var r in await IpTool.ReadAsync(args, ctx.Cancellation).ConfigureAwait(false))
                list.Add(Routes.FromJson(r, f, dev));
        }
        return new NetRoutesResult(list.Count, list);
    }
}

internal static class Routes
{
    public static NetRoute FromJson(JsonNode? r, string family, string? dev) => new(family, IpTool.Str(r, "dst") ?? "default", IpTool.Str(r, "gateway"),
        IpTool.Str(r, "dev") ?? dev, IpTool.Str(r, "type") ?? "unicast", IpTool.Str(r, "protocol"), IpTool.Str(r, "scope"), IpTool.Long(r, "metric"),
        IpTool.Str(r, "prefsrc"), IpTool.Str(r, "table"), IpTool.Strings(r, "flags"));

    /// <summary>A table name ip understands: a word of letters or a number; never an option.</summary>
    public static string TableArg(string table)
    {
        if (table.Length is 0 or > 32 || !table.All(c => char.IsAsciiLetterOrDigit(c) || c is '_'))
            throw new Resh.Core.Errors.ReshException(Resh.Core.Errors.ReshError.Usage($"'{NetTarget.Show(table)}' is not a routing table.", "Use main, local, all or a table number."));
        return table;
    }
}
