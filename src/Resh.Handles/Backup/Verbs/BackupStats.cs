using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupStats
{
    public static readonly VerbInfo Verb = VerbInfo.Define("stats", Effect.Read,
        "Repository size: snapshots, the bytes they hold when restored, the bytes stored.",
        [.. BackupArgs.Common], () => BackupJson.Default.BackupStatsResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.stats password=env:RESTIC_PASSWORD", "How big the repository is.")]);

    static async ValueTask<Outcome<BackupStatsResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        if (s.IsBorg)
        {
            var count = (await BackupSnapshots.ListAsync(s).ConfigureAwait(false)).Count;
            var info = await s.RunAsync(["info", "--json", "--log-json", s.Repo]).ConfigureAwait(false);
            var stats = (ResticOutput.Parse(info.Stdout) as JsonObject)?["cache"]?["stats"] as JsonObject ?? [];
            return new BackupStatsResult(s.Target.Display, s.Kind, count, ResticOutput.Long(stats, "total_size"), null, ResticOutput.Long(stats, "unique_csize"));
        }
        var restore = ResticOutput.Parse((await s.RunAsync(["stats", "--json", "--no-lock"]).ConfigureAwait(false)).Stdout) as JsonObject ?? [];
        var raw = ResticOutput.Parse((await s.RunAsync(["stats", "--json", "--no-lock", "--mode", "raw-data"]).ConfigureAwait(false)).Stdout) as JsonObject ?? [];
        return new BackupStatsResult(s.Target.Display, s.Kind, ResticOutput.Long(restore, "snapshots_count"), ResticOutput.Long(restore, "total_size"),
            ResticOutput.Long(restore, "total_file_count"), ResticOutput.Long(raw, "total_size"));
    }
}
