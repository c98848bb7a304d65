using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cron;

public static class CronNext
{
    static readonly Arg<string?> Expression = Arg.String("expression", "A cron expression or macro (default: the schedule of the target job).",
        examples: ["0 3 * * *", "*/15 9-17 * * 1-5", "@daily"], aliases: ["schedule"], literalAt: true);
    static readonly Arg<long?> Count = Arg.Int("count", "How many run times.", 5, min: 1, max: 1000);
    static readonly Arg<string?> From = Arg.String("from", "Start after this moment (RFC 3339; default now).", examples: ["2026-01-01T00:00:00Z"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("next", Effect.Read,
        "The next run times of a cron expression (or of a job), in a time zone.",
        [Expression, Count, From, CronJobs.TimeZoneArg, CronLocations.RootArg], () => CronJson.Default.CronNextResult, RunAsync,
        examples:
        [
            new("'cron://.next(expression=0 3 * * *,count=3)'", "The next three 03:00s."),
            new("'cron://.next(expression=@weekly,tz=America/New_York)'", "Next Sunday midnights in New York."),
            new("cron://backup.next", "When job `backup` runs next."),
        ],
        notes: "Computed with Cronos, aware of daylight-saving changes. When day-of-month and day-of-week are both restricted, cron runs on either, and so do these times.");

    static async ValueTask<Outcome<CronNextResult>> RunAsync(VerbContext ctx)
    {
        var text = ctx.Get(Expression);
        if (text is null)
        {
            if (ctx.Target.Trim().Length == 0)
                return ReshError.Usage("Give expression=... or a job id.", "Example: resh 'cron://.next(expression=0 3 * * *,count=3)'");
            var id = CronJobs.Id(ctx);
            var job = await CronJobs.FindAsync(new CronStore(CronLocations.From(ctx)), id, ctx.Cancellation).ConfigureAwait(false);
            if (job is null) return ReshError.NotFound($"No job with id `{id}`.", "List jobs and their ids: resh cron://.list");
            text = job.Schedule;
        }
        var schedule = CronJobs.ParseSchedule(text);
        if (schedule.AtReboot) return ReshError.Usage("@reboot has no run times; it runs when cron starts.", null);
        var zone = CronJobs.Zone(ctx);
        var from = DateTimeOffset.UtcNow;
        if (ctx.Get(From) is { } f && !DateTimeOffset.TryParse(f, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out from))
            return ReshError.Usage($"`{f}` is not a time.", "Use RFC 3339, e.g. 2026-01-01T00:00:00Z.");
        var times = schedule.Next(from, zone, (int)ctx.Get(Count)!.Value).Select(t => CronJobs.Format(TimeZoneInfo.ConvertTime(t, zone))).ToList();
        return new CronNextResult(schedule.Expression, zone.Id, times);
    }
}
