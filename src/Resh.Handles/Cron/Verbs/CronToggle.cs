using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Cron;

/// <summary>enable and disable: comment the job line in or out of its block, or enable/disable the timer.</summary>
internal static class CronToggle
{
    public static async ValueTask<Outcome<CronChangeResult>> RunAsync(VerbContext ctx, bool enable)
    {
        var id = CronJobs.Id(ctx);
        var store = new CronStore(CronLocations.From(ctx));
        using var _lock = ctx.DryRun ? null : FileLock.Take(ctx.Runtime.Paths, store.Locations.Spool, ctx.Cancellation);
        var job = await CronJobs.FindAsync(store, id, ctx.Cancellation, ctx.Get(CronJobs.OwnerArg)).ConfigureAwait(false);
        if (job is null) return ReshError.NotFound($"No job with id `{id}`.", "List jobs and their ids: resh cron://.list");
        if (!job.Managed) return CronJobs.NotManaged(job);
        if (job.Backend == "systemd")
        {
            var unit = $"{CronTimers.Prefix}{id}.timer";
            if (job.Enabled == enable) return new CronChangeResult(id, "systemd", job.Source, null, job);
            if (ctx.DryRun) return Outcome.Changed(new CronChangeResult(id, "systemd", job.Source, null, job with { Enabled = enable }));
            await CronTimers.CheckedAsync([enable ? "enable" : "disable", "--now", unit], ctx.Cancellation).ConfigureAwait(false);
            return Outcome.Changed(new CronChangeResult(id, "systemd", job.Source, null, job with { Enabled = enable }));
        }
        var isUser = Path.GetDirectoryName(job.Source) == store.Locations.Spool;
        if (!isUser && CronLinks.Refuse(job.Source) is { } link) return link;
        var old = isUser ? await store.ReadUserAsync(job.User!, ctx.Cancellation).ConfigureAwait(false)
            : await System.IO.File.ReadAllTextAsync(store.Locations.Access(job.Source), ctx.Cancellation).ConfigureAwait(false);
        var text = Crontab.SetEnabled(old, id, enable) ?? old;
        var after = job with { Enabled = enable };
        if (text == old) return new CronChangeResult(id, "cron", job.Source, null, after);
        var diff = Diff.Unified(old, text, job.Source);
        if (ctx.DryRun) return Outcome.Changed(new CronChangeResult(id, "cron", job.Source, diff, after));
        if (isUser) await store.WriteUserAsync(job.User!, text, ctx.Cancellation).ConfigureAwait(false);
        else store.WriteCronD(job.Source, text);
        return Outcome.Changed(new CronChangeResult(id, "cron", job.Source, diff, after));
    }
}

public static class CronEnable
{
    public static readonly VerbInfo Verb = VerbInfo.Define("enable", Effect.Mutate,
        "Enable a job resh manages (uncomment its line, or enable and start its timer).",
        [CronJobs.OwnerArg, CronLocations.RootArg], () => CronJson.Default.CronChangeResult, ctx => CronToggle.RunAsync(ctx, true),
        examples: [new("cron://backup.enable", "Resume the backup job.")]);
}

public static class CronDisable
{
    public static readonly VerbInfo Verb = VerbInfo.Define("disable", Effect.Mutate,
        "Disable a job resh manages without removing it (comment its line out, or stop and disable its timer).",
        [CronJobs.OwnerArg, CronLocations.RootArg], () => CronJson.Default.CronChangeResult, ctx => CronToggle.RunAsync(ctx, false),
        examples: [new("cron://backup.disable", "Pause the backup job.")]);
}
