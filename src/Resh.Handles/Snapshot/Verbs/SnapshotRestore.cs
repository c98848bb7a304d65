using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;
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
               "paths excluded from the snapshot (or that it could not read) are carried over untouched. Files added since the snapshot are deleted. A tree already equal to the snapshot is changed: false. " +
               "Names that are not UTF-8 come back byte for byte; hard links come back as hard links. `paths` naming nothing that exists in the snapshot or the live tree is `not_found`.");

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
        // What the snapshot could not read when it was taken is left as it is, like what it excluded.
        var filter = new PathFilter(m.Include, m.Exclude, SnapshotRepo.UnreadablePaths(m));
        var snapView = TreeView.Resolve(m, repo, ctx.Cancellation);
        var treeExists = Posix.Stat(tree, true, out _) is { IsDirectory: true };
        var liveScan = treeExists
            ? TreeScanner.Scan(tree, filter, m.Backend == "files" ? m : null, null, hash: true, null, ctx.Cancellation)
            : new ScanResult([], 0, 0, 0, 0, 0, 0, 0, [], "0755");
        // A typo is not a no-op: a path neither in the snapshot nor in the live tree names nothing.
        var unknown = paths.Where(r => !snapView.Entries.Any(e => e.Path == r || e.Path.StartsWith(r + "/", StringComparison.Ordinal))
                                       && Posix.Stat(Join(tree, r), false, out _) is null).ToList();
        if (unknown.Count > 0)
            return ReshError.NotFound($"`{PathBytes.Display(unknown[0])}` is neither in snapshot `{m.Name}` nor in {PathBytes.Display(tree)}.",
                $"Give paths relative to the tree; see what the snapshot holds with resh 'snapshot://{PathBytes.Display(tree)}.show(name={m.Name})'.",
                new System.Text.Json.Nodes.JsonObject { ["paths"] = new System.Text.Json.Nodes.JsonArray(unknown.Select(u => (System.Text.Json.Nodes.JsonNode?)PathBytes.Display(u)).ToArray()) });
        Func<string, bool>? scope = paths.Count == 0 ? null : p => paths.Any(r => p == r || p.StartsWith(r + "/", StringComparison.Ordinal));
        var changes = TreeDiff.Compare(TreeView.Live(tree, liveScan), snapView, contentDiffs: true, scope);
        var rootDiffers = paths.Count == 0 && (!treeExists || liveScan.RootMode != m.RootMode);
        var shownTree = PathBytes.Display(tree);
        var shownPaths = paths.Select(p => PathBytes.Display(p)).ToList();
        if (!changes.Any && !rootDiffers)
            return new SnapshotRestoreResult(m.Name, shownTree, shownPaths, [], [], [], 0, 0);
        if (ctx.DryRun)
            return Outcome.Changed(new SnapshotRestoreResult(m.Name, shownTree, shownPaths, Shown(changes.Added), Shown(changes.Removed), Shown(changes.Modified), 0, 0));

        var restorer = new TreeRestorer(repo, snapView, tree, ctx.Cancellation);
        if (paths.Count == 0)
        {
            var stage = FileTree.SiblingTemp(tree, "restore");
            var btrfsStage = false;
            try
            {
                if (m.Backend == "btrfs" && treeExists && await BtrfsSnapshots.IsSubvolumeAsync(tree, ctx.Cancellation).ConfigureAwait(false))
                {
                    await BtrfsSnapshots.WritableCopyAsync(m.Subvolume!, stage, ctx.Cancellation).ConfigureAwait(false);
                    btrfsStage = true;
                }
                else
                {
                    restorer.Build(stage, "", SnapshotRepo.ParseOctal(m.RootMode));
                    if (treeExists) restorer.CarryOver(stage, filter);
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
            if (!treeExists) Directory.CreateDirectory(tree);
            foreach (var rel in paths)
            {
                var live = Join(tree, rel);
                var inSnapshot = snapView.Entries.Any(e => e.Path == rel);
                if (!inSnapshot) { FileTree.Remove(live); continue; }
                MakeDirs(Path.GetDirectoryName(live)!);
                var stage = FileTree.SiblingTemp(live, "restore");
                try
                {
                    restorer.Build(stage, rel, null);
                    var stagedIsDir = Posix.Stat(stage, false, out _) is { IsDirectory: true };
                    var liveStat = TreeScanner.LStatOrNull(live);
                    if (stagedIsDir && liveStat is { IsDirectory: true }) TreeRestorer.Swap(stage, live);
                    else
                    {
                        if (liveStat is { IsDirectory: true } || (stagedIsDir && liveStat is not null)) FileTree.Remove(live);
                        var rc = Posix.RenameAt(Posix.AT_FDCWD, stage, Posix.AT_FDCWD, live);
                        if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $" ({PathBytes.Display(live)})").ToException();
                    }
                }
                finally
                {
                    FileTree.TryRemove(stage);
                }
            }
        }
        return Outcome.Changed(new SnapshotRestoreResult(m.Name, shownTree, shownPaths, Shown(changes.Added), Shown(changes.Removed), Shown(changes.Modified), restorer.Verified, restorer.Linked));
    }

    static string Join(string tree, string rel) => tree == "/" ? "/" + rel : tree + "/" + rel;

    static List<string> Shown(List<string> paths) => paths.Select(p => PathBytes.Display(p)).ToList();

    static List<DiffChange> Shown(List<DiffChange> changes) => changes.Select(c => c with { Path = PathBytes.Display(c.Path) }).ToList();

    static void MakeDirs(string dir)
    {
        if (Posix.Stat(dir, true, out _) is not null) return;
        MakeDirs(Path.GetDirectoryName(dir)!);
        var rc = NativeFs.Mkdir(dir, 0x1ED);
        if (rc != 0 && rc != Posix.EEXIST) throw ExceptionTranslation.FromErrno(rc, $" ({PathBytes.Display(dir)})").ToException();
    }
}
