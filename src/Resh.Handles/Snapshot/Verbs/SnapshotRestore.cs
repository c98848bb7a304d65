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
               "Names that are not UTF-8 come back byte for byte; hard links come back as hard links; FIFOs, extended attributes and POSIX ACLs come back as captured (an attribute this user may not set, such as trusted.* when not root, is a warning naming it). " +
               "Sockets and device nodes cannot be captured: a restore keeps the live ones where they are and lists them in `kept` (as rsync without --specials/--devices and tar leave them), never deletes them. " +
               "The rebuilt tree (or path) is built in a private directory and renamed into place from its handle, checked by device and inode right before and after the rename. " +
               "`paths` naming nothing that exists in the snapshot or the live tree is `not_found`.");

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
                                       && !ExistsBeneath(tree, r)).ToList();
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

        if (paths.Count == 0)
        {
            // The tree itself is named by the caller; everything below it is worked on by directory handle.
            var parentFd = FdTree.OpenDirectory(Path.GetDirectoryName(tree.TrimEnd('/'))!);
            var treeName = Path.GetFileName(tree.TrimEnd('/'));
            var liveFd = treeExists ? AtCalls.OpenAt(parentFd, treeName, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW) : -1;
            // The stage is built in a private directory (0700) beside the tree and renamed out of its handle.
            var privName = Path.GetFileName(FileTree.SiblingTemp(tree, "restore"));
            const string stageName = "t";
            var stage = Join(Join(Path.GetDirectoryName(tree.TrimEnd('/'))!, privName), stageName);
            var btrfsStage = false;
            var privFd = -1;
            var restorer = new TreeRestorer(repo, snapView, liveFd, ctx.Cancellation);
            try
            {
                if (treeExists && liveFd < 0) throw ExceptionTranslation.FromErrno(-liveFd, $" ({shownTree})").ToException();
                privFd = TreeRestorer.MakePrivate(parentFd, privName);
                if (m.Backend == "btrfs" && treeExists && await BtrfsSnapshots.IsSubvolumeAsync(tree, ctx.Cancellation).ConfigureAwait(false))
                {
                    await BtrfsSnapshots.WritableCopyAsync(m.Subvolume!, stage, ctx.Cancellation).ConfigureAwait(false);
                    btrfsStage = true;
                }
                else
                {
                    restorer.Build(privFd, stageName, "", SnapshotRepo.ParseOctal(m.RootMode));
                    if (treeExists) restorer.CarryOver(privFd, stageName, tree, filter);
                }
                TreeRestorer.Swap(privFd, stageName, parentFd, treeName, TreeRestorer.Identity(privFd, stageName));
            }
            finally
            {
                if (btrfsStage && await BtrfsSnapshots.IsSubvolumeAsync(stage, CancellationToken.None).ConfigureAwait(false))
                    await BtrfsSnapshots.DeleteAsync(stage, CancellationToken.None).ConfigureAwait(false);
                TreeRestorer.RemovePrivate(parentFd, privName, privFd);
                AtCalls.Close(privFd);
                AtCalls.Close(liveFd);
                AtCalls.Close(parentFd);
            }
            return Done(ctx, new SnapshotRestoreResult(m.Name, shownTree, shownPaths, Shown(changes.Added), Shown(changes.Removed), Shown(changes.Modified), restorer.Verified, restorer.Linked), restorer);
        }
        if (!treeExists) Directory.CreateDirectory(tree);
        var treeFd = FdTree.OpenDirectory(tree);
        var partial = new TreeRestorer(repo, snapView, treeFd, ctx.Cancellation);
        try
        {
            foreach (var rel in paths) RestoreOne(partial, snapView, treeFd, rel, Join(tree, rel), filter);
        }
        finally
        {
            AtCalls.Close(treeFd);
        }
        return Done(ctx, new SnapshotRestoreResult(m.Name, shownTree, shownPaths, Shown(changes.Added), Shown(changes.Removed), Shown(changes.Modified), partial.Verified, partial.Linked), partial);
    }

    static Outcome<SnapshotRestoreResult> Done(VerbContext ctx, SnapshotRestoreResult result, TreeRestorer restorer)
    {
        foreach (var w in restorer.Warnings.Take(100)) ctx.Warn(w);
        foreach (var k in restorer.Kept.Take(100)) ctx.Warn($"{PathBytes.Display(k)}: a socket or device node, which a snapshot cannot hold; kept as it is");
        return Outcome.Changed(result with { Kept = restorer.Kept.Select(k => PathBytes.Display(k)).ToList() });
    }

    static string Join(string tree, string rel) => tree == "/" ? "/" + rel : tree + "/" + rel;

    static List<string> Shown(List<string> paths) => paths.Select(p => PathBytes.Display(p)).ToList();

    static List<DiffChange> Shown(List<DiffChange> changes) => changes.Select(c => c with { Path = PathBytes.Display(c.Path) }).ToList();

    /// <summary>True when <paramref name="rel"/> names an entry of the tree itself (a symlink on the way is not followed).</summary>
    static bool ExistsBeneath(string tree, string rel)
    {
        var fd = AtCalls.OpenAt(AtCalls.AT_FDCWD, tree, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY);
        if (fd < 0) return false;
        try
        {
            var cut = rel.LastIndexOf('/');
            var parent = cut < 0 ? AtCalls.Dup(fd) : AtCalls.OpenBeneath(fd, rel[..cut], AtCalls.O_RDONLY | AtCalls.O_DIRECTORY);
            if (parent < 0) return false;
            try { return AtCalls.StatAt(parent, rel[(cut + 1)..], false, out _) is not null; }
            finally { AtCalls.Close(parent); }
        }
        finally
        {
            AtCalls.Close(fd);
        }
    }

    /// <summary>
    /// Restores (or deletes) one path beneath the held tree handle. The directories leading to it are
    /// opened one name at a time with O_NOFOLLOW; a symlink or file standing where the path needs a
    /// directory is removed as an entry of the tree (never followed) and replaced by a directory.
    /// </summary>
    static void RestoreOne(TreeRestorer restorer, TreeView snapView, int treeFd, string rel, string livePath, PathFilter filter)
    {
        var inSnapshot = snapView.Entries.Any(e => e.Path == rel);
        var parts = rel.Split('/');
        var current = AtCalls.Dup(treeFd);
        try
        {
            for (int i = 0; i < parts.Length - 1; i++)
            {
                var next = AtCalls.OpenAt(current, parts[i], AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                if (next < 0)
                {
                    // Nothing of the tree lies below a missing name or a non-directory: nothing to delete.
                    if (!inSnapshot) return;
                    if (-next is not (AtCalls.ENOENT or AtCalls.ENOTDIR or AtCalls.ELOOP)) Fail(-next, rel);
                    if (-next != AtCalls.ENOENT) Fail(FdTree.Remove(current, parts[i]), rel); // the link itself, not what it points at
                    var dirPath = string.Join('/', parts[..(i + 1)]);
                    var mode = snapView.Entries.FirstOrDefault(e => e.Path == dirPath && e.Type == "directory") is { } d ? SnapshotRepo.ParseOctal(d.Mode) : 0x1EDu;
                    var rc = AtCalls.MkdirAt(current, parts[i], 0x1C0);
                    if (rc != 0 && rc != AtCalls.EEXIST) Fail(rc, rel);
                    next = AtCalls.OpenAt(current, parts[i], AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                    if (next < 0) Fail(-next, rel);
                    if (rc == 0) AtCalls.FChmod(next, mode);
                }
                AtCalls.Close(current);
                current = next;
            }
            var name = parts[^1];
            if (!inSnapshot) { Fail(FdTree.Remove(current, name), rel); return; }
            // Built in a private directory (0700) and renamed out of its handle: the tree's directory may be
            // writable by others, who must not be able to swap the stage for a symlink before it is put in place.
            var privName = Path.GetFileName(FileTree.SiblingTemp("/" + name, "restore"));
            const string stageName = "t";
            var privFd = TreeRestorer.MakePrivate(current, privName);
            try
            {
                restorer.Build(privFd, stageName, rel, null);
                var liveStat = AtCalls.StatAt(current, name, false, out _);
                // Sockets, device nodes and excluded paths below a live directory stay, as with a whole-tree restore.
                if (liveStat is { IsDirectory: true } && AtCalls.StatAt(privFd, stageName, false, out _) is { IsDirectory: true })
                    restorer.CarryOver(privFd, stageName, livePath, filter, rel);
                var staged = TreeRestorer.Identity(privFd, stageName);
                if (staged.IsDirectory && liveStat is { IsDirectory: true }) TreeRestorer.Swap(privFd, stageName, current, name, staged);
                else
                {
                    if (liveStat is { IsDirectory: true } || (staged.IsDirectory && liveStat is not null)) Fail(FdTree.Remove(current, name), rel);
                    TreeRestorer.Place(privFd, stageName, current, name, staged);
                }
            }
            finally
            {
                TreeRestorer.RemovePrivate(current, privName, privFd);
                AtCalls.Close(privFd);
            }
        }
        finally
        {
            AtCalls.Close(current);
        }
    }

    static void Fail(int errno, string rel)
    {
        if (errno != 0) throw ExceptionTranslation.FromErrno(errno, $" ({PathBytes.Display(rel)})").ToException();
    }
}
