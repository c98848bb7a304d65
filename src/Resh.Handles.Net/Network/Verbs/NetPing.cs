using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetPing
{
    static readonly Arg<long?> Count = Arg.Int("count", "Echo requests to send.", 4, min: 1, max: 100_000, aliases: ["c"]);
    static readonly Arg<TimeSpan?> Interval = Arg.Duration("interval", "Time between requests (at least 200ms without root, as ping).", TimeSpan.FromSeconds(1), aliases: ["i"]);
    static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait", "How long to wait for each reply.", TimeSpan.FromSeconds(2), aliases: ["W"]);
    static readonly Arg<long?> Size = Arg.Int("size", "Payload bytes per request (ping -s).", 56, min: 0, max: 65_000, aliases: ["s"]);
    internal static readonly Arg<string?> Family = Arg.Enum("family", "Address family when a name has both.", ["all", "inet", "inet6"], "all");

    public static readonly VerbInfo Verb = VerbInfo.Define("ping", Effect.Read,
        "ICMP echo: loss and round-trip min/avg/max/mdev, like ping's summary.",
        [Count, Interval, Wait, Size, Family], () => NetJson.Default.NetPingResult, RunAsync, human: Human,
        examples: [new("net://127.0.0.1.ping count=3", "Three echo requests to loopback."), new("'net://db01.example.com.ping(count=10,interval=200ms)'", "Ten, five per second.")],
        notes: "Unprivileged ping sockets (SOCK_DGRAM ICMP, allowed for the groups in net.ipv4.ping_group_range) are used first; raw sockets when those are " +
               "refused (root or CAP_NET_RAW); when both are refused, the system's ping command (setuid or cap_net_raw), its reply lines read in the C locale. A host that answers none of the requests is `unavailable` (exit status like ping's 1) with the statistics in details; " +
               "partial loss is ok with loss_percent. TTL is reported with raw sockets only.",
        targetHelp: "A host name or address ([v6] brackets optional).");

    static async ValueTask<Outcome<NetPingResult>> RunAsync(VerbContext ctx)
    {
        var host = NetTarget.Host(ctx.Target);
        var (addresses, _) = await NetTarget.ResolveAsync(host, ctx.Get(Family)!, ctx.Cancellation).ConfigureAwait(false);
        var address = ctx.Get(Family) == "all" ? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0] : addresses[0];
        var count = (int)ctx.Get(Count)!.Value;
        var interval = ctx.Get(Interval)!.Value;
        if (interval < TimeSpan.FromMilliseconds(200) && !IpTool.IsRoot)
            return ReshError.Usage("An interval under 200ms needs root (as with ping).", "Use interval=200ms or more, or run as root.");
        var wait = ctx.Get(Wait)!.Value;
        var size = (int)ctx.Get(Size)!.Value;
        using var echo = IcmpEcho.Open(address.AddressFamily);
        if (echo is null)
        {
            // Neither socket is allowed (ping_group_range excludes this user's groups, no CAP_NET_RAW): the system's ping
            // usually still works (setuid or cap_net_raw), so resh uses it as an operator would.
            var hint = "Allow ping sockets for your group (sysctl net.ipv4.ping_group_range=\"0 2147483647\"), install iputils-ping (/bin/ping), or run as root.";
            if (SystemPing.Path is not { } ping)
                return ReshError.PermissionDenied("This user may open neither an ICMP ping socket nor a raw socket, and no ping command is installed.", hint,
                    new JsonObject { ["host"] = host });
            var (viaPing, error) = await SystemPing.RunAsync(ping, address, count, interval, wait, size, ctx.Cancellation).ConfigureAwait(false);
            if (viaPing is null)
                return ReshError.PermissionDenied($"This user may open neither an ICMP ping socket nor a raw socket, and {ping} failed too: {NetTarget.Show(error)}", hint,
                    new JsonObject { ["host"] = host, ["command"] = ping });
            return Finish(host, address.ToString(), $"ping command ({ping})", count, viaPing);
        }
        var replies = new List<NetPingReply>();
        var start = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            var due = interval * i - start.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, ctx.Cancellation).ConfigureAwait(false);
            var seq = (ushort)(i + 1);
            IcmpAnswer? answer;
            try { answer = echo.Probe(address, seq, size, wait, errors: false, ctx.Cancellation); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable)
            {
                return ReshError.NotFound($"No route to {address} ({e.Message}).", "Check the routes: net://.routes", new JsonObject { ["host"] = host, ["address"] = address.ToString() });
            }
            if (answer is { } a) replies.Add(new NetPingReply(seq, Math.Round(a.RttMs, 3), a.Ttl, a.Bytes));
        }
        return Finish(host, address.ToString(), echo.Method, count, replies);
    }

    static Outcome<NetPingResult> Finish(string host, string address, string method, int count, List<NetPingReply> replies)
    {
        if (replies.Count == 0)
            return ReshError.Unavailable($"{host} answered none of {count} echo requests.", "Check that the host is up and that ICMP is not filtered; net://HOST:PORT.tcp checks a TCP port instead.",
                new JsonObject { ["host"] = host, ["address"] = address, ["transmitted"] = count, ["received"] = 0, ["loss_percent"] = 100.0, ["method"] = method });
        return Summarise(host, address, method, count, replies);
    }

    static NetPingResult Summarise(string host, string address, string method, int sent, List<NetPingReply> replies)
    {
        double? min = null, avg = null, max = null, mdev = null;
        if (replies.Count > 0)
        {
            var rtts = replies.Select(r => r.RttMs).ToList();
            var mean = rtts.Average();
            var meanSq = rtts.Average(r => r * r);
            min = rtts.Min(); max = rtts.Max(); avg = Math.Round(mean, 3);
            mdev = Math.Round(Math.Sqrt(Math.Max(0, meanSq - mean * mean)), 3); // iputils: sqrt(E[x²] - E[x]²)
        }
        var loss = Math.Round(100.0 * (sent - replies.Count) / sent, 1);
        return new NetPingResult(host, address, method, sent, replies.Count, loss, min, avg, max, mdev, replies);
    }

    static string Human(NetPingResult r) =>
        $"{r.Host} ({r.Address}): {r.Transmitted} transmitted, {r.Received} received, {r.LossPercent}% loss" +
        (r.RttAvgMs is null ? "\n" : $"\nrtt min/avg/max/mdev = {r.RttMinMs:0.000}/{r.RttAvgMs:0.000}/{r.RttMaxMs:0.000}/{r.RttMdevMs:0.000} ms\n");
}
