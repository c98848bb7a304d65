using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>/proc/uptime: seconds since boot and the summed idle seconds of all CPUs ("350735.47 234388.90").</summary>
public static class ProcUptime
{
    public const string Path = "/proc/uptime";

    public static (double Uptime, double Idle)? Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 2) return null;
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var up)) return null;
        if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var idle)) return null;
        return (up, idle);
    }
}
