using System.Net.Sockets;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetRouteGet
{
    static readonly Arg<string?> From = Arg.String("from", "Source address to ask for (ip route get ... from).");

    public static readonly VerbInfo Verb = VerbInfo.Define("route.get", Effect.Read,
        "The route, gateway, interface and source address the kernel would use for a destination (ip route get).",
        [From], () => NetJson.Default.NetRouteGetResult, RunAsync,
        examples: [new("net://192.0.2.10.route.get", "How this host reaches 192.0.2.10."), new("net://db01.example.com.route.get", "A name is resolved first.")],
        targetHelp: "A host name or address.");

    static async ValueTask<Outcome<NetRouteGetResult>> RunAsync(VerbContext ctx)
    {
        var host = NetTarget.Host(ctx.Target);
        var (addresses, _) = await NetTarget.ResolveAsync(host, "all", ctx.Cancellation).ConfigureAwait(false);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
        var args = new List<string> { address.AddressFamily == AddressFamily.InterNetwork ? "-4" : "-6", "route", "get", address.ToString() };
        if (ctx.Get(From) is { } from) args.AddRange(["from", NetTarget.Cidr(from, "from").Address.ToString()]);
        var rows = await IpTool.ReadAsync(args, ctx.Cancellation).ConfigureAwait(false);
        var r = rows.Count > 0 ? rows[0] : null;
        return new NetRouteGetResult(ctx.Target, IpTool.Str(r, "dst") ?? address.ToString(), IpTool.Str(r, "gateway"), IpTool.Str(r, "dev"),
            IpTool.Str(r, "prefsrc"), IpTool.Str(r, "type"), IpTool.Str(r, "table"), IpTool.Strings(r, "flags"));
    }
}
