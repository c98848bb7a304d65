using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>The /proc/meminfo fields resh reports, in bytes (the file says kB and means KiB); null when the kernel does not have the line.</summary>
public sealed record MemInfo(
    long? MemTotal, long? MemFree, long? MemAvailable, long? Buffers, long? Cached, long? SReclaimable, long? Shmem,
    long? SwapTotal, long? SwapFree, long? SwapCached, long? Dirty, long? HugePagesTotal, long? HugePagesFree, long? HugePageSize);

/// <summary>Parses /proc/meminfo ("MemTotal:       16318576 kB" lines).</summary>
public static class ProcMeminfo
{
    public const string Path = "/proc/meminfo";

    public static MemInfo Parse(ReadOnlySpan<char> text)
    {
        long? total = null, free = null, available = null, buffers = null, cached = null, sreclaimable = null, shmem = null,
            swapTotal = null, swapFree = null, swapCached = null, dirty = null, hpTotal = null, hpFree = null, hpSize = null;
        foreach (var range in text.Split('\n'))
        {
            var line = text[range];
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var key = line[..colon];
            var rest = line[(colon + 1)..].Trim();
            var unitKb = rest.EndsWith(" kB", StringComparison.Ordinal);
            if (unitKb) rest = rest[..^3].TrimEnd();
            if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) continue;
            var value = unitKb ? n * 1024 : n;
            switch (key)
            {
                case "MemTotal": total = value; break;
                case "MemFree": free = value; break;
                case "MemAvailable": available = value; break;
                case "Buffers": buffers = value; break;
                case "Cached": cached = value; break;
                case "SReclaimable": sreclaimable = value; break;
                case "Shmem": shmem = value; break;
                case "SwapTotal": swapTotal = value; break;
                case "SwapFree": swapFree = value; break;
                case "SwapCached": swapCached = value; break;
                case "Dirty": dirty = value; break;
                case "HugePages_Total": hpTotal = value; break;
                case "HugePages_Free": hpFree = value; break;
                case "Hugepagesize": hpSize = value; break;
            }
        }
        return new MemInfo(total, free, available, buffers, cached, sreclaimable, shmem, swapTotal, swapFree, swapCached, dirty, hpTotal, hpFree, hpSize);
    }
}
