using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Values;

namespace Resh.Handles.Log;

/// <summary>Timestamps as logs write them, and the since=/until= values a caller gives.</summary>
public static class LogTime
{
    static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>
    /// since=/until=: a duration back from now (1h, 30m, 2d), a date or date-time (2026-12-06, 2026-12-06T10:00:00Z,
    /// "2026-12-06 10:00", local time without an offset), @UNIXSECONDS, now, today or yesterday.
    /// </summary>
    public static DateTimeOffset ParseBound(string value, string argName, DateTimeOffset now)
    {
        var v = value.Trim();
        if (v.StartsWith('-')) v = v[1..];
        switch (v)
        {
            case "now": return now;
            case "today": return new DateTimeOffset(now.ToLocalTime().Date, now.ToLocalTime().Offset);
            case "yesterday": return new DateTimeOffset(now.ToLocalTime().Date.AddDays(-1), now.ToLocalTime().Offset);
        }
        if (v.StartsWith('@') && double.TryParse(v.AsSpan(1), NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch))
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(epoch * 1000));
        if (v.Length > 0 && !v.Contains('-') && !v.Contains(':') && DurationValue.TryParse(v, out var ago)) return now - ago;
        if (Iso(v.AsSpan(), out var t, out var used) && used == v.Length) return t;
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var any)) return any;
        throw ReshError.Usage($"{argName}= `{value}` is neither a duration nor a time.",
            $"Examples: {argName}=1h (an hour ago), {argName}=2026-12-06, {argName}=2026-12-06T10:00:00Z, {argName}=@1765000000.").ToException();
    }

    /// <summary>RFC 3339 output, UTC.</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// ISO 8601 / RFC 3339 at the start of <paramref name="s"/>: yyyy-MM-dd[T ]HH:mm:ss[.frac][Z|±hh:mm|±hhmm], also with
    /// '/' between the date parts (nginx's error log). Without an offset the time is local. A date alone is midnight.
    /// </summary>
    public static bool Iso(ReadOnlySpan<char> s, out DateTimeOffset value, out int used)
    {
        value = default; used = 0;
        if (s.Length < 10 || !Digits(s, 0, 4, out var year) || s[4] is not ('-' or '/') || !Digits(s, 5, 2, out var month) || s[7] != s[4]
            || !Digits(s, 8, 2, out var day)) return false;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year is >= 1 and <= 9999 ? year : 2000, month)) return false;
        if (s.Length == 10 || s[10] is not ('T' or ' ' or 't') || s.Length < 19 || !Digits(s, 11, 2, out _))
        {
            if (s.Length > 10 && char.IsAsciiDigit(s[10])) return false;
            value = new DateTimeOffset(new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified), LocalOffset(new DateTime(year, month, day)));
            used = 10;
            return true;
        }
        if (!Digits(s, 11, 2, out var hour) || s[13] != ':' || !Digits(s, 14, 2, out var minute)) return false;
        int i = 16, second = 0;
        if (i < s.Length && s[i] == ':')
        {
            if (!Digits(s, 17, 2, out second)) return false;
            i = 19;
        }
        if (hour > 23 || minute > 59 || second > 60) return false;
        long ticks = 0;
        if (i < s.Length && s[i] is '.' or ',')
        {
            int start = ++i;
            long frac = 0; int n = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { if (n < 7) { frac = frac * 10 + (s[i] - '0'); n++; } i++; }
            if (i == start) return false;
            for (; n < 7; n++) frac *= 10;
            ticks = frac;
        }
        var local = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified).AddTicks(ticks);
        TimeSpan offset;
        if (i < s.Length && s[i] is 'Z' or 'z') { offset = TimeSpan.Zero; i++; }
        else if (i < s.Length && s[i] is '+' or '-' && Digits(s, i + 1, 2, out var oh))
        {
            int sign = s[i] == '-' ? -1 : 1, om = 0;
            if (i + 5 < s.Length + 0 && s.Length >= i + 6 && s[i + 3] == ':' && Digits(s, i + 4, 2, out om)) i += 6;
            else if (s.Length >= i + 5 && Digits(s, i + 3, 2, out om)) i += 5;
            else i += 3;
            if (oh > 14 || om > 59) return false;
            offset = sign * new TimeSpan(oh, om, 0);
        }
        else offset = LocalOffset(local);
        used = i;
        value = new DateTimeOffset(local, offset);
        return true;
    }

    /// <summary>RFC 3164's "Mmm dd HH:mm:ss" (day padded with a space or a zero): local time, the year the one that puts it nearest before now.</summary>
    public static bool Bsd(ReadOnlySpan<char> s, DateTimeOffset now, out DateTimeOffset value, out int used)
    {
        value = default; used = 0;
        if (s.Length < 15 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':') return false;
        int month = Array.IndexOf(Months, s[..3].ToString()) + 1;
        if (month == 0) return false;
        int day = s[4] == ' ' ? (char.IsAsciiDigit(s[5]) ? s[5] - '0' : -1) : (Digits(s, 4, 2, out var d) ? d : -1);
        if (day is < 1 or > 31 || !Digits(s, 7, 2, out var h) || !Digits(s, 10, 2, out var m) || !Digits(s, 13, 2, out var sec) || h > 23 || m > 59 || sec > 60) return false;
        var localNow = now.ToLocalTime();
        int year = localNow.Year;
        if (day > DateTime.DaysInMonth(year, month)) { if (month == 2 && day == 29) year = LastLeap(year); else return false; }
        var dt = new DateTime(year, month, day, h, m, Math.Min(sec, 59), DateTimeKind.Unspecified);
        // A line from December read in January belongs to last year.
        if (dt > localNow.DateTime.AddDays(1)) dt = dt.AddYears(-1);
        used = 15;
        int i = 15;
        if (i < s.Length && s[i] == '.') { i++; long frac = 0; int n = 0; while (i < s.Length && char.IsAsciiDigit(s[i])) { if (n < 7) { frac = frac * 10 + s[i] - '0'; n++; } i++; } for (; n < 7; n++) frac *= 10; dt = dt.AddTicks(frac); used = i; }
        value = new DateTimeOffset(dt, LocalOffset(dt));
        return true;
    }

    /// <summary>The access-log time "10/Oct/2000:13:55:36 -0700" (inside the brackets).</summary>
    public static bool Clf(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[20] != ' ') return false;
        int month = Array.IndexOf(Months, s[3..6].ToString()) + 1;
        if (month == 0 || !Digits(s, 0, 2, out var day) || !Digits(s, 7, 4, out var year) || !Digits(s, 12, 2, out var h) || !Digits(s, 15, 2, out var m)
            || !Digits(s, 18, 2, out var sec) || !Digits(s, 22, 2, out var oh) || !Digits(s, 24, 2, out var om)) return false;
        if (day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month) || h > 23 || m > 59 || sec > 60 || oh > 14 || om > 59) return false;
        var offset = new TimeSpan(oh, om, 0) * (s[21] == '-' ? -1 : 1);
        value = new DateTimeOffset(new DateTime(year, month, day, h, m, Math.Min(sec, 59)), offset);
        return true;
    }

    /// <summary>A number as a time: seconds, milliseconds or microseconds since the epoch, by size.</summary>
    public static DateTimeOffset? Epoch(double n)
    {
        if (double.IsNaN(n) || n <= 0) return null;
        if (n > 1e17) n /= 1e9; else if (n > 1e14) n /= 1e6; else if (n > 1e11) n /= 1e3;
        if (n > 253402300799) return null;
        return DateTimeOffset.FromUnixTimeMilliseconds((long)(n * 1000));
    }

    /// <summary>Any of the textual forms above (for a JSON or logfmt time field).</summary>
    public static DateTimeOffset? Any(string text, DateTimeOffset now)
    {
        var s = text.AsSpan().Trim();
        if (Iso(s, out var t, out _)) return t;
        if (Bsd(s, now, out t, out _)) return t;
        if (Clf(s, out t)) return t;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return Epoch(n);
        return null;
    }

    static int LastLeap(int year) { while (!DateTime.IsLeapYear(year)) year--; return year; }

    static TimeSpan LocalOffset(DateTime local)
    {
        try { return TimeZoneInfo.Local.GetUtcOffset(local); }
        catch (ArgumentException) { return TimeSpan.Zero; }
    }

    static bool Digits(ReadOnlySpan<char> s, int at, int count, out int value)
    {
        value = 0;
        if (at < 0 || at + count > s.Length) return false;
        for (int i = at; i < at + count; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }
}
