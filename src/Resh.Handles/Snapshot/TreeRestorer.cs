using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

/// <summary>
/// Rebuilds a snapshot beside the live tree and swaps it in with one atomic exchange
/// (renameat2 RENAME_EXCHANGE), so readers see the old tree or the new one, never a mix. Content
/// comes from the store and is verified against its hash; a live file whose size, mtime, inode,
/// mode and owner still match the snapshot is hard-linked instead of copied.
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
        if (rel.Length == 0)
            Directory.CreateDirectory(stage, (UnixFileMode)0x1C0);
        foreach (var e in selected)
        {
            ct.ThrowIfCancellationRequested();
            var dest = e.Path == rel ? stage : Path.Combine(stage, rel.Length == 0 ? e.Path : e.Path[(rel.Length + 1)..]);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            switch (e.Type)
            {
                case "directory":
                    Directory.CreateDirectory(dest, (UnixFileMode)0x1C0);
                    dirs.Add((dest, e));
                    continue;
                case "symlink":
                    System.IO.File.CreateSymbolicLink(dest, e.LinkTarget ?? "");
                    break;
                case "file":
                    if (TryLinkLive(e, dest)) continue;
                    CopyContent(e, dest);
                    break;
            }
            ApplyMeta(dest, e);
        }
        foreach (var (path, e) in dirs.OrderByDescending(d => d.Path.Length)) ApplyMeta(path, e);
        if (rel.Length == 0 && rootMode is { } m) System.IO.File.SetUnixFileMode(stage, (UnixFileMode)m);
    }

    bool TryLinkLive(ManifestEntry e, string dest)
    {
        var live = Path.Combine(liveRoot, e.Path);
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
                throw ReshError.Failed($"The stored content of {e.Path} does not match its hash {sha[..12]}…; nothing was restored.",
                    "Run verify to list damaged objects.", new System.Text.Json.Nodes.JsonObject { ["path"] = e.Path, ["object"] = sha }).ToException();
            Verified++;
            return;
        }
        System.IO.File.Copy(snapshot.ContentPath(e), dest);
    }

    static void ApplyMeta(string path, ManifestEntry e)
    {
        if (FileTree.IsRoot) Posix.Chown(path, (int)e.Uid, (int)e.Gid, follow: false);
        if (e.Type != "symlink") System.IO.File.SetUnixFileMode(path, (UnixFileMode)SnapshotRepo.ParseOctal(e.Mode));
        NativeFs.SetTimes(path, e.MtimeNs / 1_000_000_000, e.MtimeNs % 1_000_000_000);
    }

    /// <summary>Hard-links live paths the snapshot did not cover (excluded or not included) into the stage, so a restore keeps them.</summary>
    public void CarryOver(string stage, PathFilter filter)
    {
        foreach (var item in TreeWalker.Walk(liveRoot, PathFilter.All, ct))
        {
            if (filter.Selects(item.Relative)) continue;
            if (item.Status.IsDirectory && !filter.IsExcluded(item.Relative)) continue; // a directory that may hold included entries
            var dest = Path.Combine(stage, item.Relative);
            if (Path.Exists(dest)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            if (item.Status.IsDirectory) { Directory.CreateDirectory(dest); System.IO.File.SetUnixFileMode(dest, (UnixFileMode)item.Status.Permissions); }
            else if (item.Status.IsSymlink) System.IO.File.CreateSymbolicLink(dest, new FileInfo(item.FullPath).LinkTarget ?? "");
            else if (NativeFs.Link(item.FullPath, dest) != 0) System.IO.File.Copy(item.FullPath, dest);
        }
    }

    /// <summary>Puts <paramref name="staged"/> in place of <paramref name="target"/> atomically; the old content ends up at <paramref name="staged"/>.</summary>
    public static void Swap(string staged, string target)
    {
        if (!Path.Exists(target)) { Directory.Move(staged, target); return; }
        var rc = NativeFs.Exchange(staged, target);
        if (rc == 0) return;
        // No RENAME_EXCHANGE on this file system: two renames (a crash between them leaves both trees beside each other).
        var aside = FileTree.SiblingTemp(target, "old");
        Directory.Move(target, aside);
        Directory.Move(staged, target);
        Directory.Move(aside, staged);
    }
}
