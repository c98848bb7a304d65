using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupUnlock
{
    static readonly Arg<bool> All = Arg.Bool("all", "restic: remove every lock, not only stale ones (only when no other restic uses the repository). borg always breaks every lock.");

    public static readonly VerbInfo Verb = VerbInfo.Define("unlock", Effect.Mutate,
        "Remove the locks a crashed or killed run left (restic unlock, borg break-lock).",
        [All, .. BackupArgs.Common], () => BackupJson.Default.BackupUnlockResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.unlock password=env:RESTIC_PASSWORD", "After a killed backup.")],
        notes: "restic removes only stale locks (of processes gone from this host, or older than 30 minutes) unless all=true; borg break-lock removes them all: make sure no borg runs on the repository.");

    static async ValueTask<Outcome<BackupUnlockResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        var before = Locks(s);
        if (ctx.DryRun) return Outcome.Changed(new BackupUnlockResult(s.Target.Display, s.Kind, before), before is not 0);
        if (s.IsBorg) await s.RunAsync(["break-lock", "--log-json", s.Repo]).ConfigureAwait(false);
        else await s.RunAsync(ctx.Get(All) ? ["unlock", "--remove-all"] : ["unlock"]).ConfigureAwait(false);
        var after = Locks(s);
        long? removed = before is { } b && after is { } a ? Math.Max(0, b - a) : null;
        return Outcome.Changed(new BackupUnlockResult(s.Target.Display, s.Kind, removed), removed is not 0);
    }

    /// <summary>Lock files of a local repository: restic's locks/*, borg's lock.exclusive and lock.roster.</summary>
    static long? Locks(BackupSession s)
    {
        if (s.Target.Local is not { } dir) return null;
        if (!s.IsBorg) return Directory.Exists(Path.Combine(dir, "locks")) ? Directory.EnumerateFiles(Path.Combine(dir, "locks")).LongCount() : 0;
        return (Directory.Exists(Path.Combine(dir, "lock.exclusive")) ? 1 : 0) + (File.Exists(Path.Combine(dir, "lock.roster")) ? 1 : 0);
    }
}
