using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

/// <summary>What a scan of a live tree found.</summary>
public sealed record ScanResult(List<ManifestEntry> Entries, long Files, long Directories, long Symlinks, long Bytes, long NewBytes,
    long Hashed, long Reused, List<string> Skipped, string RootMode)
{
    /// <summary>Files and directories that could not be read (left out, with why); only when the scan was asked to skip them.</summary>
    public List<SkippedPath> Unreadable { get; init; } = [];
}

/// <summary>
/// Reads a live tree into manifest entries. A file whose size, mtime and inode equal the previous
/// manifest's entry reuses its hash without being read (as git's index and restic do), so a second
/// snapshot of an unchanged tree costs a directory walk.
/// </summary>
public static class TreeScanner
{
    /// <param name="skipUnreadable">Leave out (and list) files and directories that cannot be read, instead of failing on the first.</param>
    public static ScanResult Scan(string root, PathFilter filter, Manifest? previous, SnapshotRepo? storeInto, bool hash, ProgressBar? progress, CancellationToken ct,
        bool skipUnreadable = false)
    {
        var prev = previous?.Entries.Where(e => e.Type == "file" && e.Sha256 is not null).ToDictionary(e => e.Path, StringComparer.Ordinal)
                   ?? new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var entries = new List<ManifestEntry>();
        var skipped = new List<string>();
        var unreadable = new List<SkippedPath>();
        long files = 0, dirs = 0, links = 0, bytes = 0, newBytes = 0, hashed = 0, reused = 0;
        Action<string, int>? onUnreadable = skipUnreadable ? (rel, errno) =>
        {
            // The directory was listed before it was read: take it back out, with what it holds.
            var at = entries.FindLastIndex(e => e.Path == rel && e.Type == "directory");
            if (at >= 0) { entries.RemoveAt(at); dirs--; }
            unreadable.Add(new SkippedPath(rel, Posix.StrError(errno)));
        } : null;
        // File content is opened beneath a handle on the root, never through a symlink, and must be the
        // very file the walk saw (a file swapped for a symlink or another file after the lstat is left out).
        var rootFd = storeInto is not null || hash ? FdTree.OpenDirectory(root) : -1;
        try
        {
        foreach (var item in TreeWalker.Walk(root, filter, ct, onUnreadable: onUnreadable))
        {
            var st = item.Status;
            var mtime = SnapshotRepo.ToNs(st.ModifyTime);
            if (st.IsDirectory)
            {
                dirs++;
                entries.Add(new(item.Relative, "directory", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, 0, null, null, st.Inode, st.Links) { Xattrs = ReadXattrs(rootFd, item.Relative, st) });
            }
            else if (st.FileType == FileStatus.S_IFIFO)
            {
                // A FIFO made in a directory with a default ACL carries an access ACL of its own.
                entries.Add(new(item.Relative, "fifo", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, 0, null, null, st.Inode, st.Links) { Xattrs = ReadXattrs(rootFd, item.Relative, st) });
            }
            else if (st.IsSymlink)
            {
                links++;
                entries.Add(new(item.Relative, "symlink", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, 0, null,
                    Posix.ReadLink(item.FullPath, out _) ?? "", st.Inode, st.Links));
            }
            else if (st.IsRegular)
            {
                string? sha = null;
                if (prev.TryGetValue(item.Relative, out var p) && p.Size == st.Size && p.MtimeNs == mtime && p.Inode == st.Inode
                    && (storeInto is null || storeInto.HasObject(p.Sha256!)))
                {
                    sha = p.Sha256;
                    reused++;
                }
                else if (storeInto is not null || hash)
                {
                    try
                    {
                        using var input = OpenScanned(rootFd, item.Relative, st);
                        if (input is null)
                        {
                            unreadable.Add(new SkippedPath(item.Relative, "changed while it was read"));
                            continue;
                        }
                        if (storeInto is not null)
                        {
                            var (s, added) = storeInto.Store(input, ct);
                            sha = s;
                            if (added) newBytes += st.Size;
                        }
                        else sha = SnapshotRepo.HashStream(input, ct);
                        hashed++;
                    }
                    catch (Resh.Core.Errors.ReshException ex) when (skipUnreadable && ex.Error.Code == Resh.Core.Errors.ErrorCode.PermissionDenied)
                    {
                        unreadable.Add(new SkippedPath(item.Relative, "permission denied"));
                        continue;
                    }
                }
                files++;
                bytes += st.Size;
                progress?.Add(st.Size);
                entries.Add(new(item.Relative, "file", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, st.Size, sha, null, st.Inode, st.Links) { Xattrs = ReadXattrs(rootFd, item.Relative, st) });
            }
            else
            {
                skipped.Add(item.Relative); // sockets and devices cannot be captured: a restore keeps them as they are
            }
        }
        }
        finally
        {
            AtCalls.Close(rootFd);
        }
        var rootMode = SnapshotRepo.Octal(SnapshotRepo.LStat(root).Permissions);
        return new ScanResult(entries, files, dirs, links, bytes, newBytes, hashed, reused, skipped, rootMode) { Unreadable = unreadable };
    }

    /// <summary>
    /// Opens a scanned regular file beneath the root without following any symlink, and checks that the
    /// open file is the one the walk saw (device, inode, size); null when it changed in between.
    /// </summary>
    internal static FileStream? OpenScanned(int rootFd, string rel, FileStatus scanned)
    {
        var fd = AtCalls.OpenBeneath(rootFd, rel, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK);
        if (fd < 0)
        {
            if (-fd is AtCalls.EACCES or AtCalls.EPERM)
                throw Resh.Core.Errors.ExceptionTranslation.FromErrno(-fd, $" ({Resh.Core.Text.PathBytes.Display(rel)})").ToException();
            return null; // gone, or a symlink (ELOOP/EXDEV/ENOTDIR) now stands where the file was
        }
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        var now = AtCalls.FStat(fd, out _);
        if (now is not { } n || !n.IsRegular || n.Inode != scanned.Inode || n.DevMajor != scanned.DevMajor || n.DevMinor != scanned.DevMinor || n.Size != scanned.Size)
        {
            handle.Dispose();
            return null;
        }
        Posix.AdviseSequential(fd);
        return new FileStream(handle, FileAccess.Read, 1);
    }

    /// <summary>
    /// The extended attributes (ACLs included) of a scanned file or directory, read through an O_PATH
    /// descriptor opened beneath the root without following symlinks (and checked to be the scanned inode);
    /// null when it has none or cannot be looked at.
    /// </summary>
    internal static IReadOnlyDictionary<string, string>? ReadXattrs(int rootFd, string rel, FileStatus scanned)
    {
        if (rootFd < 0) return null;
        var fd = AtCalls.OpenBeneath(rootFd, rel, AtCalls.O_PATH | AtCalls.O_NOFOLLOW);
        if (fd < 0) return null;
        try
        {
            if (AtCalls.FStat(fd, out _) is not { } now || now.Inode != scanned.Inode) return null;
            var proc = $"/proc/self/fd/{fd}";
            var names = Posix.ListXattr(proc, follow: true, out _);
            if (names is null || names.Count == 0) return null;
            var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in names)
                if (Posix.GetXattr(proc, name, follow: true, out _) is { } value) map[name] = Convert.ToBase64String(value);
            return map.Count == 0 ? null : new Dictionary<string, string>(map, StringComparer.Ordinal);
        }
        finally
        {
            AtCalls.Close(fd);
        }
    }

    public static long SizeOfTree(string root, PathFilter filter, CancellationToken ct)
    {
        long total = 0;
        foreach (var item in TreeWalker.Walk(root, filter, ct))
            if (item.Status.IsRegular) total += item.Status.Size;
        return total;
    }

    internal static FileStatus? LStatOrNull(string path) => Posix.Stat(path, follow: false, out _);
}
