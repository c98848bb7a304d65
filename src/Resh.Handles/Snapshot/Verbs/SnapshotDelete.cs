using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

public static class SnapshotDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Destroy,
        "Delete a snapshot and the stored content no other snapshot uses.",
        [SnapshotArgs.Name, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotDeleteResult, RunAsync,
        examples: [new("'snapshot:///tmp/src.delete(name=s1)'", "Forget s1 and free what only it held.")],
        notes: "Deleting a snapshot that does not exist is changed: false, not an error.");

    static async ValueTask<Outcome<SnapshotDeleteResult>> RunAsync(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx, mustExist: false);
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo));
        var name = ctx.Get(SnapshotArgs.Name)!;
        using var repoLock = ctx.DryRun ? null : repo.Lock(ctx.Cancellation);
        var m = repo.Load(tree, name);
        if (m is null) return new SnapshotDeleteResult(name, Resh.Core.Text.PathBytes.Display(tree), false, 0, 0);
        if (ctx.DryRun)
        {
            var (wouldCount, wouldBytes) = repo.Garbage([m], delete: false);
            return Outcome.Changed(new SnapshotDeleteResult(name, Resh.Core.Text.PathBytes.Display(tree), true, wouldCount, wouldBytes));
        }
        var (count, bytes) = await Remove(repo, [m], ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new SnapshotDeleteResult(name, Resh.Core.Text.PathBytes.Display(tree), true, count, bytes));
    }

    /// <summary>Removes manifests (and btrfs subvolumes), then collects unreferenced objects.</summary>
    internal static async Task<(long, long)> Remove(SnapshotRepo repo, IEnumerable<Manifest> manifests, CancellationToken ct)
    {
        foreach (var m in manifests)
        {
            if (m.Backend == "btrfs" && m.Subvolume is { } sv) await BtrfsSnapshots.DeleteAsync(sv, ct).ConfigureAwait(false);
            repo.DeleteManifest(m);
        }
        return repo.CollectGarbage();
    }
}
