using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>The kernel's CPU list format ("0-3,8,10-11"), as in /sys/devices/system/cpu/online.</summary>
public static class CpuList
{
    public static List<int>? Parse(string? text)
    {
        if (text is null) return null;
        var cpus = new List<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-');
            if (dash < 0)
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var one)) return null;
                cpus.Add(one);
                continue;
            }
            if (!int.TryParse(part.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(part.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var to) || to < from || to - from > 1 << 16)
                return null;
            for (int c = from; c <= to; c++) cpus.Add(c);
        }
        return cpus;
    }

    /// <summary>Online CPUs from sysfs; the runtime's count when sysfs is not mounted.</summary>
    public static int OnlineCount() => Parse(ProcFile.ReadTrimmed("/sys/devices/system/cpu/online"))?.Count ?? Environment.ProcessorCount;
}
