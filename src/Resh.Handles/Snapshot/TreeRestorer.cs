using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

/// <summary>
/// Rebuilds a snapshot beside the live tree and swaps it in with one atomic exchange
/// (renameat2 RENAME_EXCHANGE), so readers see the old tree or the new one, never a mix. Content
/// comes from the store and is verified against its hash; a live file whose size, mtime, inode,
/// mode and owner still match the snapshot is hard-linked instead of copied. Files that were hard
/// links of each other when captured are restored as hard links again. Every name goes to the kernel
/// byte-exact (<see cref="PathBytes"/>), so names that are not UTF-8 come back as they were.
/// </summary>
public sealed class TreeRestorer(SnapshotRepo repo, TreeView snapshot, string liveRoot, CancellationToken ct)
{
    public long Verified { get; private set; }
    public long Linked { get; private set; }

    /// <summary>Materialises the entries at or under <paramref name="rel"/> ("" = all) into <paramref name="stage"/>.</summary>
    public void Build(string stage, string rel, uint? rootMode)
    {
        var selected = snapshot.Entries.Where(e => rel.Length == 0 || e.Path == rel || e.Path.StartsWith(rel + "/", StringComparison.Ordinal)).ToList();
        var dirs = new List<(string Path, ManifestEntry Entry)>();
        var inodes = new Dictionary<ulong, string>();
        if (rel.Length == 0) Check(NativeFs.Mkdir(stage, 0x1C0), stage);
        foreach (var e in selected)
        {
            ct.ThrowIfCancellationRequested();
            var dest = e.Path == rel ? stage : Join(stage, rel.Length == 0 ? e.Path : e.Path[(rel.Length + 1)..]);
            MakeParents(stage, dest);
            switch (e.Type)
            {
                case "directory":
                    var rc = NativeFs.Mkdir(dest, 0x1C0);
                    if (rc != 0 && rc != Posix.EEXIST) Check(rc, dest);
                    dirs.Add((dest, e));
                    continue;
                case "symlink":
                    Check(NativeFs.Symlink(e.LinkTarget ?? "", dest), dest);
                    break;
                case "file":
                    if (e.Links > 1 && e.Inode != 0 && inodes.TryGetValue(e.Inode, out var first) && NativeFs.Link(first, dest) == 0)
                        continue; // another name of a file already restored: the same inode again
                    if (e.Links > 1 && e.Inode != 0) inodes.TryAdd(e.Inode, dest);
                    if (TryLinkLive(e, dest)) continue;
                    CopyContent(e, dest);
                    break;
            }
            ApplyMeta(dest, e);
        }
        foreach (var (path, e) in dirs.OrderByDescending(d => d.Path.Length)) ApplyMeta(path, e);
        if (rel.Length == 0 && rootMode is { } m) Posix.FChmodAt(Posix.AT_FDCWD, stage, m, follow: false);
    }

    static string Join(string a, string b) => a.EndsWith('/') ? a + b : a + "/" + b;

    /// <summary>Creates the directories between the stage and an entry that the snapshot does not list itself (paths=).</summary>
    static void MakeParents(string stage, string dest)
    {
        var parent = Path.GetDirectoryName(dest)!;
        if (parent.Length <= stage.Length || Posix.Stat(parent, false, out _) is not null) return;
        MakeParents(stage, parent);
        var rc = NativeFs.Mkdir(parent, 0x1ED);
        if (rc != 0 && rc != Posix.EEXIST) Check(rc, parent);
    }

    static void Check(int errno, string path)
    {
        if (errno != 0) throw ExceptionTranslation.FromErrno(errno, $" ({PathBytes.Display(path)})").ToException();
    }

    bool TryLinkLive(ManifestEntry e, string dest)
    {
        var live = Join(liveRoot, e.Path);
        var st = Posix.Stat(live, follow: false, out _);
        if (st is not { IsRegular: true } s || (long)s.Size != e.Size || SnapshotRepo.ToNs(s.ModifyTime) != e.MtimeNs || s.Inode != e.Inode
            || SnapshotRepo.Octal(s.Permissions) != e.Mode || s.Uid != e.Uid || s.Gid != e.Gid) return false;
        if (NativeFs.Link(live, dest) != 0) return false; // another file system: copy instead
        Linked++;
        return true;
    }

    void CopyContent(ManifestEntry e, string dest)
    {
        if (e.Sha256 is { } sha && snapshot.Label != "live" && repo.HasObject(sha) && snapshot.ContentPath(e) == repo.ObjectPath(sha))
        {
            if (!repo.CopyVerified(sha, dest, ct))
                throw ReshError.Failed($"The stored content of {PathBytes.Display(e.Path)} does not match its hash {sha[..12]}…; nothing was restored.",
                    "Run verify to list damaged objects.", new System.Text.Json.Nodes.JsonObject { ["path"] = PathBytes.Display(e.Path), ["object"] = sha }).ToException();
            Verified++;
            return;
        }
        using var input = FileTree.OpenRead(snapshot.ContentPath(e));
        using var outHandle = Posix.OpenHandle(Posix.AT_FDCWD, dest, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, 0x180, out var errno)
            ?? throw ExceptionTranslation.FromErrno(errno, $" ({PathBytes.Display(dest)})").ToException();
        using var output = new FileStream(outHandle, FileAccess.Write, 1);
        input.CopyTo(output, 1 << 20);
    }

    static void ApplyMeta(string path, ManifestEntry e)
    {
        if (FileTree.IsRoot) Posix.Chown(path, (uint)e.Uid, (uint)e.Gid, follow: false);
        if (e.Type != "symlink") Posix.FChmodAt(Posix.AT_FDCWD, path, SnapshotRepo.ParseOctal(e.Mode), follow: false);
        NativeFs.SetTimes(path, e.MtimeNs / 1_000_000_000, e.MtimeNs % 1_000_000_000);
    }

    /// <summary>Hard-links live paths the snapshot did not cover (excluded, not included, or unreadable when captured) into the stage, so a restore keeps them.</summary>
    public void CarryOver(string stage, PathFilter filter)
    {
        // A directory that cannot be read cannot be carried over: the walk fails naming it, before the swap.
        foreach (var item in TreeWalker.Walk(liveRoot, PathFilter.All, ct))
        {
            if (filter.Selects(item.Relative)) continue;
            if (item.Status.IsDirectory && !filter.IsExcluded(item.Relative)) continue; // a directory that may hold included entries
            var dest = Join(stage, item.Relative);
            if (Posix.Stat(dest, false, out _) is not null) continue;
            MakeParents(stage, dest);
            if (item.Status.IsDirectory)
            {
                Check(NativeFs.Mkdir(dest, 0x1C0), dest);
                Posix.FChmodAt(Posix.AT_FDCWD, dest, item.Status.Permissions, follow: false);
                if (FileTree.IsRoot) Posix.Chown(dest, item.Status.Uid, item.Status.Gid, follow: false);
            }
            else if (item.Status.IsSymlink) Check(NativeFs.Symlink(Posix.ReadLink(item.FullPath, out _) ?? "", dest), dest);
            else if (NativeFs.Link(item.FullPath, dest) != 0) CopyLive(item.FullPath, dest, item.Status);
        }
    }

    static void CopyLive(string from, string dest, FileStatus st)
    {
        if (!st.IsRegular) return; // a FIFO or device on another file system: nothing to carry
        using var input = FileTree.OpenRead(from);
        using var outHandle = Posix.OpenHandle(Posix.AT_FDCWD, dest, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, st.Permissions & 0x1FF, out var errno)
            ?? throw ExceptionTranslation.FromErrno(errno, $" ({PathBytes.Display(dest)})").ToException();
        using var output = new FileStream(outHandle, FileAccess.Write, 1);
        input.CopyTo(output, 1 << 20);
    }

    /// <summary>Puts <paramref name="staged"/> in place of <paramref name="target"/> atomically; the old content ends up at <paramref name="staged"/>.</summary>
    public static void Swap(string staged, string target)
    {
        if (Posix.Stat(target, false, out _) is null) { Check(Posix.RenameAt(Posix.AT_FDCWD, staged, Posix.AT_FDCWD, target), target); return; }
        var rc = NativeFs.Exchange(staged, target);
        if (rc == 0) return;
        // No RENAME_EXCHANGE on this file system: two renames (a crash between them leaves both trees beside each other).
        var aside = FileTree.SiblingTemp(target, "old");
        Check(Posix.RenameAt(Posix.AT_FDCWD, target, Posix.AT_FDCWD, aside), target);
        Check(Posix.RenameAt(Posix.AT_FDCWD, staged, Posix.AT_FDCWD, target), target);
        Check(Posix.RenameAt(Posix.AT_FDCWD, aside, Posix.AT_FDCWD, staged), staged);
    }
}
