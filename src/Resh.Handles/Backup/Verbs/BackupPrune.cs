using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Backup;

public static class BackupPrune
{
    public static readonly VerbInfo Verb = VerbInfo.Define("prune", Effect.Destroy,
        "Delete data no snapshot uses any more (restic prune, borg compact); forget chooses the snapshots.",
        [.. BackupArgs.Common], () => BackupJson.Default.BackupPruneResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.prune password=env:RESTIC_PASSWORD", "Free the space of forgotten snapshots.")],
        notes: "--dry-run runs restic prune --dry-run; borg compact has no dry run, so borg reports nothing under --dry-run.");

    static async ValueTask<Outcome<BackupPruneResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        if (s.IsBorg)
        {
            if (ctx.DryRun) return Outcome.Changed(new BackupPruneResult(s.Target.Display, s.Kind, []));
            var b = await s.RunAsync(["compact", "--log-json", s.Repo]).ConfigureAwait(false);
            return Outcome.Changed(new BackupPruneResult(s.Target.Display, s.Kind,
                BorgOutput.LogMessages(b.Stderr).Select(m => SecretRedactor.Scrub(m.Message.Trim())).Where(m => m.Length > 0).Take(50).ToList()));
        }
        var r = await s.RunAsync(ctx.DryRun ? ["prune", "--dry-run"] : ["prune"]).ConfigureAwait(false);
        var summary = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("this ", StringComparison.Ordinal) || l.StartsWith("total ", StringComparison.Ordinal) || l.StartsWith("unused size", StringComparison.Ordinal) || l.StartsWith("remaining", StringComparison.Ordinal))
            .Select(l => SecretRedactor.Scrub(l)).Take(50).ToList();
        return Outcome.Changed(new BackupPruneResult(s.Target.Display, s.Kind, summary), !summary.Any(l => l.StartsWith("this removes", StringComparison.Ordinal) && l.Contains(" 0 B", StringComparison.Ordinal)));
    }
}
