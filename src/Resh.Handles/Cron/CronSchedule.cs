using System.Globalization;
using System.Text;
using Cronos;

namespace Resh.Handles.Cron;

/// <summary>One parsed field of a cron expression: the values it allows and how it was written.</summary>
internal sealed record CronField(string Text, SortedSet<int> Values, bool Star, int Min, int Max)
{
    public bool All => Values.Count == Max - Min + 1;
}

/// <summary>
/// A five-field cron expression (or @daily-style macro) as Debian's cron reads it: validated field by
/// field, explained in words, turned into systemd OnCalendar= specs, and its next run times computed with
/// Cronos in a time zone. When both day-of-month and day-of-week are restricted, cron runs on either (POSIX),
/// so the next times are the union of the two.
/// </summary>
internal sealed class CronSchedule
{
    static readonly string[] MonthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    static readonly string[] DayWords = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    static readonly string[] MonthWords = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[..12];
    static readonly string[] SystemdDays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    CronSchedule(string expression, string? macro, CronField[] fields)
    {
        Expression = expression;
        Macro = macro;
        Fields = fields;
    }

    /// <summary>As written by the user (a macro stays a macro).</summary>
    public string Expression { get; }
    public string? Macro { get; }
    /// <summary>minute, hour, day of month, month, day of week; empty for @reboot.</summary>
    public CronField[] Fields { get; }
    public bool AtReboot => Macro == "@reboot";

    public static bool TryParse(string text, out CronSchedule? schedule, out string? error)
    {
        schedule = null;
        var expr = string.Join(' ', text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        string? macro = null;
        if (expr.StartsWith('@'))
        {
            macro = expr.ToLowerInvariant();
            var expanded = macro switch
            {
                "@yearly" or "@annually" => "0 0 1 1 *",
                "@monthly" => "0 0 1 * *",
                "@weekly" => "0 0 * * 0",
                "@daily" or "@midnight" => "0 0 * * *",
                "@hourly" => "0 * * * *",
                "@reboot" => "",
                _ => null,
            };
            if (expanded is null)
            {
                error = $"`{expr}` is not a cron macro (use @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly).";
                return false;
            }
            if (expanded.Length == 0)
            {
                schedule = new CronSchedule(macro, macro, []);
                error = null;
                return true;
            }
            expr = expanded;
        }
        var parts = expr.Split(' ');
        if (parts.Length != 5)
        {
            error = $"A cron schedule has 5 fields (minute hour day-of-month month day-of-week); `{text.Trim()}` has {parts.Length}.";
            return false;
        }
        var fields = new CronField[5];
        (string Name, int Min, int Max, string[]? Names)[] specs =
            [("minute", 0, 59, null), ("hour", 0, 23, null), ("day of month", 1, 31, null), ("month", 1, 12, MonthNames), ("day of week", 0, 7, DayNames)];
        for (int i = 0; i < 5; i++)
        {
            var (name, min, max, names) = specs[i];
            if (!TryParseField(parts[i], min, max, names, out var values, out error))
            {
                error = $"The {name} field `{parts[i]}` is invalid: {error}";
                return false;
            }
            if (i == 4 && values.Remove(7)) values.Add(0); // 7 is Sunday too
            fields[i] = new CronField(parts[i], values, parts[i].StartsWith('*'), min, i == 4 ? 6 : max);
        }
        schedule = new CronSchedule(macro ?? expr, macro, fields);
        error = null;
        return true;
    }

    static bool TryParseField(string text, int min, int max, string[]? names, out SortedSet<int> values, out string? error)
    {
        values = [];
        error = null;
        foreach (var item in text.Split(','))
        {
            if (item.Length == 0) { error = "an empty list item"; return false; }
            var slash = item.IndexOf('/');
            var range = slash < 0 ? item : item[..slash];
            int step = 1;
            if (slash >= 0 && (!int.TryParse(item[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            {
                error = $"`{item[(slash + 1)..]}` is not a step (a positive number)";
                return false;
            }
            int lo, hi;
            if (range == "*") (lo, hi) = (min, max == 7 ? 6 : max);
            else
            {
                var dash = range.IndexOf('-', 1);
                if (!TryValue(dash < 0 ? range : range[..dash], min, max, names, out lo, out error)) return false;
                hi = lo;
                if (dash >= 0 && !TryValue(range[(dash + 1)..], min, max, names, out hi, out error)) return false;
                if (dash < 0 && slash >= 0) hi = max == 7 ? 6 : max; // "5/10" means 5-max/10
                if (hi < lo) { error = $"the range {range} runs backwards"; return false; }
            }
            for (int v = lo; v <= hi; v += step) values.Add(v);
        }
        return true;
    }

    static bool TryValue(string text, int min, int max, string[]? names, out int value, out string? error)
    {
        error = null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            if (value >= min && value <= max) return true;
            error = $"{value} is outside {min}-{max}";
            return false;
        }
        if (names is not null)
        {
            var i = Array.IndexOf(names, text.ToLowerInvariant());
            if (i >= 0) { value = names == MonthNames ? i + 1 : i; return true; }
        }
        error = $"`{text}` is not a number{(names is null ? "" : " or a name")}";
        return false;
    }

    bool DomRestricted => !Fields[2].Star;
    bool DowRestricted => !Fields[4].Star;

    /// <summary>The expression Cronos evaluates: every field as its explicit value list, so only cron's own syntax matters.</summary>
    string ForCronos(bool dom, bool dow)
    {
        static string L(CronField f) => f.All ? "*" : string.Join(',', f.Values);
        return $"{L(Fields[0])} {L(Fields[1])} {(dom ? L(Fields[2]) : "*")} {L(Fields[3])} {(dow ? L(Fields[4]) : "*")}";
    }

    /// <summary>The next <paramref name="count"/> run times after <paramref name="from"/> in <paramref name="zone"/>.</summary>
    public List<DateTimeOffset> Next(DateTimeOffset from, TimeZoneInfo zone, int count)
    {
        if (AtReboot) return [];
        var exprs = new List<CronExpression>();
        if (DomRestricted && DowRestricted)
        {
            exprs.Add(CronExpression.Parse(ForCronos(dom: true, dow: false), CronFormat.Standard));
            exprs.Add(CronExpression.Parse(ForCronos(dom: false, dow: true), CronFormat.Standard));
        }
        else exprs.Add(CronExpression.Parse(ForCronos(dom: true, dow: true), CronFormat.Standard));
        var times = new SortedSet<DateTimeOffset>();
        foreach (var e in exprs)
        {
            var t = from;
            for (int i = 0; i < count; i++)
            {
                var n = e.GetNextOccurrence(t, zone);
                if (n is null) break;
                times.Add(n.Value);
                t = n.Value;
            }
        }
        return times.Take(count).ToList();
    }

    /// <summary>The schedule in words, e.g. "At 03:00, every day."</summary>
    public string Describe()
    {
        if (AtReboot) return "Once, when the cron daemon starts (at boot).";
        var sb = new StringBuilder();
        var (min, hour, dom, month, dow) = (Fields[0], Fields[1], Fields[2], Fields[3], Fields[4]);
        if (min.Values.Count == 1 && hour.Values.Count == 1)
            sb.Append(CultureInfo.InvariantCulture, $"At {hour.Values.Min:00}:{min.Values.Min:00}");
        else
        {
            sb.Append(min.All ? "Every minute" : Step(min) is { } ms ? $"Every {ms} minutes" : "At minute " + Words(min, null));
            if (!hour.All) sb.Append(min.Values.Count == 1 ? " past hour " : ", during hour ").Append(Words(hour, null));
            else if (min.Values.Count == 1) sb.Append(" of every hour");
        }
        // Which days: a field written with `*` (even `*/10`) makes cron AND the two day fields; both
        // written without `*` OR them. `*/10` still restricts the days (1, 11, 21, 31).
        bool domLimited = !dom.All, dowLimited = !dow.All;
        if (!dom.Star && !dow.Star && domLimited && dowLimited)
            sb.Append(", on day ").Append(Words(dom, null)).Append(" of the month and on every ").Append(Words(dow, DayWords)).Append(" (either matches)");
        else if (!domLimited && !dowLimited || !dom.Star && !dow.Star) sb.Append(", every day");
        else if (domLimited && dowLimited)
            sb.Append(", on day ").Append(Words(dom, null)).Append(" of the month when it is a ").Append(Words(dow, DayWords));
        else if (domLimited) sb.Append(", on day ").Append(Words(dom, null)).Append(" of the month");
        else sb.Append(", on ").Append(Words(dow, DayWords));
        if (!month.Star || !month.All) sb.Append(", in ").Append(Words(month, MonthWords, offset: 1));
        return sb.Append('.').ToString();
    }

    static int? Step(CronField f)
    {
        if (!f.Text.StartsWith("*/", StringComparison.Ordinal)) return null;
        return int.TryParse(f.Text[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
    }

    static string Words(CronField f, string[]? names, int offset = 0)
    {
        string Name(int v) => names is null ? v.ToString(CultureInfo.InvariantCulture) : names[v - offset];
        var runs = new List<string>();
        var vals = f.Values.ToList();
        for (int i = 0; i < vals.Count;)
        {
            int j = i;
            while (j + 1 < vals.Count && vals[j + 1] == vals[j] + 1) j++;
            runs.Add(j - i >= 2 ? $"{Name(vals[i])} through {Name(vals[j])}" : j > i ? $"{Name(vals[i])} and {Name(vals[j])}" : Name(vals[i]));
            i = j + 1;
        }
        return runs.Count <= 1 ? runs.FirstOrDefault() ?? "" : string.Join(", ", runs.Take(runs.Count - 1)) + " and " + runs[^1];
    }

    /// <summary>systemd OnCalendar= values with the same meaning (two when cron's day-of-month/day-of-week OR applies).</summary>
    public List<string> ToOnCalendar()
    {
        if (AtReboot) return [];
        string List(CronField f, string fmt) => f.All ? "*" : string.Join(',', f.Values.Select(v => v.ToString(fmt, CultureInfo.InvariantCulture)));
        var time = $"{List(Fields[1], "00")}:{List(Fields[0], "00")}:00";
        var month = List(Fields[3], "00");
        string Dow() => string.Join(',', Fields[4].Values.Select(v => SystemdDays[v]));
        if (DomRestricted && DowRestricted)
            return [$"*-{month}-{List(Fields[2], "00")} {time}", $"{Dow()} *-{month}-* {time}"];
        // Otherwise cron ANDs the day fields (`*/2` in one of them still limits it).
        return [$"{(Fields[4].All ? "" : Dow() + " ")}*-{month}-{List(Fields[2], "00")} {time}"];
    }
}
