using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Removing a directory tree in two steps: a plan (every entry lstat'ed, unreadable directories and
/// nested mount points found) and then the removal, children before parents, through directory
/// descriptors (openat O_NOFOLLOW, unlinkat), so a directory swapped for a symlink mid-way is removed
/// as a link and never followed. The plan opens the parent directory once and the removal works in that
/// same descriptor, starting only at the very directory the plan checked (same device and inode): a
/// parent swapped for a symlink in between, or the tree swapped for another directory, removes nothing.
/// Each directory is checked for a mount point again as it is entered, so a mount that appears after
/// the plan is not emptied without force. A removal that fails part-way goes on with
/// what it can (as rm -r does) and reports what was removed and what was not.
/// </summary>
internal sealed class TreeRemoval : IDisposable
{
    const int ListCap = 100;

    readonly int _parentFd;
    readonly FileStatus? _planned;

    TreeRemoval(string root, int parentFd, FileStatus? planned, long count, List<string> unreadable, List<string> mounts, long bytes)
    {
        Root = root;
        _parentFd = parentFd;
        _planned = planned;
        Count = count;
        Unreadable = unreadable;
        MountPoints = mounts;
        Bytes = bytes;
    }

    public string Root { get; }
    public List<string> Unreadable { get; }
    public List<string> MountPoints { get; }
    /// <summary>Bytes of regular files in the tree.</summary>
    public long Bytes { get; }
    /// <summary>Entries to remove, the root included.</summary>
    public long Count { get; }

    /// <summary>What the removal did.</summary>
    public sealed class Report
    {
        public long Removed { get; set; }
        public long Bytes { get; set; }
        public List<string> RemovedPaths { get; } = [];
        public List<FileDeleteFailure> NotRemoved { get; } = [];
        public long Failures { get; set; }
        public bool Complete => Failures == 0;
    }

    /// <summary>
    /// Checks the tree: every entry below <paramref name="root"/> lstat'ed through descriptors from the parent
    /// directory opened here (and held until <see cref="Dispose"/>), unreadable directories and mount points found.
    /// </summary>
    public static TreeRemoval Plan(VerbContext ctx, string root)
    {
        var unreadable = new List<string>();
        var mounts = new List<string>();
        long bytes = 0, count = 1;
        var parentFd = Posix.OpenAt(Posix.AT_FDCWD, Path.GetDirectoryName(root) ?? "/", Posix.O_PATH | Posix.O_DIRECTORY);
        if (parentFd < 0) throw FileErrors.Throw(-parentFd, root, "delete");
        var name = Path.GetFileName(root);
        var planned = Posix.StatAt(parentFd, name, follow: false, out _);
        try
        {
            foreach (var e in TreeWalk.EnumerateAt(parentFd, name, root, int.MaxValue, null, (where, _) => unreadable.Add(where), ctx.Cancellation))
            {
                if (e.Stat.IsDirectory && DeleteGuard.IsMountPoint(e.Path, e.Stat)) mounts.Add(e.Path);
                count++;
                if (e.Stat.IsRegular) bytes += e.Stat.Size;
            }
        }
        catch
        {
            Posix.Close(parentFd);
            throw;
        }
        return new TreeRemoval(root, parentFd, planned, count, unreadable, mounts, bytes);
    }

    public void Dispose()
    {
        if (_parentFd >= 0) Posix.Close(_parentFd);
    }

    /// <summary>An error when the plan cannot be carried out safely, else null.</summary>
    public ReshError? Refusal(bool force)
    {
        if (Unreadable.Count > 0)
            return ReshError.PermissionDenied($"Cannot read {Unreadable.Count} director{(Unreadable.Count == 1 ? "y" : "ies")} below {FilePaths.Display(Root)}; nothing was removed.",
                "Run as a user who can read the whole tree (sudo).",
                new JsonObject { ["path"] = FilePaths.Display(Root), ["unreadable"] = Array(Unreadable) });
        if (MountPoints.Count > 0 && !force)
            return ReshError.Conflict($"Refusing to remove {FilePaths.Display(Root)}: {MountPoints.Count} mount point(s) below it.", "Unmount them first, or pass force=true to remove their content too.",
                new JsonObject { ["path"] = FilePaths.Display(Root), ["mount_points"] = Array(MountPoints) });
        return null;
    }

    /// <summary>
    /// Removes the tree; never throws for one entry that cannot go (see <see cref="Report"/>). Mount points met
    /// on the way are entered only with <paramref name="force"/> (the plan refused the ones it saw).
    /// </summary>
    public Report Apply(VerbContext ctx, bool force)
    {
        var report = new Report();
        var name = Path.GetFileName(Root);
        var now = Posix.StatAt(_parentFd, name, follow: false, out var errno);
        if (now is null && errno == Posix.ENOENT) return report; // gone meanwhile: nothing to do
        if (now is not { IsDirectory: true } n || _planned is not { } p || n.Inode != p.Inode || n.DevMajor != p.DevMajor || n.DevMinor != p.DevMinor)
        {
            FailWith(report, Root, "it was replaced by another directory or a link after it was checked; nothing was removed");
            return report;
        }
        new Walk(ctx, report, force).RemoveTree(_parentFd, Posix.FStat(_parentFd, out _) ?? n, name, Root);
        return report;
    }

    /// <summary>Throws the first failure (for callers that cannot report a partial removal).</summary>
    public void ApplyOrThrow(VerbContext ctx, bool force)
    {
        var report = Apply(ctx, force);
        if (report.Complete) return;
        var first = report.NotRemoved[0];
        throw ReshError.Failed($"Could not remove {first.Path}: {first.Error}; {report.Removed} entries were removed before.",
            "Fix the permission or unmount what is busy, and retry.",
            new JsonObject { ["path"] = FilePaths.Display(Root), ["removed_before_failure"] = report.Removed }).ToException();
    }

    /// <summary>One removal's walk: children before parents, by directory descriptor.</summary>
    sealed class Walk(VerbContext ctx, Report report, bool force)
    {
        /// <summary>Removes <paramref name="name"/> below <paramref name="parentFd"/> (whose status is <paramref name="parent"/>) and everything in it.</summary>
        public void RemoveTree(int parentFd, FileStatus parent, string name, string path)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            var fd = Posix.OpenAt(parentFd, name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
            if (fd < 0)
            {
                if (-fd is Posix.ENOTDIR or Posix.ELOOP) RemoveEntry(report, parentFd, name, path, directory: false, 0); // it is no longer a directory
                else if (-fd != Posix.ENOENT) Fail(report, path, -fd);
                return;
            }
            long failuresBefore = report.Failures;
            try
            {
                var self = Posix.FStat(fd, out var statErrno);
                if (self is not { } me)
                {
                    Fail(report, path, statErrno);
                    return;
                }
                if (!force && IsMountRoot(parent, me))
                {
                    FailWith(report, path, "a mount point that was not there when the tree was checked; not entered (pass force=true to remove its content too)");
                    return;
                }
                var entries = Posix.ReadDirectory(fd, out var errno);
                if (entries is null)
                {
                    Fail(report, path, errno);
                    return;
                }
                foreach (var e in entries)
                {
                    var child = TreeWalk.Join(path, e.Name);
                    var st = Posix.StatAt(fd, e.Name, follow: false, out _);
                    if (st is { IsDirectory: true }) RemoveTree(fd, me, e.Name, child);
                    else if (st is { } s) RemoveEntry(report, fd, e.Name, child, directory: false, s.IsRegular ? s.Size : 0);
                }
            }
            finally
            {
                Posix.Close(fd);
            }
            if (report.Failures > failuresBefore)
            {
                // Something below stays, so this directory stays too.
                report.Failures++;
                if (report.NotRemoved.Count < ListCap) report.NotRemoved.Add(new FileDeleteFailure(FilePaths.Display(path), "not empty: entries below it could not be removed"));
                return;
            }
            RemoveEntry(report, parentFd, name, path, directory: true, 0);
        }
    }

    static void RemoveEntry(Report report, int dirFd, string name, string path, bool directory, long size)
    {
        var rc = Posix.UnlinkAt(dirFd, name, directory);
        if (rc == Posix.ENOENT) return;
        if (rc != 0) { Fail(report, path, rc); return; }
        report.Removed++;
        report.Bytes += size;
        if (report.RemovedPaths.Count < ListCap) report.RemovedPaths.Add(FilePaths.Display(path));
    }

    /// <summary>A directory is the root of a mount: statx says so, or it lies on another device or mount than its parent.</summary>
    static bool IsMountRoot(FileStatus parent, FileStatus dir) =>
        dir.IsMountRoot || parent.DevMajor != dir.DevMajor || parent.DevMinor != dir.DevMinor
        || (parent.MountId is { } a && dir.MountId is { } b && a != b);

    static void FailWith(Report report, string path, string why)
    {
        report.Failures++;
        if (report.NotRemoved.Count < ListCap) report.NotRemoved.Add(new FileDeleteFailure(FilePaths.Display(path), why));
    }

    static void Fail(Report report, string path, int errno)
    {
        report.Failures++;
        if (report.NotRemoved.Count < ListCap) report.NotRemoved.Add(new FileDeleteFailure(FilePaths.Display(path), Posix.StrError(errno)));
    }

    static JsonArray Array(List<string> items) => new(items.Take(20).Select(u => (JsonNode?)FilePaths.Display(u)).ToArray());
}
