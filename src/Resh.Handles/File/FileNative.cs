using System.Runtime.InteropServices;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// libc calls the file handle needs beyond what .NET and the core expose. Each returns 0 or the errno,
/// so callers can map the exact failure (EXDEV, ENOTEMPTY, EEXIST...) to the right error code.
/// </summary>
internal static partial class FileNative
{
    public const int ENOENT = 2, EACCES = 13, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
        ENOTEMPTY = 39, ELOOP = 40, ENOSYS = 38, EPERM = 1, ENOTSUP = 95;

    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;
    const uint RENAME_NOREPLACE = 1;

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int RenameNative(string from, string to);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int RenameAt2Native(int olddirfd, string from, int newdirfd, string to, uint flags);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int LinkNative(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "symlink", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int SymlinkNative(string target, string linkPath);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int UnlinkNative(string path);

    [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int RmdirNative(string path);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int MkdirNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int ChmodNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int UtimensatNative(int dirfd, string path, long* times, int flags);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial nint RealpathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint p);

    static int Errno(int rc) => rc == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Rename(string from, string to) => Errno(RenameNative(from, to));

    /// <summary>rename that fails with EEXIST instead of replacing; falls back to a check where the file system lacks it.</summary>
    public static int RenameNoReplace(string from, string to)
    {
        var rc = Errno(RenameAt2Native(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE));
        if (rc is EINVAL or ENOSYS or ENOTSUP)
        {
            if (Resh.Core.Platform.Posix.Stat(to, false, out _) is not null) return EEXIST;
            return Rename(from, to);
        }
        return rc;
    }

    public static int Link(string existing, string newPath) => Errno(LinkNative(existing, newPath));
    public static int Symlink(string target, string linkPath) => Errno(SymlinkNative(target, linkPath));
    public static int Unlink(string path) => Errno(UnlinkNative(path));
    public static int Rmdir(string path) => Errno(RmdirNative(path));
    public static int Mkdir(string path, uint mode) => Errno(MkdirNative(path, mode));
    public static int Chmod(string path, uint mode) => Errno(ChmodNative(path, mode));

    /// <summary>Sets access and modification times with nanosecond precision; follow=false sets a symlink's own times.</summary>
    public static unsafe int SetTimes(string path, DateTimeOffset atime, DateTimeOffset mtime, bool follow)
    {
        long* ts = stackalloc long[4];
        (ts[0], ts[1]) = ToTimespec(atime);
        (ts[2], ts[3]) = ToTimespec(mtime);
        return Errno(UtimensatNative(AT_FDCWD, path, ts, follow ? 0 : AT_SYMLINK_NOFOLLOW));
    }

    /// <summary>Access and modification times with full nanoseconds (FileStatus keeps 100 ns ticks), for exact copies.</summary>
    public readonly record struct Times(long ASec, long ANsec, long MSec, long MNsec);

    public static unsafe Times? GetTimes(string path, bool follow)
    {
        byte* buf = stackalloc byte[256];
        if (StatxNative(AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW, 0x20 | 0x40 /* STATX_ATIME | STATX_MTIME */, buf) != 0) return null;
        return new Times(*(long*)(buf + 64), *(uint*)(buf + 72), *(long*)(buf + 112), *(uint*)(buf + 120));
    }

    public static unsafe int SetTimes(string path, Times t, bool follow)
    {
        long* ts = stackalloc long[4];
        ts[0] = t.ASec; ts[1] = t.ANsec; ts[2] = t.MSec; ts[3] = t.MNsec;
        return Errno(UtimensatNative(AT_FDCWD, path, ts, follow ? 0 : AT_SYMLINK_NOFOLLOW));
    }

    /// <summary>Copies the exact access and modification times of <paramref name="from"/> onto <paramref name="to"/>.</summary>
    public static int CopyTimes(string from, string to, bool follow)
    {
        if (GetTimes(from, follow) is not { } t) return Marshal.GetLastPInvokeError();
        return SetTimes(to, t, follow);
    }

    static (long Sec, long Nsec) ToTimespec(DateTimeOffset t)
    {
        var ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        return (sec, rem * 100);
    }

    /// <summary>The canonical absolute path with every symlink resolved, or null with errno.</summary>
    public static string? RealPath(string path, out int errno)
    {
        var p = RealpathNative(path, 0);
        if (p == 0) { errno = Marshal.GetLastPInvokeError(); return null; }
        try { errno = 0; unsafe { return PathMarshaller.FromNative((byte*)p); } }
        finally { Free(p); }
    }

    /// <summary>The process umask, read without changing it (umask(2) can only be read by setting it).</summary>
    public static uint Umask() => Resh.Core.Platform.ProcessUmask.Read();
}
