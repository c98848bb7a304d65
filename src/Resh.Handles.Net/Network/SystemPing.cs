using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Network;

/// <summary>
/// The fallback when this user may open neither a ping socket (net.ipv4.ping_group_range) nor a raw socket: the
/// system's ping (iputils, setuid or with cap_net_raw), run with an argv array in the C locale; its per-reply lines
/// ("64 bytes from A: icmp_seq=1 ttl=64 time=0.035 ms") are the replies. The summary is computed by resh, as for
/// the socket paths.
/// </summary>
internal static partial class SystemPing
{
    public static string? Path => new[] { "/usr/bin/ping", "/bin/ping", "/usr/sbin/ping", "/sbin/ping" }.FirstOrDefault(File.Exists) ?? ProcessRunner.Which("ping");

    /// <summary>The replies ping printed; null when it could not run (not installed, or refused too: the caller says so).</summary>
    public static async Task<(List<NetPingReply>? Replies, string Error)> RunAsync(string ping, IPAddress address, int count, TimeSpan interval, TimeSpan wait,
        int size, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var argv = new List<string>
        {
            ping, address.AddressFamily == AddressFamily.InterNetworkV6 ? "-6" : "-4", "-n",
            "-c", count.ToString(inv),
            "-i", interval.TotalSeconds.ToString("0.###", inv),
            "-W", Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(inv),
            "-s", size.ToString(inv),
            "--", address.ToString(),
        };
        var r = await ProcessRunner.RunAsync(argv, new ProcessOptions
        {
            Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C", ["LANG"] = "C" },
        }, ct).ConfigureAwait(false);
        // ping exits 1 when no reply came (that is a result), 2 on an error of its own.
        if (r.ExitCode is not (0 or 1)) return (null, r.LastErrorLine.Trim());
        var replies = new List<NetPingReply>();
        var seen = new HashSet<int>();
        foreach (var line in r.Stdout.Split('\n'))
        {
            var m = ReplyLine().Match(line);
            if (!m.Success) continue;
            var seq = int.Parse(m.Groups["seq"].Value, inv);
            if (!seen.Add(seq)) continue; // a duplicate (DUP!) is not a second reply
            replies.Add(new NetPingReply(seq, Math.Round(double.Parse(m.Groups["time"].Value, inv), 3),
                m.Groups["ttl"].Success ? int.Parse(m.Groups["ttl"].Value, inv) : null, int.Parse(m.Groups["bytes"].Value, inv)));
        }
        return (replies, "");
    }

    [GeneratedRegex(@"^(?<bytes>\d+) bytes from .*?icmp_seq=(?<seq>\d+)(?: (?:ttl|hlim)=(?<ttl>\d+))? time=(?<time>[0-9.]+) ms", RegexOptions.CultureInvariant)]
    private static partial Regex ReplyLine();
}
