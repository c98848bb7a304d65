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
    public static async Task<long> RunAsync(VerbContext ctx, CopyPlan plan, bool preserve, bool preserveOwner)
    {
        long bytes = 0;
        var umask = FileNative.Umask();
        var dirsToFinish = new List<CopyStep>();
        var lost = new HashSet<string>(StringComparer.Ordinal);
        using var progress = ctx.Progress("copy", plan.BytesToCopy);
        foreach (var step in plan.Steps)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            switch (step.Action)
            {
                case CopyAction.MakeDir:
                    FileErrors.Check(FileNative.Mkdir(step.Dest, 0x1C0 /* 0700 until finished */), step.Dest, "create the directory");
                    dirsToFinish.Add(step);
                    break;
                case CopyAction.EnterDir:
                    break;
                case CopyAction.SyncMetadata when step.SourceStat.IsDirectory:
                    dirsToFinish.Add(step);
                    break;
                case CopyAction.SyncMetadata:
                    SetMetadata(step.Source, step.Dest, step.SourceStat, preserve, preserveOwner, umask, isNew: false, lost);
                    break;
                case CopyAction.CopyFile:
                    await CopyFileAsync(ctx, step, preserve, preserveOwner, umask, progress, lost).ConfigureAwait(false);
                    bytes += step.SourceStat.Size;
                    break;
                case CopyAction.MakeLink:
                    Replace(step, temp => FileNative.Symlink(step.LinkTarget!, temp), preserve, preserveOwner, umask, lost);
                    break;
                case CopyAction.MakeHardLink:
                    Replace(step, temp => FileNative.Link(step.LinkTarget!, temp), preserve: false, preserveOwner: false, umask, lost);
                    break;
                case CopyAction.MakeNode:
                    Replace(step, temp => Posix.MknodAt(Posix.AT_FDCWD, temp, (step.SourceStat.Mode & FileStatus.S_IFMT) | 0x180,
                        step.SourceStat.RdevMajor, step.SourceStat.RdevMinor), preserve, preserveOwner, umask, lost);
                    break;
            }
        }
        for (int i = dirsToFinish.Count - 1; i >= 0; i--)
        {
            var d = dirsToFinish[i];
            SetMetadata(d.Source, d.Dest, d.SourceStat, preserve, preserveOwner, umask, isNew: d.Action == CopyAction.MakeDir, lost);
        }
        if (lost.Count > 0)
            ctx.Warn($"Not kept on the copies: {string.Join(", ", lost.Take(10))}{(lost.Count > 10 ? $" and {lost.Count - 10} more" : "")}.");
        return bytes;
    }

    static async Task CopyFileAsync(VerbContext ctx, CopyStep step, bool preserve, bool preserveOwner, uint umask,
        Resh.Core.Output.ProgressBar progress, HashSet<string> lost)
    {
        uint mode = preserve ? step.SourceStat.Permissions
            : step.DestStat is { IsRegular: true } d ? d.Permissions
            : step.SourceStat.Permissions & 0x1FF & ~umask; // cp without -p: the source's bits minus the umask
        var dir = Path.GetDirectoryName(step.Dest)!;
        var name = Path.GetFileName(step.Dest);
        var dirFd = Posix.OpenAt(Posix.AT_FDCWD, dir, Posix.O_PATH | Posix.O_DIRECTORY);
        if (dirFd < 0) throw FileErrors.Throw(-dirFd, dir, "copy into");
        var temp = AtomicRewrite.TempName(name);
        bool renamed = false;
        try
        {
            using var input = Posix.OpenHandle(Posix.AT_FDCWD, step.Source, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno)
                ?? throw FileErrors.Throw(errno, step.Source, "read");
            var fd = Posix.OpenAt(dirFd, temp, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, 0x180);
            if (fd < 0) throw FileErrors.Throw(-fd, step.Dest, "copy to");
            using (var output = new SafeFileHandle(fd, ownsHandle: true))
            {
                await CopyDataAsync(ctx, input, output, step.Dest, step.SourceStat.Size, progress).ConfigureAwait(false);
                if (preserve || preserveOwner) SetOwner(fd, step.SourceStat, preserveOwner || preserve);
                if (preserve) CopyXattrs((int)input.DangerousGetHandle(), fd, lost);
                FileErrors.Check(Posix.FChmod(fd, mode), step.Dest, "set the mode of");
                if (preserve && Posix.TimesAt((int)input.DangerousGetHandle(), "", true) is { } t)
                    FileErrors.Check(Posix.SetTimesAt(fd, null, t, true), step.Dest, "set the times of");
                FileErrors.Check(Posix.FSync(fd), step.Dest, "copy to");
            }
            FileErrors.Check(Posix.RenameAt(dirFd, temp, dirFd, name), step.Dest, "copy to");
            renamed = true;
        }
        finally
        {
            if (!renamed) Posix.UnlinkAt(dirFd, temp, false);
            Posix.Close(dirFd);
        }
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

    /// <summary>Creates the new entry beside the destination and renames it over (links, hard links, nodes).</summary>
    static void Replace(CopyStep step, Func<string, int> make, bool preserve, bool preserveOwner, uint umask, HashSet<string> lost)
    {
        var temp = Path.Combine(Path.GetDirectoryName(step.Dest)!, AtomicRewrite.TempName(Path.GetFileName(step.Dest)));
        FileErrors.Check(make(temp), step.Dest, "create");
        try
        {
            if (step.Action != CopyAction.MakeHardLink)
            {
                if (step.Action == CopyAction.MakeLink)
                {
                    if (preserveOwner || preserve) Posix.Chown(temp, step.SourceStat.Uid, preserveOwner || LibC.GetEUid() == 0 ? step.SourceStat.Gid : uint.MaxValue, follow: false);
                    if (preserve) FileNative.CopyTimes(step.Source, temp, follow: false);
                }
                else SetMetadata(step.Source, temp, step.SourceStat, preserve, preserveOwner, umask, isNew: true, lost);
            }
            FileErrors.Check(FileNative.Rename(temp, step.Dest), step.Dest, "create");
        }
        catch
        {
            FileNative.Unlink(temp);
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

    static void SetMetadata(string sourcePath, string path, FileStatus source, bool preserve, bool preserveOwner, uint umask, bool isNew, HashSet<string> lost)
    {
        if (preserve || preserveOwner)
        {
            if (LibC.GetEUid() == 0) Posix.Chown(path, source.Uid, source.Gid, follow: false);
            else Posix.Chown(path, uint.MaxValue, source.Gid, follow: false);
        }
        if (preserve && (source.IsDirectory || source.FileType == FileStatus.S_IFIFO))
        {
            // Attributes (default ACLs of directories included), read and written through descriptors
            // (device nodes are not opened: opening one can act on the device).
            var src = Posix.OpenAt(Posix.AT_FDCWD, sourcePath, Posix.O_PATH | Posix.O_NOFOLLOW);
            var dst = Posix.OpenAt(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK);
            if (src >= 0 && dst >= 0) CopyXattrs(src, dst, lost);
            Posix.Close(src);
            Posix.Close(dst);
        }
        if (preserve) FileErrors.Check(FileNative.Chmod(path, source.Permissions), path, "set the mode of");
        else if (isNew) FileErrors.Check(FileNative.Chmod(path, source.Permissions & 0x1FF & ~umask), path, "set the mode of");
        if (preserve) FileErrors.Check(FileNative.CopyTimes(sourcePath, path, follow: false), path, "set the times of");
    }
}
