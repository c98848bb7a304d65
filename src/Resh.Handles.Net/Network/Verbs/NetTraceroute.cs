using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetTraceroute
{
    static readonly Arg<long?> MaxHops = Arg.Int("max_hops", "Give up after this many hops.", 30, min: 1, max: 255, aliases: ["m"]);
    static readonly Arg<long?> Queries = Arg.Int("queries", "Probes per hop.", 3, min: 1, max: 10, aliases: ["q"]);
    static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait", "How long to wait for each probe's answer.", TimeSpan.FromSeconds(1), aliases: ["w"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("traceroute", Effect.Read,
        "The routers on the way to a host: ICMP echo probes with growing TTL (traceroute -I), each hop's address and round-trip times.",
        [MaxHops, Queries, Wait, NetPing.Family], () => NetJson.Default.NetTracerouteResult, RunAsync, human: Human,
        examples: [new("net://192.0.2.10.traceroute", "Hops to 192.0.2.10."), new("'net://db01.example.com.traceroute(max_hops=10,queries=1)'", "One probe per hop, at most 10 hops.")],
        notes: "Needs a raw ICMP socket (root or CAP_NET_RAW): the routers' time-exceeded answers reach only raw sockets. " +
               "A hop with no answer has address null (traceroute's `*`).",
        targetHelp: "A host name or address.");

    static async ValueTask<Outcome<NetTracerouteResult>> RunAsync(VerbContext ctx)
    {
        var host = NetTarget.Host(ctx.Target);
        var (addresses, _) = await NetTarget.ResolveAsync(host, ctx.Get(NetPing.Family)!, ctx.Cancellation).ConfigureAwait(false);
        var address = ctx.Get(NetPing.Family) == "all" ? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0] : addresses[0];
        using var echo = IcmpEcho.Open(address.AddressFamily, rawOnly: true);
        if (echo is null)
            return ReshError.PermissionDenied("traceroute needs a raw ICMP socket, which only root (or CAP_NET_RAW) may open.",
                "Run it as root; net://HOST.ping works without root.", new JsonObject { ["host"] = host });
        var hops = new List<NetHop>();
        var reached = false;
        ushort seq = 0;
        var queries = (int)ctx.Get(Queries)!.Value;
        for (int ttl = 1; ttl <= ctx.Get(MaxHops)!.Value && !reached; ttl++)
        {
            echo.Ttl = ttl;
            string? from = null, kind = null;
            var rtts = new List<double>();
            int lost = 0;
            for (int q = 0; q < queries; q++)
            {
                IcmpAnswer? a;
                try { a = echo.Probe(address, ++seq, 32, ctx.Get(Wait)!.Value, errors: true, ctx.Cancellation); }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable)
                {
                    return ReshError.NotFound($"No route to {address} ({e.Message}).", "Check the routes: net://.routes", new JsonObject { ["host"] = host });
                }
                if (a is not { } answer) { lost++; continue; }
                from ??= answer.From.ToString();
                kind ??= answer.Kind;
                rtts.Add(Math.Round(answer.RttMs, 3));
                if (answer.Kind is "echo-reply" or "unreachable") reached = answer.Kind == "echo-reply" || reached;
            }
            hops.Add(new NetHop(ttl, from, rtts, lost, kind));
            if (kind == "unreachable") break;
        }
        return new NetTracerouteResult(host, address.ToString(), reached, hops);
    }

    static string Human(NetTracerouteResult r) =>
        $"traceroute to {r.Host} ({r.Address})\n" + string.Concat(r.Hops.Select(h =>
            $"{h.Ttl,3}  {h.Address ?? "*"}  {string.Join("  ", h.RttMs.Select(t => t.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) + " ms"))}{string.Concat(Enumerable.Repeat("  *", h.Lost))}\n"));
}
