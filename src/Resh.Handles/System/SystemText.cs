using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>The few number and time spellings shared by system:// results.</summary>
public static class SystemText
{
    public static double Percent(double part, double whole) => whole <= 0 ? 0 : Math.Round(part * 100 / whole, 1);

    public static string Rfc3339(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Rfc3339Millis(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Offset(int seconds)
    {
        var sign = seconds < 0 ? '-' : '+';
        var abs = Math.Abs(seconds);
        return $"{sign}{abs / 3600:00}:{abs % 3600 / 60:00}";
    }

    /// <summary>"3d 4h 5m", "4h 5m", "5m 12s": two units at most.</summary>
    public static string Duration(double seconds)
    {
        var total = (long)Math.Max(0, seconds);
        long d = total / 86400, h = total % 86400 / 3600, m = total % 3600 / 60, s = total % 60;
        if (d > 0) return h > 0 || m > 0 ? $"{d}d {h}h {m}m" : $"{d}d";
        if (h > 0) return $"{h}h {m}m";
        return m > 0 ? $"{m}m {s}s" : $"{s}s";
    }

    public static string Size(long bytes) => Resh.Core.Values.SizeValue.Human(bytes);

    public static string Number(double v) => v.ToString(CultureInfo.InvariantCulture);
}
