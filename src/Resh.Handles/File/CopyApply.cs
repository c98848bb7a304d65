using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Carries out a <see cref="CopyPlan"/>: files through a temporary sibling and rename (a reader never
/// sees half a file), links and nodes created beside and renamed over, directory metadata set last
/// (deepest first) so read-only source directories can still be filled. With preserve, like cp -a:
/// mode, access and modification times (nanoseconds), owner and group (as root; the group alone
/// otherwise, where allowed), extended attributes and ACLs, and hard links within the tree. Every
/// name goes to the kernel byte-exact.
/// </summary>
internal static partial class CopyApply
{
    /// <summary>
    /// Every destination entry is reached beneath one descriptor held on the directory that holds the
    /// top of the copy, one component at a time with O_NOFOLLOW: a directory of the tree swapped for a
    /// symlink mid-copy is never followed (the step fails with ELOOP/ENOTDIR). The chain of directories
    /// to the last parent used stays open (the plan is in tree order), so a file costs no path walk of its
    /// own, and every write lands in a directory inode opened this way, wherever it is moved meanwhile.
    /// Sources are opened and checked against the inode the plan saw; one that changed is skipped with a warning.
    /// </summary>
    sealed class Beneath : IDisposable
    {
        public int BaseFd = -1;
        public string BasePath = "/";
        readonly List<(string Name, int Fd)> _chain = [];

        public static Beneath Open(string topDest)
        {
            var dir = Path.GetDirectoryName(topDest) ?? "/";
            var fd = Posix.OpenAt(Posix.AT_FDCWD, dir, Posix.O_PATH | Posix.O_DIRECTORY);
            if (fd < 0) throw FileErrors.Throw(-fd, dir, "copy into");
            // Every entry is written beneath this descriptor: a surface's path patterns judge it (PathConfinement): the
            // copy's top path, or the directory it lands in (a copy into a directory the patterns grant).
            if (PathConfinement.Check(PathAct.Write, fd, Path.GetFileName(topDest)) is { } refused && PathConfinement.Check(PathAct.Write, fd, ".") is not null)
            {
                Posix.Close(fd);
                throw refused.ToException();
            }
            return new Beneath { BaseFd = fd, BasePath = dir };
        }

        string[] Parts(string dest)
        {
            var prefix = BasePath == "/" ? "/" : BasePath + "/";
            if (!dest.StartsWith(prefix, StringComparison.Ordinal)) throw FileErrors.Throw(Posix.EXDEV, dest, "copy to");
            return dest[prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        }

        /// <summary>The O_PATH descriptor of the directory holding <paramref name="dest"/> and its last name. Borrowed:
        /// valid until the next call, never closed by the caller.</summary>
        public int Parent(string dest, out string name)
        {
            var parts = Parts(dest);
            name = parts.Length == 0 ? "." : parts[^1];
            int common = 0;
            while (common < _chain.Count && common < parts.Length - 1 && _chain[common].Name == parts[common]) common++;
            for (int i = _chain.Count - 1; i >= common; i--)
            {
                Posix.Close(_chain[i].Fd);
                _chain.RemoveAt(i);
            }
            int cur = common == 0 ? BaseFd : _chain[common - 1].Fd;
            for (int i = common; i < parts.Length - 1; i++)
            {
                if (parts[i] is "." or "..") throw FileErrors.Throw(Posix.EINVAL, dest, "copy to");
                var next = Posix.OpenAt(cur, parts[i], Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
                if (next < 0) throw FileErrors.Throw(-next == Posix.ENOTDIR ? Posix.ELOOP : -next, dest, "copy to");
                _chain.Add((parts[i], next));
                cur = next;
            }
            return cur;
        }

        /// <summary>Like <see cref="Parent"/>, but a descriptor of its own (the caller closes it), leaving the chain alone.</summary>
        public int OwnParent(string dest, out string name)
        {
            Parts(dest);
            var prefix = BasePath == "/" ? "/" : BasePath + "/";
            var fd = SafePath.OpenParentBeneath(BaseFd, dest[prefix.Length..], out name, out var errno);
            if (fd < 0) throw FileErrors.Throw(errno == Posix.ENOTDIR ? Posix.ELOOP : errno, dest, "copy to");
            return fd;
        }

        public void Dispose()
        {
            foreach (var (_, fd) in _chain) Posix.Close(fd);
            _chain.Clear();
            Posix.Close(BaseFd);
            BaseFd = -1;
        }
    }

    /// <summary>
    /// Copied files waiting for their rename: the data of a batch (up to <see cref="MaxFiles"/> files or
    /// <see cref="MaxBytes"/>) is made durable in one go — syncfs(2) once per file system, or fsync(2) of each
    /// file when the batch is small — and only then is each temporary renamed over its name. A crash leaves
    /// the old entry or the whole new file, as with a per-file fsync, for a fraction of the journal commits
    /// (per-file fsync made a tree of small files 3-16x slower than cp -a).
    /// </summary>
    sealed class DurableBatch : IDisposable
    {
        const int MaxFiles = 256;
        const long MaxBytes = 256L << 20;
        const int FsyncEach = 8;
        readonly List<(SafeFileHandle File, int DirFd, string Temp, string Name, string Dest)> _files = [];
        readonly Dictionary<string, int> _dirs = new(StringComparer.Ordinal); // destination directory -> own descriptor, for this batch
        long _bytes;

        public bool Full => _files.Count >= MaxFiles || _bytes >= MaxBytes;
        public int Count => _files.Count;

        /// <summary>Takes the written temporary (and its descriptor) into the batch; <paramref name="chainFd"/> is borrowed.</summary>
        public void Add(SafeFileHandle file, int chainFd, string temp, string name, string dest, long size)
        {
            var dir = Path.GetDirectoryName(dest) ?? "/";
            if (!_dirs.TryGetValue(dir, out var own))
            {
                own = Posix.OpenAt(chainFd, ".", Posix.O_PATH | Posix.O_DIRECTORY);
                if (own < 0) throw FileErrors.Throw(-own, dest, "copy to");
                _dirs[dir] = own;
            }
            _files.Add((file, own, temp, name, dest));
            _bytes += size;
        }

        public void Flush()
        {
            if (_files.Count == 0) return;
            if (_files.Count <= FsyncEach)
            {
                foreach (var f in _files) FileErrors.Check(Posix.FSync((int)f.File.DangerousGetHandle()), f.Dest, "copy to");
            }
            else
            {
                var synced = new HashSet<(uint, uint)>();
                foreach (var f in _files)
                {
                    var fd = (int)f.File.DangerousGetHandle();
                    if (Posix.FStat(fd, out var e) is not { } st) throw FileErrors.Throw(e, f.Dest, "copy to");
                    if (synced.Add((st.DevMajor, st.DevMinor)) && SyncFs(fd) != 0)
                        throw FileErrors.Throw(Marshal.GetLastPInvokeError(), f.Dest, "copy to");
                }
            }
            for (int i = 0; i < _files.Count; i++)
            {
                var f = _files[i];
                f.File.Dispose();
                FileErrors.Check(Posix.RenameAt(f.DirFd, f.Temp, f.DirFd, f.Name), f.Dest, "copy to");
                _files[i] = f with { Temp = "" };
            }
            Release();
        }

        /// <summary>Removes temporaries not renamed (a failure or a cancellation) and closes every descriptor.</summary>
        public void Dispose()
        {
            foreach (var f in _files)
            {
                f.File.Dispose();
                if (f.Temp.Length > 0) Posix.UnlinkAt(f.DirFd, f.Temp, false);
            }
            Release();
        }

        void Release()
        {
            foreach (var fd in _files.Select(f => f.DirFd).Distinct()) Posix.Close(fd);
            _files.Clear();
            _dirs.Clear();
            _bytes = 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    static bool SameInode(FileStatus a, FileStatus b) => a.Inode == b.Inode && a.DevMajor == b.DevMajor && a.DevMinor == b.DevMinor;

    public static async Task<long> RunAsync(VerbContext ctx, CopyPlan plan, bool preserve, bool preserveOwner)
    {
        long bytes = 0;
        var umask = FileNative.Umask();
        var dirsToFinish = new List<(CopyStep Step, FileStatus? Made)>();
        var lost = new HashSet<string>(StringComparer.Ordinal);
        var changed = new List<string>();
        using var progress = ctx.Progress("copy", plan.BytesToCopy);
        if (plan.Steps.Count == 0) return 0;
        using var beneath = Beneath.Open(plan.Steps[0].Dest);
        using var batch = new DurableBatch();
        foreach (var step in plan.Steps)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            switch (step.Action)
            {
                case CopyAction.MakeDir:
                {
                    var parent = beneath.Parent(step.Dest, out var name);
                    FileErrors.Check(Posix.MkdirAt(parent, name, 0x1C0 /* 0700 until finished */), step.Dest, "create the directory");
                    dirsToFinish.Add((step, Posix.StatAt(parent, name, follow: false, out _)));
                    break;
                }
                case CopyAction.EnterDir:
                    break;
                case CopyAction.SyncMetadata when step.SourceStat.IsDirectory:
                    dirsToFinish.Add((step, step.DestStat));
                    break;
                case CopyAction.SyncMetadata:
                {
                    var parent = beneath.Parent(step.Dest, out var name);
                    if (Posix.StatAt(parent, name, follow: false, out _) is not { } now || step.DestStat is not { } was || !SameInode(now, was) || now.IsSymlink != was.IsSymlink)
                        changed.Add(step.Dest);
                    else SetMetadata(step.Source, parent, name, step.Dest, step.SourceStat, preserve, preserveOwner, umask, isNew: false, lost);
                    break;
                }
                case CopyAction.CopyFile:
                    if (await CopyFileAsync(ctx, beneath, batch, step, preserve, preserveOwner, umask, progress, lost).ConfigureAwait(false))
                        bytes += step.SourceStat.Size;
                    else changed.Add(step.Source);
                    if (batch.Full) batch.Flush();
                    break;
                case CopyAction.MakeLink:
                    Replace(beneath, step, (dir, temp) => Posix.SymlinkAt(step.LinkTarget!, dir, temp), preserve, preserveOwner, umask, lost);
                    break;
                case CopyAction.MakeHardLink:
                    batch.Flush(); // the first name of the inode may still be a temporary
                    Replace(beneath, step, (dir, temp) =>
                    {
                        var firstParent = beneath.OwnParent(step.LinkTarget!, out var firstName);
                        try { return Posix.LinkAt(firstParent, firstName, dir, temp); }
                        finally { Posix.Close(firstParent); }
                    }, preserve: false, preserveOwner: false, umask, lost);
                    break;
                case CopyAction.MakeNode:
                    Replace(beneath, step, (dir, temp) => Posix.MknodAt(dir, temp, (step.SourceStat.Mode & FileStatus.S_IFMT) | 0x180,
                        step.SourceStat.RdevMajor, step.SourceStat.RdevMinor), preserve, preserveOwner, umask, lost);
                    break;
            }
        }
        // Every rename lands before directory times are set (a rename would change them again).
        batch.Flush();
        for (int i = dirsToFinish.Count - 1; i >= 0; i--)
        {
            var (d, made) = dirsToFinish[i];
            // Reached beneath the held root, and only when it is still the directory made (or planned): never a swapped-in one.
            var parent = beneath.Parent(d.Dest, out var name);
            if (made is not { } m || Posix.StatAt(parent, name, follow: false, out _) is not { IsDirectory: true } now || !SameInode(now, m))
                changed.Add(d.Dest);
            else SetMetadata(d.Source, parent, name, d.Dest, d.SourceStat, preserve, preserveOwner, umask, isNew: d.Action == CopyAction.MakeDir, lost);
        }
        if (changed.Count > 0)
            ctx.Warn($"Changed while copying, left alone: {string.Join(", ", changed.Take(10).Select(FilePaths.Display))}{(changed.Count > 10 ? $" and {changed.Count - 10} more" : "")}.");
        if (lost.Count > 0)
            ctx.Warn($"Not kept on the copies: {string.Join(", ", lost.Take(10))}{(lost.Count > 10 ? $" and {lost.Count - 10} more" : "")}.");
        return bytes;
    }

    /// <summary>Copies one file into a temporary beside its name and hands it to the batch, which makes it durable and
    /// renames it; false (nothing written) when the source is no longer the file the plan saw.</summary>
    static async Task<bool> CopyFileAsync(VerbContext ctx, Beneath beneath, DurableBatch batch, CopyStep step, bool preserve, bool preserveOwner, uint umask,
        Resh.Core.Output.ProgressBar progress, HashSet<string> lost)
    {
        uint mode = preserve ? step.SourceStat.Permissions
            : step.DestStat is { IsRegular: true } d ? d.Permissions
            : step.SourceStat.Permissions & 0x1FF & ~umask; // cp without -p: the source's bits minus the umask
        // The source: O_NOFOLLOW unless the plan itself followed a link there (follow=true), and in every case the inode the plan saw.
        var input = Posix.OpenHandle(Posix.AT_FDCWD, step.Source, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOFOLLOW | Posix.O_NOCTTY, 0, out var errno);
        if (input is null && errno == Posix.ELOOP)
            input = Posix.OpenHandle(Posix.AT_FDCWD, step.Source, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOCTTY, 0, out errno);
        if (input is null) throw FileErrors.Throw(errno, step.Source, "read");
        using var _input = input;
        var inFd = (int)input.DangerousGetHandle();
        if (Posix.FStat(inFd, out _) is not { IsRegular: true } opened || !SameInode(opened, step.SourceStat))
            return false;
        var dirFd = beneath.Parent(step.Dest, out var name);
        var temp = AtomicRewrite.TempName(name);
        var fd = Posix.OpenAt(dirFd, temp, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, 0x180);
        if (fd < 0) throw FileErrors.Throw(-fd, step.Dest, "copy to");
        var output = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            await CopyDataAsync(ctx, input, output, step.Dest, step.SourceStat.Size, progress).ConfigureAwait(false);
            if (preserve || preserveOwner) SetOwner(fd, step.SourceStat, preserveOwner || preserve);
            if (preserve) foreach (var l in MetadataCarry.CopyXattrs(inFd, fd, readable: true)) lost.Add(l);
            FileErrors.Check(Posix.FChmod(fd, mode), step.Dest, "set the mode of");
            if (preserve && Posix.TimesAt(inFd, "", true) is { } t)
                FileErrors.Check(Posix.SetTimesAt(fd, null, t, true), step.Dest, "set the times of");
        }
        catch
        {
            output.Dispose();
            Posix.UnlinkAt(dirFd, temp, false);
            throw;
        }
        batch.Add(output, dirFd, temp, name, step.Dest, step.SourceStat.Size);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(int fdIn, nint offIn, int fdOut, nint offOut, nuint len, uint flags);

    /// <summary>copy_file_range(2) (in-kernel, reflinks where the file system can), else 1 MiB reads and writes.</summary>
    static async Task CopyDataAsync(VerbContext ctx, SafeFileHandle input, SafeFileHandle output, string dest, long size, Resh.Core.Output.ProgressBar progress)
    {
        int inFd = (int)input.DangerousGetHandle(), outFd = (int)output.DangerousGetHandle();
        long copied = 0;
        while (true)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            var n = CopyFileRange(inFd, 0, outFd, 0, 1 << 30, 0);
            if (n > 0) { progress.Add(n); copied += n; continue; }
            if (n == 0 && (copied > 0 || size > 0)) return;
            if (n == 0) break; // a size of 0 may be a /proc file the kernel cannot splice: read it to be sure
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Posix.EINTR) continue;
            if (errno is Posix.EXDEV or Posix.ENOSYS or Posix.EINVAL or Posix.EOPNOTSUPP or Posix.EPERM) break;
            throw FileErrors.Throw(errno, dest, "copy to");
        }
        // What copy_file_range could not do (another file system on older kernels, pseudo files), the slow way.
        // The streams borrow the descriptors: the caller still sets owner, mode and times on them.
        await using var src = new FileStream(new SafeFileHandle(inFd, ownsHandle: false), FileAccess.Read, 1);
        await using var dst = new FileStream(new SafeFileHandle(outFd, ownsHandle: false), FileAccess.Write, 1);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await src.ReadAsync(buffer, ctx.Cancellation).ConfigureAwait(false)) > 0)
        {
            await dst.WriteAsync(buffer.AsMemory(0, read), ctx.Cancellation).ConfigureAwait(false);
            progress.Add(read);
        }
        await dst.FlushAsync(ctx.Cancellation).ConfigureAwait(false);
    }

    /// <summary>Creates the new entry beside the destination and renames it over (links, hard links, nodes), all relative to the parent's descriptor.</summary>
    static void Replace(Beneath beneath, CopyStep step, Func<int, string, int> make, bool preserve, bool preserveOwner, uint umask, HashSet<string> lost)
    {
        var dir = beneath.Parent(step.Dest, out var name);
        var temp = AtomicRewrite.TempName(name);
        FileErrors.Check(make(dir, temp), step.Dest, "create");
        try
        {
            if (step.Action != CopyAction.MakeHardLink)
            {
                if (step.Action == CopyAction.MakeLink)
                {
                    if (preserveOwner || preserve) Posix.FChownAt(dir, temp, step.SourceStat.Uid, preserveOwner || LibC.GetEUid() == 0 ? step.SourceStat.Gid : uint.MaxValue, follow: false);
                    if (preserve && Posix.TimesAt(Posix.AT_FDCWD, step.Source, false) is { } t) Posix.SetTimesAt(dir, temp, t, false);
                }
                else SetMetadata(step.Source, dir, temp, step.Dest, step.SourceStat, preserve, preserveOwner, umask, isNew: true, lost);
            }
            FileErrors.Check(Posix.RenameAt(dir, temp, dir, name), step.Dest, "create");
        }
        catch
        {
            Posix.UnlinkAt(dir, temp, false);
            throw;
        }
    }

    static void SetOwner(int fd, FileStatus source, bool tryIt)
    {
        if (!tryIt) return;
        // As root: owner and group. Otherwise the group alone, when the caller belongs to it (cp -a is silent when it cannot).
        if (LibC.GetEUid() == 0) Posix.FChown(fd, source.Uid, source.Gid);
        else Posix.FChown(fd, uint.MaxValue, source.Gid);
    }

    static void CopyXattrs(int sourceFd, int destFd, HashSet<string> lost)
    {
        foreach (var l in MetadataCarry.CopyXattrs(sourceFd, destFd)) lost.Add(l);
    }

    /// <summary>Owner, attributes, mode and times of <paramref name="name"/> in <paramref name="dirFd"/>, never through a symlink.</summary>
    static void SetMetadata(string sourcePath, int dirFd, string name, string display, FileStatus source, bool preserve, bool preserveOwner, uint umask, bool isNew, HashSet<string> lost)
    {
        if (preserve || preserveOwner)
        {
            if (LibC.GetEUid() == 0) Posix.FChownAt(dirFd, name, source.Uid, source.Gid, follow: false);
            else Posix.FChownAt(dirFd, name, uint.MaxValue, source.Gid, follow: false);
        }
        if (preserve && (source.IsDirectory || source.FileType == FileStatus.S_IFIFO))
        {
            // Attributes (default ACLs of directories included), read and written through descriptors
            // (device nodes are not opened: opening one can act on the device).
            var src = Posix.OpenAt(Posix.AT_FDCWD, sourcePath, Posix.O_PATH | Posix.O_NOFOLLOW);
            var dst = Posix.OpenAt(dirFd, name, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK);
            if (src >= 0 && dst >= 0) CopyXattrs(src, dst, lost);
            Posix.Close(src);
            Posix.Close(dst);
        }
        if (preserve) FileErrors.Check(Posix.FChmodAt(dirFd, name, source.Permissions, follow: false), display, "set the mode of");
        else if (isNew) FileErrors.Check(Posix.FChmodAt(dirFd, name, source.Permissions & 0x1FF & ~umask, follow: false), display, "set the mode of");
        if (preserve && Posix.TimesAt(Posix.AT_FDCWD, sourcePath, false) is { } t)
            FileErrors.Check(Posix.SetTimesAt(dirFd, name, t, false), display, "set the times of");
    }
}
