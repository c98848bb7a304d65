using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetTcp
{
    internal static readonly Arg<long?> Port = Arg.Int("port", "The port, when the target has none.", min: 1, max: 65535);
    static readonly Arg<TimeSpan?> ConnectTimeout = Arg.Duration("connect_timeout", "Give up on an address after this long.", TimeSpan.FromSeconds(5));

    public static readonly VerbInfo Verb = VerbInfo.Define("tcp", Effect.Read,
        "Check that a TCP port accepts connections, with resolution and connect times (nc -z).",
        [Port, ConnectTimeout, NetPing.Family], () => NetJson.Default.NetTcpResult, RunAsync,
        examples: [new("net://127.0.0.1:5432.tcp", "Is PostgreSQL's port open?"), new("net://db01.example.com.tcp port=443", "The port as an argument.")],
        notes: "Every address of the name is tried in order until one accepts (as nc does). A refused or silent port is `unavailable` " +
               "(exit status non-zero, like nc -z), with each address's outcome (refused, timeout, unreachable) in details.",
        targetHelp: "HOST:PORT ([v6]:PORT), or HOST with port=.");

    static async ValueTask<Outcome<NetTcpResult>> RunAsync(VerbContext ctx)
    {
        var (host, port) = NetTarget.HostPort(ctx.Target, ctx.Get(Port));
        var (addresses, dnsMs) = await NetTarget.ResolveAsync(host, ctx.Get(NetPing.Family)!, ctx.Cancellation).ConfigureAwait(false);
        var tried = new JsonArray();
        foreach (var address in addresses)
        {
            var a = await TcpConnect.TryAsync(address, port, ctx.Get(ConnectTimeout)!.Value, ctx.Cancellation).ConfigureAwait(false);
            if (a.Open) return new NetTcpResult(host, port, address.ToString(), true, Math.Round(dnsMs, 3), Math.Round(a.Ms, 3));
            tried.Add((JsonNode)new JsonObject { ["address"] = address.ToString(), ["outcome"] = a.Outcome, ["ms"] = Math.Round(a.Ms, 3) });
        }
        return ReshError.Unavailable($"Nothing accepts connections on {host} port {port}.",
            $"Wait for it with {Resh.Core.Grammar.StageText.Command(ctx.Handle, $"{host}:{port}", "wait")}.",
            new JsonObject { ["host"] = host, ["port"] = port, ["attempts"] = tried });
    }
}
