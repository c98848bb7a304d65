using System.Globalization;

namespace Resh.Core.Values;

/// <summary>
/// Sizes: <c>512</c> (bytes), <c>10KiB</c>/<c>10K</c> (binary), <c>5MB</c> (decimal), <c>1.5GiB</c>.
/// As with dd, a bare K/M/G/T is binary and KB/MB/GB/TB is decimal.
/// </summary>
public static class SizeValue
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0) return false;
        if (!double.TryParse(s.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
        var unit = s[i..].Trim();
        double factor = unit.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KI" or "KIB" => 1024,
            "KB" => 1000,
            "M" or "MI" or "MIB" => 1024d * 1024,
            "MB" => 1e6,
            "G" or "GI" or "GIB" => 1024d * 1024 * 1024,
            "GB" => 1e9,
            "T" or "TI" or "TIB" => 1024d * 1024 * 1024 * 1024,
            "TB" => 1e12,
            "P" or "PIB" => 1024d * 1024 * 1024 * 1024 * 1024,
            "PB" => 1e15,
            _ => double.NaN,
        };
        if (double.IsNaN(factor)) return false;
        var v = n * factor;
        if (v > long.MaxValue / 2.0 || v < 0) return false;
        bytes = (long)Math.Round(v);
        return true;
    }

    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1 && v % 1024 == 0) { v /= 1024; u++; }
        return v.ToString(CultureInfo.InvariantCulture) + units[u];
    }

    /// <summary>A rounded human size (1.5 GiB) for tables.</summary>
    public static string Human(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        int u = 0;
        while (Math.Abs(v) >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : v.ToString(v < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
