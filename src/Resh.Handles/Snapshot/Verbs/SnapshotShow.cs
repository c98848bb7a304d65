using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

public static class SnapshotShow
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "Return at most this many entries.", 10_000, min: 0);

    public static readonly VerbInfo Verb = VerbInfo.Define("show", Effect.Read,
        "Show a snapshot's manifest: metadata and every entry with its hash.",
        [SnapshotArgs.Name, Limit, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotShowResult, Run,
        examples: [new("'snapshot:///tmp/src.show(name=s1)'", "The manifest of s1.")]);

    static Outcome<SnapshotShowResult> Run(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx, mustExist: false);
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo), create: false);
        var m = SnapshotArgs.Find(repo, tree, ctx.Get(SnapshotArgs.Name)!);
        var entries = m.Backend == "btrfs"
            ? TreeScanner.Scan(m.Subvolume!, Storage.PathFilter.All, null, null, hash: false, null, ctx.Cancellation).Entries
            : m.Entries.ToList();
        var limit = (int)(ctx.Get(Limit) ?? 10_000);
        return new SnapshotShowResult(SnapshotSummary.Of(m), m.Include, m.Exclude, entries.Count, entries.Take(limit).Select(e => e.ForDisplay()).ToList(), entries.Count > limit);
    }
}
