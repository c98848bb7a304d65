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
/// The stage and the live tree are worked on beneath held directory handles (mkdirat, openat
/// O_NOFOLLOW, fchmod/fchown/futimens on descriptors, linkat/renameat between held directories): a
/// symlink planted or swapped into either is never followed.
/// </summary>
public sealed class TreeRestorer(SnapshotRepo repo, TreeView snapshot, int liveFd, CancellationToken ct)
{
    public long Verified { get; private set; }
    public long Linked { get; private set; }
    /// <summary>Sockets and device nodes of the live tree, which no snapshot can hold: kept where they are (paths relative to the tree).</summary>
    public List<string> Kept { get; } = [];
    /// <summary>What could not be put back as captured (an extended attribute this user may not set, ...).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>
    /// Materialises the entries at or under <paramref name="rel"/> ("" = all) as <paramref name="stageName"/>
    /// in the directory <paramref name="parentFd"/>; the stage must not exist yet.
    /// </summary>
    public void Build(int parentFd, string stageName, string rel, uint? rootMode)
    {
        var selected = snapshot.Entries.Where(e => rel.Length == 0 || e.Path == rel || e.Path.StartsWith(rel + "/", StringComparison.Ordinal)).ToList();
        var dirs = new List<(string Rel, ManifestEntry Entry)>();
        var inodes = new Dictionary<ulong, string>();
        var top = rel.Length == 0 ? null : selected.FirstOrDefault(e => e.Path == rel);
        var stageFd = -1;
        try
        {
            if (rel.Length == 0 || top is null || top.Type == "directory")
            {
                Check(AtCalls.MkdirAt(parentFd, stageName, 0x1C0), stageName);
                stageFd = OpenDir(parentFd, stageName);
                if (top is not null) dirs.Add(("", top));
            }
            foreach (var e in selected)
            {
                ct.ThrowIfCancellationRequested();
                if (e.Path == rel && e.Type == "directory") continue; // the stage itself
                var sub = e.Path == rel ? "" : rel.Length == 0 ? e.Path : e.Path[(rel.Length + 1)..];
                var (dirFd, name) = sub.Length == 0 ? (AtCalls.Dup(parentFd), stageName) : (ParentOf(stageFd, sub, create: true), Base(sub));
                try
                {
                    switch (e.Type)
                    {
                        case "directory":
                            var rc = AtCalls.MkdirAt(dirFd, name, 0x1C0);
                            if (rc != 0 && rc != AtCalls.EEXIST) Check(rc, sub);
                            dirs.Add((sub, e));
                            break;
                        case "symlink":
                            Check(AtCalls.SymlinkAt(e.LinkTarget ?? "", dirFd, name), sub);
                            if (FileTree.IsRoot) AtCalls.LChownAt(dirFd, name, (uint)e.Uid, (uint)e.Gid);
                            AtCalls.LSetTimesAt(dirFd, name, FromNs(e.MtimeNs));
                            break;
                        case "fifo":
                        {
                            Check(AtCalls.MknodAt(dirFd, name, FileStatus.S_IFIFO | 0x180, 0, 0), sub);
                            // Opening a FIFO for reading with O_NONBLOCK does not wait for a writer; its metadata is then set on the descriptor.
                            var fifo = AtCalls.OpenAt(dirFd, name, AtCalls.O_RDONLY | AtCalls.O_NONBLOCK | AtCalls.O_NOFOLLOW);
                            if (fifo < 0) Check(-fifo, sub);
                            try { ApplyMeta(fifo, e); }
                            finally { AtCalls.Close(fifo); }
                            break;
                        }
                        case "file":
                            if (e.Links > 1 && e.Inode != 0 && inodes.TryGetValue(e.Inode, out var first) && LinkWithin(stageFd, parentFd, stageName, first, dirFd, name))
                                break; // another name of a file already restored: the same inode again
                            if (e.Links > 1 && e.Inode != 0) inodes.TryAdd(e.Inode, sub);
                            if (TryLinkLive(e, dirFd, name)) break;
                            CopyContent(e, dirFd, name, sub);
                            break;
                    }
                }
                finally
                {
                    AtCalls.Close(dirFd);
                }
            }
            foreach (var (sub, e) in dirs.OrderByDescending(d => d.Rel.Length))
            {
                var fd = sub.Length == 0 ? AtCalls.Dup(stageFd) : AtCalls.OpenBeneath(stageFd, sub, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY);
                if (fd < 0) Check(-fd, sub);
                try { ApplyMeta(fd, e); }
                finally { AtCalls.Close(fd); }
            }
            if (rel.Length == 0 && rootMode is { } m) AtCalls.FChmod(stageFd, m);
        }
        finally
        {
            AtCalls.Close(stageFd);
        }
    }

    static DateTimeOffset FromNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    static string Base(string rel) => rel[(rel.LastIndexOf('/') + 1)..];

    static int OpenDir(int dirFd, string name)
    {
        var fd = AtCalls.OpenAt(dirFd, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
        if (fd < 0) Check(-fd, name);
        return fd;
    }

    /// <summary>
    /// The directory holding <paramref name="rel"/> beneath <paramref name="rootFd"/>, opened one name at a
    /// time without following symlinks; missing directories are made (0755) when <paramref name="create"/>.
    /// </summary>
    internal static int ParentOf(int rootFd, string rel, bool create)
    {
        var cut = rel.LastIndexOf('/');
        var current = AtCalls.Dup(rootFd);
        if (cut < 0) return current;
        foreach (var part in rel[..cut].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = AtCalls.OpenAt(current, part, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
            if (next == -AtCalls.ENOENT && create)
            {
                var rc = AtCalls.MkdirAt(current, part, 0x1ED);
                if (rc != 0 && rc != AtCalls.EEXIST) { AtCalls.Close(current); Check(rc, rel); }
                next = AtCalls.OpenAt(current, part, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
            }
            AtCalls.Close(current);
            if (next < 0) Check(-next, rel);
            current = next;
        }
        return current;
    }

    static void Check(int errno, string path)
    {
        if (errno != 0) throw ExceptionTranslation.FromErrno(errno, $" ({PathBytes.Display(path)})").ToException();
    }

    static bool LinkWithin(int stageFd, int parentFd, string stageName, string firstRel, int dirFd, string name)
    {
        if (firstRel.Length == 0) return AtCalls.LinkAt(parentFd, stageName, dirFd, name) == 0;
        if (stageFd < 0) return false;
        var from = ParentOf(stageFd, firstRel, create: false);
        try { return AtCalls.LinkAt(from, Base(firstRel), dirFd, name) == 0; }
        finally { AtCalls.Close(from); }
    }

    bool TryLinkLive(ManifestEntry e, int dirFd, string name)
    {
        int from;
        try { from = ParentOf(liveFd, e.Path, create: false); }
        catch (ReshException) { return false; }
        try
        {
            var live = Base(e.Path);
            var st = AtCalls.StatAt(from, live, false, out _);
            if (st is not { IsRegular: true } s || (long)s.Size != e.Size || SnapshotRepo.ToNs(s.ModifyTime) != e.MtimeNs || s.Inode != e.Inode
                || SnapshotRepo.Octal(s.Permissions) != e.Mode || s.Uid != e.Uid || s.Gid != e.Gid) return false;
            // The same inode must also carry the captured extended attributes and ACLs; else it is copied.
            if (!e.SameXattrs(e with { Xattrs = TreeScanner.ReadXattrs(from, live, s) })) return false;
            if (AtCalls.LinkAt(from, live, dirFd, name) != 0) return false; // another file system: copy instead
            Linked++;
            return true;
        }
        finally
        {
            AtCalls.Close(from);
        }
    }

    void CopyContent(ManifestEntry e, int dirFd, string name, string shown)
    {
        var fd = AtCalls.OpenAt(dirFd, name, AtCalls.O_WRONLY | AtCalls.O_CREAT | AtCalls.O_EXCL | AtCalls.O_NOFOLLOW, 0x180);
        if (fd < 0) Check(-fd, shown);
        using var output = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1);
        if (e.Sha256 is { } sha && snapshot.Label != "live" && repo.HasObject(sha) && snapshot.ContentPath(e) == repo.ObjectPath(sha))
        {
            if (!repo.CopyVerified(sha, output, ct))
                throw ReshError.Failed($"The stored content of {PathBytes.Display(e.Path)} does not match its hash {sha[..12]}…; nothing was restored.",
                    "Run verify to list damaged objects.", new System.Text.Json.Nodes.JsonObject { ["path"] = PathBytes.Display(e.Path), ["object"] = sha }).ToException();
            Verified++;
        }
        else
        {
            using var input = FileTree.OpenRead(snapshot.ContentPath(e));
            input.CopyTo(output, 1 << 20);
        }
        output.Flush();
        ApplyMeta(fd, e);
    }

    /// <summary>Owner, mode, then extended attributes and ACLs (after the mode, as tar --acls sets them), then times; all on the descriptor.</summary>
    void ApplyMeta(int fd, ManifestEntry e)
    {
        if (FileTree.IsRoot) AtCalls.FChown(fd, (uint)e.Uid, (uint)e.Gid);
        AtCalls.FChmod(fd, SnapshotRepo.ParseOctal(e.Mode));
        foreach (var (name, value) in e.Xattrs ?? new Dictionary<string, string>())
        {
            var rc = AtCalls.FSetXattr(fd, name, Convert.FromBase64String(value));
            if (rc != 0) Warnings.Add($"{PathBytes.Display(e.Path)}: extended attribute {name} not restored ({(rc is AtCalls.EPERM or AtCalls.EACCES ? "not permitted" : Posix.StrError(rc))})");
        }
        AtCalls.FSetTimes(fd, FromNs(e.MtimeNs));
    }

    /// <summary>Sockets and device nodes: a snapshot cannot capture them, so a restore keeps them.</summary>
    static bool Uncapturable(FileStatus st) => st.FileType is FileStatus.S_IFSOCK or FileStatus.S_IFCHR or FileStatus.S_IFBLK;

    /// <summary>Hard-links live paths the snapshot did not cover (excluded, not included, or unreadable when captured) into the stage, so a restore keeps them.</summary>
    /// <param name="prefix">The stage holds the tree's <paramref name="prefix"/> (a paths restore of a directory); "" for the whole tree.</param>
    public void CarryOver(int parentFd, string stageName, string liveRoot, PathFilter filter, string prefix = "")
    {
        var stageFd = OpenDir(parentFd, stageName);
        try
        {
            // A directory that cannot be read cannot be carried over: the walk fails naming it, before the swap.
            foreach (var item in TreeWalker.Walk(liveRoot, PathFilter.All, ct))
            {
                var inTree = prefix.Length == 0 ? item.Relative : prefix + "/" + item.Relative;
                var special = Uncapturable(item.Status);
                if (filter.Selects(inTree) && !special) continue;
                if (item.Status.IsDirectory && !filter.IsExcluded(inTree)) continue; // a directory that may hold included entries
                var name = Base(item.Relative);
                var to = ParentOf(stageFd, item.Relative, create: true);
                int from;
                try { from = ParentOf(liveFd, inTree, create: false); }
                catch (ReshException) { AtCalls.Close(to); continue; } // changed since the walk: nothing safe to carry
                try
                {
                    if (AtCalls.StatAt(to, name, false, out _) is not null) continue;
                    var now = AtCalls.StatAt(from, name, false, out _);
                    if (now is not { } st || st.Inode != item.Status.Inode) continue;
                    if (st.IsDirectory)
                    {
                        Check(AtCalls.MkdirAt(to, name, 0x1C0), item.Relative);
                        var d = OpenDir(to, name);
                        if (FileTree.IsRoot) AtCalls.FChown(d, st.Uid, st.Gid);
                        AtCalls.FChmod(d, st.Permissions);
                        AtCalls.Close(d);
                    }
                    else if (st.IsSymlink) Check(AtCalls.SymlinkAt(AtCalls.ReadLinkAt(from, name, out _) ?? "", to, name), item.Relative);
                    else if (AtCalls.LinkAt(from, name, to, name) != 0) CopyLive(from, to, name, st);
                    if (special && AtCalls.StatAt(to, name, false, out _) is not null) Kept.Add(inTree);
                }
                finally
                {
                    AtCalls.Close(from);
                    AtCalls.Close(to);
                }
            }
        }
        finally
        {
            AtCalls.Close(stageFd);
        }
    }

    static void CopyLive(int fromFd, int toFd, string name, FileStatus st)
    {
        if (!st.IsRegular) return; // a FIFO or device on another file system: nothing to carry
        var ifd = AtCalls.OpenAt(fromFd, name, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK);
        if (ifd < 0) return;
        using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(ifd, ownsHandle: true), FileAccess.Read, 1);
        if (AtCalls.FStat(ifd, out _) is not { IsRegular: true } now || now.Inode != st.Inode) return;
        var ofd = AtCalls.OpenAt(toFd, name, AtCalls.O_WRONLY | AtCalls.O_CREAT | AtCalls.O_EXCL | AtCalls.O_NOFOLLOW, st.Permissions & 0x1FF);
        if (ofd < 0) Check(-ofd, name);
        using var output = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(ofd, ownsHandle: true), FileAccess.Write, 1);
        input.CopyTo(output, 1 << 20);
    }

    /// <summary>
    /// Makes a private directory (0700) named <paramref name="name"/> in <paramref name="dirFd"/> to build a
    /// stage in, and returns a handle on it. The stage is then renamed out of this handle, so swapping the
    /// private directory's name for a symlink (in a directory others can write) changes nothing.
    /// </summary>
    public static int MakePrivate(int dirFd, string name)
    {
        Check(AtCalls.MkdirAt(dirFd, name, 0x1C0), name);
        return OpenDir(dirFd, name);
    }

    /// <summary>Removes what is left in the private directory, and the directory itself when its name still leads to it.</summary>
    public static void RemovePrivate(int dirFd, string name, int privFd)
    {
        if (privFd < 0) return;
        foreach (var (entry, _) in AtCalls.ReadDir(privFd, out _) ?? []) FdTree.TryRemove(privFd, entry);
        if (Same(AtCalls.StatAt(dirFd, name, false, out _), AtCalls.FStat(privFd, out _)))
            AtCalls.UnlinkAt(dirFd, name, directory: true);
    }

    static bool Same(FileStatus? a, FileStatus? b) =>
        a is { } x && b is { } y && x.Inode == y.Inode && x.DevMajor == y.DevMajor && x.DevMinor == y.DevMinor && x.FileType == y.FileType;

    /// <summary>What <paramref name="name"/> in <paramref name="dirFd"/> is, without following a symlink.</summary>
    public static FileStatus Identity(int dirFd, string name)
    {
        var st = AtCalls.StatAt(dirFd, name, false, out var errno);
        if (st is null) Check(errno == 0 ? AtCalls.ENOENT : errno, name);
        return st!.Value;
    }

    /// <summary>
    /// Puts <paramref name="staged"/> (in <paramref name="fromFd"/>) in place of <paramref name="target"/> (in
    /// <paramref name="toFd"/>), atomically where the file system can exchange two names; the old content ends
    /// up at <paramref name="staged"/>. The stage is checked by handle (device and inode, no symlink followed)
    /// right before the rename, and the name is checked again right after: anything else standing there is
    /// put back (or removed, if the live entry was already gone) and the restore fails, so a stage swapped
    /// in between never becomes an entry of the tree.
    /// </summary>
    public static void Swap(int fromFd, string staged, int toFd, string target, FileStatus expected)
    {
        Recheck(fromFd, staged, expected, target);
        if (AtCalls.StatAt(toFd, target, false, out _) is null)
        {
            Check(AtCalls.RenameAt(fromFd, staged, toFd, target, noReplace: true), target);
            if (!Same(AtCalls.StatAt(toFd, target, false, out _), expected))
            {
                AtCalls.RenameAt(toFd, target, fromFd, staged, noReplace: true);
                throw Swapped(target);
            }
            return;
        }
        var rc = AtCalls.ExchangeAt(fromFd, staged, toFd, target);
        if (rc == 0)
        {
            if (!Same(AtCalls.StatAt(toFd, target, false, out _), expected))
            {
                AtCalls.ExchangeAt(fromFd, staged, toFd, target); // the live entry goes back where it was
                throw Swapped(target);
            }
            return;
        }
        // No RENAME_EXCHANGE on this file system: two renames (a crash between them leaves both trees beside each other).
        const string aside = "old";
        Check(AtCalls.RenameAt(toFd, target, fromFd, aside), target);
        Recheck(fromFd, staged, expected, target);
        Check(AtCalls.RenameAt(fromFd, staged, toFd, target, noReplace: true), target);
        if (!Same(AtCalls.StatAt(toFd, target, false, out _), expected))
        {
            AtCalls.RenameAt(toFd, target, fromFd, staged, noReplace: true);
            AtCalls.RenameAt(fromFd, aside, toFd, target, noReplace: true);
            throw Swapped(target);
        }
        Check(AtCalls.RenameAt(fromFd, aside, fromFd, staged), staged);
    }

    /// <summary>Moves a staged entry to a name that is free (the live entry, if any, was removed first), checked like <see cref="Swap"/>.</summary>
    public static void Place(int fromFd, string staged, int toFd, string target, FileStatus expected)
    {
        Recheck(fromFd, staged, expected, target);
        Check(AtCalls.RenameAt(fromFd, staged, toFd, target), target);
        if (Same(AtCalls.StatAt(toFd, target, false, out _), expected)) return;
        // Something else got renamed in: take it back out of the tree, never leave it under the restored name.
        if (AtCalls.RenameAt(toFd, target, fromFd, staged) != 0) FdTree.TryRemove(toFd, target);
        throw Swapped(target);
    }

    static void Recheck(int fromFd, string staged, FileStatus expected, string target)
    {
        if (!Same(AtCalls.StatAt(fromFd, staged, false, out _), expected)) throw Swapped(target);
    }

    static ReshException Swapped(string target) =>
        ReshError.Conflict($"The restored copy of {PathBytes.Display(target)} was replaced by something else while it was being put in place; the restore stopped before it took effect.",
            "Someone else is writing the directory: find out who, then run the restore again.").ToException();
}
