using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetTcp
{
    internal static readonly Arg<long?> Port = Arg.Int("port", "The port, when the target has none.", min: 1, max: 65535);
    static readonly Arg<TimeSpan?> ConnectTimeout = Arg.Duration("timeout", "Give up on an address that does not answer after this long (as wait= and http://'s timeout=).",
        TimeSpan.FromSeconds(5), aliases: ["connect_timeout"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("tcp", Effect.Read,
        "Check that a TCP port accepts connections, with resolution and connect times (nc -z).",
        [Port, ConnectTimeout, NetPing.Family], () => NetJson.Default.NetTcpResult, RunAsync,
        examples: [new("net://127.0.0.1:5432.tcp", "Is PostgreSQL's port open?"), new("net://db01.example.com.tcp port=443", "The port as an argument.")],
        notes: "Every address of the name is tried in order until one accepts (as nc does). A refused or unreachable port is `unavailable`; " +
               "a port where no address answered at all within timeout= (a firewall dropping the SYN) is `timeout`. Either way the exit status " +
               "is non-zero, like nc -z, with each address's outcome (refused, timeout, unreachable) in details.",
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
        var details = new JsonObject { ["host"] = host, ["port"] = port, ["attempts"] = tried };
        if (tried.All(t => t?["outcome"]?.GetValue<string>() == "timeout"))
            return ReshError.Timeout(
                $"No answer from {host} port {port} within {Resh.Core.Values.DurationValue.Format(ctx.Get(ConnectTimeout)!.Value)}: neither accepted nor refused (filtered by a firewall?).",
                "A firewall on the way or on the host may drop the connection attempts; check its rules, or raise timeout= for a slow network.", details);
        return ReshError.Unavailable($"Nothing accepts connections on {host} port {port}.",
            $"Wait for it with {Resh.Core.Grammar.StageText.Command(ctx.Handle, $"{host}:{port}", "wait")}.", details);
    }
}
