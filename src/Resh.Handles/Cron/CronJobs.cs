using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cron;

/// <summary>Shared by the cron verbs: ids, time zones, the full listing and finding one job.</summary>
internal static class CronJobs
{
    public static readonly Arg<string?> TimeZoneArg = Arg.String("tz", "IANA time zone for run times (default: the system's).", examples: ["UTC", "Europe/Paris"]);

    public static TimeZoneInfo Zone(VerbContext ctx)
    {
        var tz = ctx.Get(TimeZoneArg);
        if (tz is null) return TimeZoneInfo.Local;
        try { return TimeZoneInfo.FindSystemTimeZoneById(tz); }
        catch (TimeZoneNotFoundException)
        {
            throw ReshError.Usage($"Unknown time zone `{tz}`.", "Use an IANA name such as UTC, Europe/Berlin or America/New_York.").ToException();
        }
    }

    public static string Format(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> NextRuns(CronSchedule s, TimeZoneInfo zone, int count) =>
        s.Next(DateTimeOffset.UtcNow, zone, count).Select(t => Format(TimeZoneInfo.ConvertTime(t, zone))).ToList();

    /// <summary>The job id from the target: letters, digits, dot, dash, underscore.</summary>
    public static string Id(VerbContext ctx)
    {
        var id = ctx.Target.Trim();
        if (id.Length == 0)
            throw ReshError.Usage($"cron://.{ctx.Verb.Name} needs a job id.", $"Example: resh cron://backup.{ctx.Verb.Name} (ids come from resh cron://.list)").ToException();
        if (id.Length > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@'))
            throw ReshError.Usage($"`{id}` is not a job id.", "Ids use letters, digits, '-', '_' and '.'.").ToException();
        return id;
    }

    public static CronSchedule ParseSchedule(string text)
    {
        if (!CronSchedule.TryParse(text, out var s, out var error))
            throw ReshError.Usage(error!, "Five fields: minute hour day-of-month month day-of-week, e.g. `0 3 * * *`, or a macro such as @daily; check it with resh 'cron://.validate(expression=...)'.").ToException();
        return s!;
    }

    /// <summary>Every job: user crontabs, /etc/crontab, /etc/cron.d, and systemd timers when systemd runs (and root is /).</summary>
    public static async Task<List<CronEntry>> AllAsync(CronStore store, TimeZoneInfo zone, int count, bool timers, CancellationToken ct)
    {
        var entries = new List<CronEntry>();
        foreach (var table in await store.TablesAsync(ct).ConfigureAwait(false))
        {
            foreach (var job in Crontab.Jobs(table.Text, table.SystemFormat))
            {
                CronSchedule.TryParse(job.Schedule, out var s, out _);
                entries.Add(new CronEntry(job.ManagedId ?? Crontab.ForeignId(table.Source, job.Line), "cron", table.Path,
                    table.User ?? job.User, job.Schedule, job.Command, job.Enabled, job.ManagedId is not null, job.Comment,
                    s is null || !job.Enabled ? [] : NextRuns(s, zone, count)));
            }
        }
        if (timers && store.Locations.IsHostRoot && CronTimers.SystemdRunning)
            entries.AddRange(await CronTimers.ListAsync(s => NextRuns(s, zone, count), ct).ConfigureAwait(false));
        return entries;
    }

    /// <summary>Which crontab owner's job an id means, when the same id is in several users' crontabs.</summary>
    public static readonly Arg<string?> OwnerArg = Arg.String("user", "Whose job the id names when several crontabs hold it (the crontab's owner).", examples: ["www-data"]);

    /// <summary>
    /// The job with this id. Anyone can write a `# BEGIN resh ID` marker into their own crontab, so the first
    /// match is not trusted: with user= only that owner's job counts; without it, an id found in more than one
    /// place is refused as ambiguous (conflict) rather than picked by reading order.
    /// </summary>
    public static async Task<CronEntry?> FindAsync(CronStore store, string id, CancellationToken ct, string? user = null)
    {
        var all = await AllAsync(store, TimeZoneInfo.Local, 1, timers: true, ct).ConfigureAwait(false);
        var matches = all.Where(e => e.Id == id).ToList();
        if (matches.Count == 0) matches = all.Where(e => e.Backend == "systemd" && e.Id == id + ".timer").ToList();
        if (user is not null) matches = matches.Where(e => (e.User ?? "root") == user).ToList();
        if (matches.Count > 1)
            throw ReshError.Conflict($"Job id {id} is in {matches.Count} places: {string.Join(", ", matches.Select(m => $"{m.Source} (user {m.User ?? "root"})"))}.",
                $"Give user= to say whose job you mean, e.g. cron://{id}.remove(user={matches[0].User ?? "root"}).",
                new System.Text.Json.Nodes.JsonObject { ["id"] = id, ["sources"] = new System.Text.Json.Nodes.JsonArray(matches.Select(m => (System.Text.Json.Nodes.JsonNode?)m.Source).ToArray()) }).ToException();
        return matches.FirstOrDefault();
    }

    public static ReshError NotManaged(CronEntry e) => ReshError.Conflict($"Job {e.Id} in {e.Source} was not added by resh; resh changes only the jobs it manages.",
        "Edit that file yourself, or add the job through resh under a new id.");
}
