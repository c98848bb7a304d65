using System.Runtime.InteropServices;
using Resh.Core.Platform;

namespace Resh.Handles.Storage;

/// <summary>libc calls the storage handles need that .NET does not expose (times without following links, links, nodes, exchange).</summary>
public static partial class NativeFs
{
    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;
    const uint RENAME_EXCHANGE = 2;

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int UtimensAt(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int LinkNative(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int MknodNative(string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int RenameAt2(int olddirfd, string oldPath, int newdirfd, string newPath, uint flags);

    /// <summary>Sets the modification (and access) time of a path without following a symlink; returns errno or 0.</summary>
    public static unsafe int SetTimes(string path, long mtimeSec, long mtimeNsec)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Sec = mtimeSec, Nsec = mtimeNsec };
        times[1] = times[0];
        return UtimensAt(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static int SetTimes(string path, DateTimeOffset mtime)
    {
        var ticks = mtime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        return SetTimes(path, sec, rem * 100);
    }

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int MkdirNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "symlink", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int SymlinkNative(string target, string linkPath);

    /// <summary>Creates one directory (not its parents); returns errno or 0 (EEXIST when the name is taken by anything).</summary>
    public static int Mkdir(string path, uint mode) => MkdirNative(path, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Creates a symlink at <paramref name="linkPath"/>; returns errno or 0 (EEXIST when the name is taken).</summary>
    public static int Symlink(string target, string linkPath) => SymlinkNative(target, linkPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Link(string existing, string newPath) => LinkNative(existing, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Mknod(string path, uint mode, uint major, uint minor)
    {
        // glibc makedev encoding
        ulong dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        return MknodNative(path, mode, dev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Atomically swaps two paths (renameat2 RENAME_EXCHANGE); returns errno or 0.</summary>
    public static int Exchange(string a, string b) => RenameAt2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [StructLayout(LayoutKind.Sequential)]
    public struct StatVfsBuffer
    {
        public ulong Bsize, Frsize, Blocks, Bfree, Bavail, Files, Ffree, Favail, Fsid, Flag, Namemax;
        public unsafe fixed int Spare[6];
    }

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int StatVfsNative(string path, out StatVfsBuffer buf);

    public static StatVfsBuffer? StatVfs(string path, out int errno)
    {
        if (StatVfsNative(path, out var buf) == 0) { errno = 0; return buf; }
        errno = Marshal.GetLastPInvokeError();
        return null;
    }
}
