using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>/proc/loadavg: "0.20 0.18 0.12 1/80 11206" (1, 5, 15 minute averages, runnable/total tasks, last pid).</summary>
public readonly record struct LoadAvg(double Load1, double Load5, double Load15, long Runnable, long Tasks, long LastPid);

public static class ProcLoadavg
{
    public const string Path = "/proc/loadavg";

    public static LoadAvg? Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 5) return null;
        var slash = parts[3].IndexOf('/');
        if (slash <= 0) return null;
        var ci = CultureInfo.InvariantCulture;
        if (!double.TryParse(parts[0], NumberStyles.Float, ci, out var l1) || !double.TryParse(parts[1], NumberStyles.Float, ci, out var l5)
            || !double.TryParse(parts[2], NumberStyles.Float, ci, out var l15)
            || !long.TryParse(parts[3].AsSpan(0, slash), NumberStyles.None, ci, out var runnable)
            || !long.TryParse(parts[3].AsSpan(slash + 1), NumberStyles.None, ci, out var tasks)
            || !long.TryParse(parts[4], NumberStyles.None, ci, out var lastPid))
            return null;
        return new LoadAvg(l1, l5, l15, runnable, tasks, lastPid);
    }
}
