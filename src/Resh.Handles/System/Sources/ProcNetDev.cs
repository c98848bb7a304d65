using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>Traffic counters of one interface since it was created.</summary>
[System.ComponentModel.Description("Traffic counters since the interface was created.")]
public sealed record NetCounters(
    long RxBytes, long RxPackets, long RxErrors,
    [property: System.ComponentModel.Description("Received packets dropped (includes missed, as /proc/net/dev counts them).")] long RxDropped,
    long TxBytes, long TxPackets, long TxErrors, long TxDropped,
    [property: System.ComponentModel.Description("Multicast packets received.")] long Multicast,
    long Collisions);

/// <summary>
/// /proc/net/dev: the counters of every interface of this network namespace in one read (rather than
/// eight sysfs files per interface). Columns: rx bytes packets errs drop fifo frame compressed multicast,
/// then tx bytes packets errs drop fifo colls carrier compressed.
/// </summary>
public static class ProcNetDev
{
    public const string Path = "/proc/net/dev";

    public static Dictionary<string, NetCounters> Parse(string text)
    {
        var result = new Dictionary<string, NetCounters>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 16) continue;
            var v = new long[16];
            bool ok = true;
            for (int i = 0; i < 16 && ok; i++) ok = long.TryParse(f[i], NumberStyles.None, CultureInfo.InvariantCulture, out v[i]);
            if (!ok) continue;
            result[name] = new NetCounters(v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11], v[7], v[13]);
        }
        return result;
    }
}
