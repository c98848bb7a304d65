using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetWait
{
    static readonly Arg<TimeSpan?> WaitTimeout = Arg.Duration("timeout", "Give up (error `timeout`) after this long.", TimeSpan.FromSeconds(30));
    static readonly Arg<TimeSpan?> Interval = Arg.Duration("interval", "Longest pause between attempts (they start at 50ms and double up to this).", TimeSpan.FromSeconds(1));

    public static readonly VerbInfo Verb = VerbInfo.Define("wait", Effect.Read,
        "Wait until a TCP port accepts connections, or time out: the loop every deploy script writes.",
        [NetTcp.Port, WaitTimeout, Interval], () => NetJson.Default.NetWaitResult, RunAsync,
        examples: [new("'net://127.0.0.1:5432.wait(timeout=30s)'", "Wait up to 30 s for PostgreSQL."), new("net://[::1]:8080.wait", "An IPv6 address.")],
        notes: "A name is resolved again on every attempt (a service may appear in DNS late). Each attempt waits at most for the time left. " +
               "At the timeout the error is `timeout` with the attempts and the last outcome in details.",
        targetHelp: "HOST:PORT ([v6]:PORT), or HOST with port=.");

    static async ValueTask<Outcome<NetWaitResult>> RunAsync(VerbContext ctx)
    {
        var (host, port) = NetTarget.HostPort(ctx.Target, ctx.Get(NetTcp.Port));
        var limit = ctx.Get(WaitTimeout)!.Value;
        var maxPause = ctx.Get(Interval)!.Value;
        var pause = TimeSpan.FromMilliseconds(50);
        var sw = Stopwatch.StartNew();
        int attempts = 0;
        string last = "none";
        while (true)
        {
            var left = limit - sw.Elapsed;
            if (left <= TimeSpan.Zero) break;
            attempts++;
            try
            {
                var (addresses, _) = await NetTarget.ResolveAsync(host, "all", ctx.Cancellation).ConfigureAwait(false);
                foreach (var address in addresses)
                {
                    left = limit - sw.Elapsed;
                    if (left <= TimeSpan.Zero) break;
                    var a = await TcpConnect.TryAsync(address, port, left, ctx.Cancellation).ConfigureAwait(false);
                    if (a.Open) return new NetWaitResult(host, port, address.ToString(), attempts, Math.Round(sw.Elapsed.TotalMilliseconds, 3));
                    last = $"{address}: {a.Outcome}";
                }
            }
            catch (ReshException e) when (e.Error.Code == ErrorCode.NotFound) { last = e.Error.Message; }
            left = limit - sw.Elapsed;
            if (left <= TimeSpan.Zero) break;
            await Task.Delay(pause < left ? pause : left, ctx.Cancellation).ConfigureAwait(false);
            pause = pause * 2 < maxPause ? pause * 2 : maxPause;
        }
        return ReshError.Timeout($"{host} port {port} did not accept a connection within {limit.TotalSeconds:0.###} s.",
            "Check that the service is starting, or wait longer with timeout=.",
            new JsonObject { ["host"] = host, ["port"] = port, ["attempts"] = attempts, ["last"] = last });
    }
}
