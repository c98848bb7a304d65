using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>One "cpu" or "cpuN" line of /proc/stat, in clock ticks since boot.</summary>
public readonly record struct CpuTimes(int Cpu, long User, long Nice, long System, long Idle, long IoWait, long Irq, long SoftIrq, long Steal)
{
    /// <summary>-1 is the aggregate "cpu" line.</summary>
    public const int AllCpus = -1;

    // guest and guest_nice are already counted in user and nice, so they are left out of the total.
    public long Total => User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;
    public long IdleAll => Idle + IoWait;
}

/// <summary>Parses the CPU lines and btime of /proc/stat.</summary>
public static class ProcStat
{
    public const string Path = "/proc/stat";

    public static List<CpuTimes> ParseCpuTimes(string text)
    {
        var result = new List<CpuTimes>();
        Span<long> v = stackalloc long[8];
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan()[range];
            if (!line.StartsWith("cpu")) { if (result.Count > 0) break; continue; }
            v.Clear();
            int cpu = CpuTimes.AllCpus, field = -1;
            foreach (var partRange in line.Split(' '))
            {
                var part = line[partRange];
                if (part.IsEmpty) continue;
                if (field < 0)
                {
                    if (part.Length > 3 && !int.TryParse(part[3..], NumberStyles.None, CultureInfo.InvariantCulture, out cpu)) break;
                    field = 0;
                    continue;
                }
                if (field >= v.Length) break;
                v[field++] = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            }
            if (field >= 4) result.Add(new CpuTimes(cpu, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));
        }
        return result;
    }

    /// <summary>The boot time in Unix seconds (the "btime" line).</summary>
    public static long? ParseBootTime(string text)
    {
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan()[range];
            if (line.StartsWith("btime ") && long.TryParse(line[6..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t)) return t;
        }
        return null;
    }
}
