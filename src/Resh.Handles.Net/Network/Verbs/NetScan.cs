using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Network;

public static class NetScan
{
    static readonly Arg<string?> Ports = Arg.String("ports", "Ports to try: a list of ports and ranges (22,80,8000-8100); at most 65535 ports.", "1-1024", examples: ["22,80,443", "1-65535"]);
    static readonly Arg<long?> Concurrency = Arg.Int("concurrency", "Connections in flight at once.", 100, min: 1, max: 1000);
    static readonly Arg<TimeSpan?> ConnectTimeout = Arg.Duration("connect_timeout", "A port that does not answer within this is counted as filtered.", TimeSpan.FromSeconds(1));

    public static readonly VerbInfo Verb = VerbInfo.Define("scan", Effect.Read,
        "TCP connect scan of a host's ports with bounded concurrency: which are open, how many refused or filtered.",
        [Ports, Concurrency, ConnectTimeout, NetPing.Family], () => NetJson.Default.NetScanResult, RunAsync,
        examples: [new("net://127.0.0.1.scan", "Ports 1-1024 of loopback."), new("'net://192.0.2.10.scan(ports=22,80,443,8000-8100)'", "Some ports of a host.")],
        notes: "A full connect per port (no raw SYN scan, so no root needed); only the first address of a name is scanned. Scan only hosts you are allowed to.",
        targetHelp: "A host name or address.");

    static async ValueTask<Outcome<NetScanResult>> RunAsync(VerbContext ctx)
    {
        var host = NetTarget.Host(ctx.Target);
        var ports = ParsePorts(ctx.Get(Ports)!);
        var (addresses, _) = await NetTarget.ResolveAsync(host, ctx.Get(NetPing.Family)!, ctx.Cancellation).ConfigureAwait(false);
        var address = ctx.Get(NetPing.Family) == "all" ? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0] : addresses[0];
        var timeout = ctx.Get(ConnectTimeout)!.Value;
        var open = new List<NetOpenPort>();
        int closed = 0, filtered = 0;
        var sw = Stopwatch.StartNew();
        var services = Services();
        await Parallel.ForEachAsync(ports, new ParallelOptions { MaxDegreeOfParallelism = (int)ctx.Get(Concurrency)!.Value, CancellationToken = ctx.Cancellation },
            async (port, ct) =>
            {
                var a = await TcpConnect.TryAsync(address, port, timeout, ct).ConfigureAwait(false);
                lock (open)
                {
                    if (a.Open) open.Add(new NetOpenPort(port, services.GetValueOrDefault(port), Math.Round(a.Ms, 3)));
                    else if (a.Outcome == "refused") closed++;
                    else filtered++;
                }
            }).ConfigureAwait(false);
        open.Sort((x, y) => x.Port.CompareTo(y.Port));
        return new NetScanResult(host, address.ToString(), ports.Count, open, closed, filtered, Math.Round(sw.Elapsed.TotalMilliseconds, 3));
    }

    internal static List<int> ParsePorts(string text)
    {
        var set = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-');
            var (lo, hi) = dash < 0 ? (Port(part, text), Port(part, text)) : (Port(part[..dash], text), Port(part[(dash + 1)..], text));
            if (lo > hi) throw Bad(text, $"range {part} runs backwards");
            for (int p = lo; p <= hi; p++) set.Add(p);
        }
        if (set.Count == 0) throw Bad(text, "no port given");
        return [.. set];
    }

    static int Port(string s, string all) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p : throw Bad(all, $"'{NetTarget.Show(s)}' is not a port (1-65535)");

    static ReshException Bad(string text, string why) => new(ReshError.Usage($"ports='{NetTarget.Show(text)}' cannot be used: {why}.", "Write ports and ranges, e.g. ports=22,80,8000-8100 (1-65535)."));

    /// <summary>Port → TCP service name from /etc/services (absent file: no names).</summary>
    static Dictionary<int, string> Services()
    {
        var map = new Dictionary<int, string>();
        string text;
        try { text = File.ReadAllText("/etc/services"); }
        catch (IOException) { return map; }
        catch (UnauthorizedAccessException) { return map; }
        foreach (var line in text.Split('\n'))
        {
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || f[0].StartsWith('#')) continue;
            var slash = f[1].IndexOf('/');
            if (slash > 0 && f[1].AsSpan(slash + 1).SequenceEqual("tcp") && int.TryParse(f[1].AsSpan(0, slash), out var port)) map.TryAdd(port, f[0]);
        }
        return map;
    }
}
