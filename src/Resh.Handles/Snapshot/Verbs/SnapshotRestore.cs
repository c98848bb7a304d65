using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

public static class SnapshotRestore
{
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Restore only these paths (relative to the tree); default: the whole tree.", examples: ["conf.d/site.conf"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("restore", Effect.Destroy,
        "Put a tree (or some paths) back as a snapshot captured it, atomically, with every object's hash checked.",
        [SnapshotArgs.Name, Paths, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotRestoreResult, RunAsync,
        examples:
        [
            new("'snapshot:///tmp/src.restore(name=s1)'", "Roll /tmp/src back to s1."),
            new("'snapshot:///etc/nginx.restore(name=before-upgrade,paths=nginx.conf)' --dry-run", "Show what restoring one file would change."),
        ],
        notes: "The whole tree is rebuilt beside the live one and swapped in with one atomic exchange (renameat2), then the old tree is removed; " +
               "paths excluded from the snapshot are carried over untouched. Files added since the snapshot are deleted. A tree already equal to the snapshot is changed: false.");

    static async ValueTask<Outcome<SnapshotRestoreResult>> RunAsync(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx, mustExist: false);
        if (tree == "/") return ReshError.Usage("Refusing to restore over /.", "Restore a directory below /.");
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo));
        using var repoLock = ctx.DryRun ? null : repo.Lock(ctx.Cancellation);
        var m = SnapshotArgs.Find(repo, tree, ctx.Get(SnapshotArgs.Name)!);
        var paths = ctx.Get(Paths).Select(p => p.Trim('/')).Where(p => p.Length > 0).Distinct().ToList();
        foreach (var p in paths)
            if (p.Split('/').Any(part => part is ".." or "."))
                return ReshError.Usage($"`{p}` is not a plain path inside the tree.", "Give paths relative to the tree, without . or ..");
        var filter = new PathFilter(m.Include, m.Exclude);
        var snapView = TreeView.Resolve(m, repo, ctx.Cancellation);
        var liveScan = Directory.Exists(tree)
            ? TreeScanner.Scan(tree, filter, m.Backend == "files" ? m : null, null, hash: true, null, ctx.Cancellation)
            : new ScanResult([], 0, 0, 0, 0, 0, 0, 0, [], "0755");
        Func<string, bool>? scope = paths.Count == 0 ? null : p => paths.Any(r => p == r || p.StartsWith(r + "/", StringComparison.Ordinal));
        var changes = TreeDiff.Compare(TreeView.Live(tree, liveScan), snapView, contentDiffs: true, scope);
        var rootDiffers = paths.Count == 0 && (!Directory.Exists(tree) || liveScan.RootMode != m.RootMode);
        if (!changes.Any && !rootDiffers)
            return new SnapshotRestoreResult(m.Name, tree, paths, [], [], [], 0, 0);
        if (ctx.DryRun)
            return Outcome.Changed(new SnapshotRestoreResult(m.Name, tree, paths, changes.Added, changes.Removed, changes.Modified, 0, 0));

        var restorer = new TreeRestorer(repo, snapView, tree, ctx.Cancellation);
        if (paths.Count == 0)
        {
            var stage = FileTree.SiblingTemp(tree, "restore");
            var btrfsStage = false;
            try
            {
                if (m.Backend == "btrfs" && Directory.Exists(tree) && await BtrfsSnapshots.IsSubvolumeAsync(tree, ctx.Cancellation).ConfigureAwait(false))
                {
                    await BtrfsSnapshots.WritableCopyAsync(m.Subvolume!, stage, ctx.Cancellation).ConfigureAwait(false);
                    btrfsStage = true;
                }
                else
                {
                    restorer.Build(stage, "", SnapshotRepo.ParseOctal(m.RootMode));
                    if (Directory.Exists(tree)) restorer.CarryOver(stage, filter);
                }
                TreeRestorer.Swap(stage, tree);
            }
            finally
            {
                if (btrfsStage && await BtrfsSnapshots.IsSubvolumeAsync(stage, CancellationToken.None).ConfigureAwait(false))
                    await BtrfsSnapshots.DeleteAsync(stage, CancellationToken.None).ConfigureAwait(false);
                else FileTree.TryRemove(stage);
            }
        }
        else
        {
            Directory.CreateDirectory(tree);
            foreach (var rel in paths)
            {
                var live = Path.Combine(tree, rel);
                var inSnapshot = snapView.Entries.Any(e => e.Path == rel);
                if (!inSnapshot) { FileTree.Remove(live); continue; }
                Directory.CreateDirectory(Path.GetDirectoryName(live)!);
                var stage = FileTree.SiblingTemp(live, "restore");
                try
                {
                    restorer.Build(stage, rel, null);
                    var stagedIsDir = Directory.Exists(stage) && !new FileInfo(stage).Attributes.HasFlag(FileAttributes.ReparsePoint);
                    var liveStat = TreeScanner.LStatOrNull(live);
                    if (stagedIsDir && liveStat is { IsDirectory: true }) TreeRestorer.Swap(stage, live);
                    else
                    {
                        if (liveStat is { IsDirectory: true } || (stagedIsDir && liveStat is not null)) FileTree.Remove(live);
                        if (stagedIsDir) Directory.Move(stage, live); else System.IO.File.Move(stage, live, overwrite: true);
                    }
                }
                finally
                {
                    FileTree.TryRemove(stage);
                }
            }
        }
        return Outcome.Changed(new SnapshotRestoreResult(m.Name, tree, paths, changes.Added, changes.Removed, changes.Modified, restorer.Verified, restorer.Linked));
    }
}
