using System.Globalization;

namespace Resh.Core.Values;

/// <summary>Durations as operators write them: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d</c>; a bare number is seconds.</summary>
public static class DurationValue
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var s = text.Trim();
        if (s.Length == 0) return false;
        if (double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds > TimeSpan.MaxValue.TotalSeconds / 2) return false;
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        double totalMs = 0;
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i) return false;
            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            int unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]) || (i < s.Length && s[i] == 'µ')) i++;
            double factor = s[unitStart..i].ToLowerInvariant() switch
            {
                "ns" => 1e-6,
                "us" or "µs" => 1e-3,
                "ms" => 1,
                "s" or "sec" or "secs" => 1000,
                "m" or "min" or "mins" => 60_000,
                "h" or "hr" or "hrs" => 3_600_000,
                "d" or "day" or "days" => 86_400_000,
                "w" => 7 * 86_400_000.0,
                _ => double.NaN,
            };
            if (double.IsNaN(factor)) return false;
            totalMs += n * factor;
        }
        if (totalMs > TimeSpan.MaxValue.TotalMilliseconds / 2) return false;
        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    /// <summary>The shortest exact spelling (<c>1h30m</c>, <c>250ms</c>), for help and defaults.</summary>
    public static string Format(TimeSpan t)
    {
        if (t == TimeSpan.Zero) return "0s";
        var ms = (long)t.TotalMilliseconds;
        if (ms % 1000 != 0) return ms + "ms";
        var sec = ms / 1000;
        var parts = new List<string>();
        if (sec >= 86400 && sec % 86400 == 0) return sec / 86400 + "d";
        if (sec >= 3600) { parts.Add(sec / 3600 + "h"); sec %= 3600; }
        if (sec >= 60) { parts.Add(sec / 60 + "m"); sec %= 60; }
        if (sec > 0) parts.Add(sec + "s");
        return string.Concat(parts);
    }
}
