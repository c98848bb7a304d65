using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Resh.Core.Platform;

/// <summary>
/// An open directory, and the paths below it resolved one component at a time with O_NOFOLLOW (openat), so that
/// what a remote host, an image or another local user put there (symbolic links, "..") cannot lead a write
/// elsewhere. <see cref="PathOf"/> names an entry through /proc/self/fd, which the kernel resolves to this very
/// directory, for APIs that take a path.
/// </summary>
public sealed partial class DirHandle : IDisposable
{
    const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NONBLOCK = 0x800, O_NOFOLLOW = 0x20000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    const int ENOENT = 2, EEXIST = 17;

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenAt(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkdirAt(int dirfd, string path, int mode);

    [LibraryImport("libc", EntryPoint = "renameat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnlinkAt(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmod(int fd, int mode);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseFd(int fd);

    DirHandle(int fd, string display) { Fd = fd; Display = display; }

    public int Fd { get; private set; }

    /// <summary>The path the user knows this directory by (for messages).</summary>
    public string Display { get; }

    /// <summary>Opens a directory by path; symbolic links in the path itself are followed (it is the caller's choice).</summary>
    public static DirHandle Open(string path)
    {
        var fd = OpenAt(-100, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) throw Error(Marshal.GetLastPInvokeError(), path);
        return new DirHandle(fd, path);
    }

    /// <summary>
    /// True when a relative path has only plain components: not empty, not absolute, no "", "." or ".." component,
    /// no NUL, and no line break (nothing downstream can quote one).
    /// </summary>
    public static bool IsPlainRelative(string rel) =>
        rel.Length > 0 && rel[0] != '/' && !rel.Contains('\0') && !rel.Contains('\n') && !rel.Contains('\r') &&
        rel.Split('/').All(c => c.Length > 0 && c != "." && c != "..");

    /// <summary>
    /// The directory at rel below this one, each component opened without following symbolic links; missing ones
    /// are created (mode) when create is set, else null is returned. A symbolic link or a non-directory on the way
    /// throws an IOException naming it.
    /// </summary>
    public DirHandle? OpenBeneath(string rel, bool create, int mode = 0x1ed)
    {
        if (rel is "" or ".") return new DirHandle(Dup(), Display);
        if (!IsPlainRelative(rel)) throw new IOException($"{rel} is not a plain relative path below {Display}.");
        var fd = Dup();
        var display = Display;
        foreach (var part in rel.Split('/'))
        {
            display = Path.Combine(display, part);
            var next = OpenAt(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (next < 0 && Marshal.GetLastPInvokeError() == ENOENT && create)
            {
                if (MkdirAt(fd, part, mode) < 0 && Marshal.GetLastPInvokeError() != EEXIST)
                {
                    var e = Marshal.GetLastPInvokeError();
                    CloseFd(fd);
                    throw Error(e, display);
                }
                next = OpenAt(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            }
            var errno = Marshal.GetLastPInvokeError();
            CloseFd(fd);
            if (next < 0)
            {
                if (errno == ENOENT && !create) return null;
                throw errno is 40 or 20 // ELOOP, ENOTDIR: a symlink or a file where a directory should be
                    ? new IOException($"{display} is a symbolic link or not a directory; refusing to go through it.")
                    : Error(errno, display);
            }
            fd = next;
        }
        return new DirHandle(fd, display);
    }

    int Dup()
    {
        var fd = OpenAt(Fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) throw Error(Marshal.GetLastPInvokeError(), Display);
        return fd;
    }

    /// <summary>An entry of this directory by a path the kernel resolves through this handle (for path-taking APIs and child processes of this process).</summary>
    public string PathOf(string name) => $"/proc/{Environment.ProcessId}/fd/{Fd}/{name}";

    /// <summary>Opens a regular file of this directory for reading; null when it is missing, a symlink or not a regular file.</summary>
    public FileStream? OpenRead(string name)
    {
        var fd = OpenAt(Fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0); // a FIFO placed there must not block
        if (fd < 0) return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Posix.Stat($"/proc/self/fd/{fd}", follow: true, out _) is not { IsRegular: true })
        {
            handle.Dispose();
            return null;
        }
        return new FileStream(handle, FileAccess.Read, 1 << 16);
    }

    /// <summary>Creates a new file (O_EXCL: never an existing one or a symlink's target) with the given mode.</summary>
    public FileStream CreateNew(string name, int mode)
    {
        var fd = OpenAt(Fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0) throw Error(Marshal.GetLastPInvokeError(), Path.Combine(Display, name));
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FChmod(fd, mode);
        return new FileStream(handle, FileAccess.Write, 1 << 16);
    }

    /// <summary>
    /// Replaces <paramref name="name"/> atomically below this directory: a temporary sibling created O_EXCL|O_NOFOLLOW
    /// with <paramref name="mode"/> set on its descriptor, filled by <paramref name="write"/> (which may also fchown
    /// it) and flushed to disk, then shown to <paramref name="check"/> by its temporary name (a validator such as
    /// visudo), renamed over the entry within this directory and the directory fsynced. The temporary file is
    /// removed on any failure, and by the cleanup registry if the process is interrupted.
    /// </summary>
    public void Replace(string name, int mode, Action<FileStream> write, Action<string>? check = null)
    {
        var temp = AtomicFile.TempLeaf(name);
        using var tracked = Cleanup.Track(PathOf(temp));
        try
        {
            using (var fs = CreateNew(temp, mode))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            check?.Invoke(temp);
            tracked.Commit(() => Rename(temp, name));
            Posix.FSync(Fd);
        }
        catch
        {
            Unlink(temp);
            throw;
        }
    }

    /// <summary>Renames an entry within this directory (a symlink at the target is replaced, never followed).</summary>
    public void Rename(string from, string to)
    {
        if (RenameAt(Fd, from, Fd, to) < 0) throw Error(Marshal.GetLastPInvokeError(), Path.Combine(Display, to));
    }

    /// <summary>Removes a file entry of this directory; missing is fine.</summary>
    public void Unlink(string name) => UnlinkAt(Fd, name, 0);

    /// <summary>Sets this directory's mode (fchmod on the handle).</summary>
    public void Chmod(int mode)
    {
        if (FChmod(Fd, mode) < 0) throw Error(Marshal.GetLastPInvokeError(), Display);
    }

    static IOException Error(int errno, string path) => new($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    public void Dispose()
    {
        if (Fd >= 0) CloseFd(Fd);
        Fd = -1;
    }
}
