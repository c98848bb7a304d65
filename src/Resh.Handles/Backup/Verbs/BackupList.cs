using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupList
{
    static readonly Arg<IReadOnlyList<string>> Tags = Arg.List("tags", "Only snapshots carrying all these tags.", aliases: ["tag"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List the repository's snapshots, oldest first.",
        [Tags, .. BackupArgs.Common], () => BackupJson.Default.BackupListResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.list password=env:RESTIC_PASSWORD", "Every snapshot.")],
        notes: "An empty repository gives an empty list.");

    static async ValueTask<Outcome<BackupListResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        var tags = ctx.Get(Tags);
        var list = (await BackupSnapshots.ListAsync(s).ConfigureAwait(false)).Where(x => tags.All(t => x.Tags.Contains(t))).ToList();
        return new BackupListResult(s.Target.Display, s.Kind, list);
    }
}
