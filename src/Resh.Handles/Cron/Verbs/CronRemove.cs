using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Cron;

public static class CronRemove
{
    public static readonly VerbInfo Verb = VerbInfo.Define("remove", Effect.Destroy,
        "Remove a job resh added (its marked block, or its timer and service); absent is `changed: false`.",
        [CronJobs.OwnerArg, CronLocations.RootArg], () => CronJson.Default.CronChangeResult, RunAsync,
        examples: [new("cron://backup.remove", "Undo cron://backup.add.")],
        notes: "Jobs resh did not add are refused with `conflict`: resh never edits lines it does not own.");

    static async ValueTask<Outcome<CronChangeResult>> RunAsync(VerbContext ctx)
    {
        var id = CronJobs.Id(ctx);
        var store = new CronStore(CronLocations.From(ctx));
        using var _lock = ctx.DryRun ? null : FileLock.Take(ctx.Runtime.Paths, store.Locations.Spool, ctx.Cancellation);
        var job = await CronJobs.FindAsync(store, id, ctx.Cancellation, ctx.Get(CronJobs.OwnerArg)).ConfigureAwait(false);
        if (job is null) return new CronChangeResult(id, "cron", "", null, null);
        if (!job.Managed) return CronJobs.NotManaged(job);
        if (job.Backend == "systemd")
        {
            var unit = $"{CronTimers.Prefix}{id}.timer";
            if (ctx.DryRun) return Outcome.Changed(new CronChangeResult(id, "systemd", job.Source, null, job));
            await CronTimers.SystemctlAsync(["disable", "--now", unit], ctx.Cancellation).ConfigureAwait(false);
            System.IO.File.Delete(CronTimers.TimerPath(id));
            System.IO.File.Delete(CronTimers.ServicePath(id));
            Resh.Handles.Svc.SecretEnvFile.Delete(Path.Combine(Resh.Handles.Svc.SecretEnvFile.SystemdDir, $"{CronTimers.Prefix}{id}.service.env"));
            await CronTimers.CheckedAsync(["daemon-reload"], ctx.Cancellation).ConfigureAwait(false);
            await CronTimers.SystemctlAsync(["reset-failed", $"{CronTimers.Prefix}{id}.service"], ctx.Cancellation).ConfigureAwait(false);
            return Outcome.Changed(new CronChangeResult(id, "systemd", job.Source, null, job));
        }
        // A user's crontab is read through crontab(1) when not root: the spool itself is closed to them.
        var isUser = Path.GetDirectoryName(job.Source) == store.Locations.Spool;
        if (!isUser && CronLinks.Refuse(job.Source) is { } link) return link;
        var old = isUser ? await store.ReadUserAsync(job.User!, ctx.Cancellation).ConfigureAwait(false)
            : await System.IO.File.ReadAllTextAsync(store.Locations.Access(job.Source), ctx.Cancellation).ConfigureAwait(false);
        var text = Crontab.SetBlock(old, id, null);
        var diff = Diff.Unified(old, text, job.Source);
        if (ctx.DryRun) return Outcome.Changed(new CronChangeResult(id, "cron", job.Source, diff, job));
        if (isUser) await store.WriteUserAsync(job.User!, text, ctx.Cancellation).ConfigureAwait(false);
        else store.WriteCronD(job.Source, text);
        // The secret file goes only with the job that owns it: owned by the job's user and named by its line
        // (another user's crontab can carry the same id, and even the same path, but cannot own root's file).
        if (job.User is { } owner)
        {
            var envPath = store.Locations.SecretEnvFile(id, owner);
            var access = store.Locations.Access(envPath);
            var owned = Resh.Core.Platform.Posix.Stat(access, follow: false, out _) is { IsRegular: true } st &&
                        (store.Locations.IsHostRoot ? Resh.Core.Platform.Users.User(owner)?.Uid == st.Uid : true);
            if (owned && job.Command.Contains(envPath, StringComparison.Ordinal)) Resh.Handles.Svc.SecretEnvFile.Delete(access);
        }
        return Outcome.Changed(new CronChangeResult(id, "cron", job.Source, diff, job));
    }
}
