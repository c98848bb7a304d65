using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Resh.Core.Platform;

/// <summary>
/// Byte-exact, descriptor-relative file calls (openat, unlinkat, renameat2, ...). Names are path strings in
/// the <see cref="Text.PathBytes"/> convention, so a name that is not UTF-8 reaches the kernel as its own
/// bytes. Acting relative to a directory descriptor opened with O_NOFOLLOW means a path component swapped
/// for a symlink meanwhile cannot redirect the call. Each call returns 0 (or a descriptor) or the errno.
/// </summary>
public static partial class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int AT_REMOVEDIR = 0x200, AT_EACCESS = 0x200, AT_EMPTY_PATH = 0x1000,
        AT_SYMLINK_FOLLOW = 0x400;
    public const int W_OK = 2, R_OK = 4, X_OK = 1, F_OK = 0;
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EACCES = 13, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ETXTBSY = 26, EROFS = 30, EMLINK = 31, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, EOPNOTSUPP = 95;

    const string Lib = "libc";

    [LibraryImport(Lib, EntryPoint = "openat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int OpenAtNative(int dirfd, string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int UnlinkAtNative(int dirfd, string path, int flags);

    [LibraryImport(Lib, EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int RenameAt2Native(int olddirfd, string oldPath, int newdirfd, string newPath, uint flags);

    [LibraryImport(Lib, EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int MkdirAtNative(int dirfd, string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "symlinkat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int SymlinkAtNative(string target, int dirfd, string linkPath);

    [LibraryImport(Lib, EntryPoint = "linkat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int LinkAtNative(int olddirfd, string oldPath, int newdirfd, string newPath, int flags);

    [LibraryImport(Lib, EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial nint ReadLinkAtNative(int dirfd, string path, byte* buf, nuint size);

    [LibraryImport(Lib, EntryPoint = "fchownat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int FChownAtNative(int dirfd, string path, uint uid, uint gid, int flags);

    [LibraryImport(Lib, EntryPoint = "fchmodat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int FChmodAtNative(int dirfd, string path, uint mode, int flags);

    [LibraryImport(Lib, EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int UtimensAtNative(int dirfd, string? path, long* times, int flags);

    [LibraryImport(Lib, EntryPoint = "futimens", SetLastError = true)]
    private static unsafe partial int FutimensNative(int fd, long* times);

    [LibraryImport(Lib, EntryPoint = "mknodat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int MknodAtNative(int dirfd, string path, uint mode, ulong dev);

    [LibraryImport(Lib, EntryPoint = "faccessat", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int FAccessAtNative(int dirfd, string path, int mode, int flags);

    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmodNative(int fd, uint mode);

    [LibraryImport(Lib, EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChownNative(int fd, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSyncNative(int fd);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncateNative(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "close")]
    private static partial int CloseNative(int fd);

    [LibraryImport(Lib, EntryPoint = "posix_fadvise")]
    private static partial int FAdviseNative(int fd, long offset, long length, int advice);

    /// <summary>Tells the kernel the file is read front to back (bigger read-ahead), as FileOptions.SequentialScan does.</summary>
    public static void AdviseSequential(int fd) => FAdviseNative(fd, 0, 0, 2 /* POSIX_FADV_SEQUENTIAL */);

    [LibraryImport(Lib, EntryPoint = "getdents64", SetLastError = true)]
    private static unsafe partial nint GetDents64Native(int fd, byte* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoctlNative(int fd, nuint request, void* arg);

    [LibraryImport(Lib, EntryPoint = "flistxattr", SetLastError = true)]
    private static unsafe partial nint FListXattrNative(int fd, byte* list, nuint size);

    [LibraryImport(Lib, EntryPoint = "fgetxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial nint FGetXattrNative(int fd, string name, byte* value, nuint size);

    [LibraryImport(Lib, EntryPoint = "fsetxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int FSetXattrNative(int fd, string name, byte* value, nuint size, int flags);

    [LibraryImport(Lib, EntryPoint = "fremovexattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int FRemoveXattrNative(int fd, string name);

    static int Err(int rc) => rc == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>openat(2); returns the descriptor, or -errno.</summary>
    public static int OpenAt(int dirfd, string path, int flags, uint mode = 0)
    {
        while (true)
        {
            var fd = OpenAtNative(dirfd, path, flags | O_CLOEXEC, mode);
            if (fd >= 0) return fd;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return -errno;
        }
    }

    /// <summary>Opens and wraps the descriptor so FileStream and RandomAccess can use it; null with errno.</summary>
    public static SafeFileHandle? OpenHandle(int dirfd, string path, int flags, uint mode, out int errno)
    {
        var fd = OpenAt(dirfd, path, flags, mode);
        if (fd < 0) { errno = -fd; return null; }
        errno = 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    public static int Close(int fd) => fd >= 0 ? CloseNative(fd) : 0;

    public static int UnlinkAt(int dirfd, string path, bool directory) => Err(UnlinkAtNative(dirfd, path, directory ? AT_REMOVEDIR : 0));
    public static int RenameAt(int olddirfd, string oldPath, int newdirfd, string newPath, uint flags = 0) =>
        Err(RenameAt2Native(olddirfd, oldPath, newdirfd, newPath, flags));
    public static int MkdirAt(int dirfd, string path, uint mode) => Err(MkdirAtNative(dirfd, path, mode));
    public static int SymlinkAt(string target, int dirfd, string linkPath) => Err(SymlinkAtNative(target, dirfd, linkPath));
    public static int LinkAt(int olddirfd, string oldPath, int newdirfd, string newPath, int flags = 0) =>
        Err(LinkAtNative(olddirfd, oldPath, newdirfd, newPath, flags));
    public static int FChownAt(int dirfd, string path, uint uid, uint gid, bool follow) =>
        Err(FChownAtNative(dirfd, path, uid, gid, follow ? 0 : AT_SYMLINK_NOFOLLOW));
    /// <summary>fchmodat; with follow=false glibc refuses symlinks (EOPNOTSUPP) instead of changing what they point to.</summary>
    public static int FChmodAt(int dirfd, string path, uint mode, bool follow) =>
        Err(FChmodAtNative(dirfd, path, mode & 0xFFF, follow ? 0 : AT_SYMLINK_NOFOLLOW));
    public static int FChmod(int fd, uint mode) => Err(FChmodNative(fd, mode & 0xFFF));
    public static int FChown(int fd, uint uid, uint gid) => Err(FChownNative(fd, uid, gid));
    public static int FSync(int fd) => Err(FSyncNative(fd));
    public static int FTruncate(int fd, long length) => Err(FTruncateNative(fd, length));
    /// <summary>faccessat with the effective ids (AT_EACCESS), as the kernel checks an open.</summary>
    public static int AccessAt(int dirfd, string path, int mode) => Err(FAccessAtNative(dirfd, path, mode, AT_EACCESS));

    public static int MknodAt(int dirfd, string path, uint mode, uint major, uint minor)
    {
        ulong dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        return Err(MknodAtNative(dirfd, path, mode, dev));
    }

    /// <summary>Sets access and modification times (seconds, nanoseconds) of <paramref name="path"/> relative to dirfd,
    /// or of the descriptor itself when path is null (futimens: glibc's utimensat refuses a null path).</summary>
    public static unsafe int SetTimesAt(int dirfd, string? path, long aSec, long aNsec, long mSec, long mNsec, bool follow)
    {
        long* ts = stackalloc long[4];
        ts[0] = aSec; ts[1] = aNsec; ts[2] = mSec; ts[3] = mNsec;
        return path is null ? Err(FutimensNative(dirfd, ts)) : Err(UtimensAtNative(dirfd, path, ts, follow ? 0 : AT_SYMLINK_NOFOLLOW));
    }

    /// <summary>The target stored in a symlink, byte-exact (null with errno).</summary>
    public static unsafe string? ReadLinkAt(int dirfd, string path, out int errno)
    {
        for (nuint size = 256; size <= 1 << 20; size *= 4)
        {
            var buf = new byte[size];
            fixed (byte* p = buf)
            {
                var n = ReadLinkAtNative(dirfd, path, p, size);
                if (n < 0) { errno = Marshal.GetLastPInvokeError(); return null; }
                if ((nuint)n < size) { errno = 0; return Text.PathBytes.Decode(buf.AsSpan(0, (int)n)); }
            }
        }
        errno = 36;
        return null;
    }

    public static string? ReadLink(string path, out int errno) => ReadLinkAt(AT_FDCWD, path, out errno);

    /// <summary>statx relative to a directory descriptor (path "" with AT_EMPTY_PATH: the descriptor itself).</summary>
    public static unsafe FileStatus? StatAt(int dirfd, string path, bool follow, out int errno)
    {
        byte* buf = stackalloc byte[256];
        var flags = (follow ? 0 : AT_SYMLINK_NOFOLLOW) | (path.Length == 0 ? AT_EMPTY_PATH : 0);
        if (StatxNative(dirfd, path, flags, 0x7ff | 0x800 | 0x1000, buf) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        return Decode(buf);
    }

    public static FileStatus? FStat(int fd, out int errno) => StatAt(fd, "", true, out errno);

    /// <summary>Exact access and modification times (statx: seconds and nanoseconds).</summary>
    public readonly record struct Timestamps(long ASec, long ANsec, long MSec, long MNsec);

    public static unsafe Timestamps? TimesAt(int dirfd, string path, bool follow)
    {
        byte* buf = stackalloc byte[256];
        var flags = (follow ? 0 : AT_SYMLINK_NOFOLLOW) | (path.Length == 0 ? AT_EMPTY_PATH : 0);
        if (StatxNative(dirfd, path, flags, 0x20 | 0x40, buf) != 0) return null;
        return new Timestamps(*(long*)(buf + 64), *(uint*)(buf + 72), *(long*)(buf + 112), *(uint*)(buf + 120));
    }

    public static int SetTimesAt(int dirfd, string? path, Timestamps t, bool follow) =>
        SetTimesAt(dirfd, path, t.ASec, t.ANsec, t.MSec, t.MNsec, follow);

    // ---- inode flags (chattr) ---------------------------------------------------------------

    const nuint FS_IOC_GETFLAGS = 0x80086601, FS_IOC_SETFLAGS = 0x40086602;

    /// <summary>The inode flags lsattr shows (FS_IOC_GETFLAGS); null with errno where the file system has none.</summary>
    public static unsafe uint? GetInodeFlags(int fd, out int errno)
    {
        int flags = 0;
        if (IoctlNative(fd, FS_IOC_GETFLAGS, &flags) != 0) { errno = Marshal.GetLastPInvokeError(); return null; }
        errno = 0;
        return (uint)flags;
    }

    public static unsafe int SetInodeFlags(int fd, uint flags)
    {
        int f = (int)flags;
        return Err(IoctlNative(fd, FS_IOC_SETFLAGS, &f));
    }

    // ---- extended attributes on descriptors ---------------------------------------------------

    /// <summary>Every extended attribute name of an open file (ACLs are system.posix_acl_*); null with errno.</summary>
    public static unsafe List<string>? FListXattr(int fd, out int errno)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var size = FListXattrNative(fd, null, 0);
            if (size < 0) { errno = Marshal.GetLastPInvokeError(); return null; }
            if (size == 0) { errno = 0; return []; }
            var buf = new byte[size];
            fixed (byte* p = buf)
            {
                var n = FListXattrNative(fd, p, (nuint)buf.Length);
                if (n >= 0)
                {
                    errno = 0;
                    var names = new List<string>();
                    int start = 0;
                    for (int i = 0; i < n; i++)
                    {
                        if (buf[i] != 0) continue;
                        if (i > start) names.Add(Text.PathBytes.Decode(buf.AsSpan(start, i - start)));
                        start = i + 1;
                    }
                    return names;
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno != ERANGE) return null;
            }
        }
        errno = ERANGE;
        return null;
    }

    public static unsafe byte[]? FGetXattr(int fd, string name, out int errno)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var size = FGetXattrNative(fd, name, null, 0);
            if (size < 0) { errno = Marshal.GetLastPInvokeError(); return null; }
            var buf = new byte[size];
            fixed (byte* p = buf)
            {
                var n = FGetXattrNative(fd, name, p, (nuint)buf.Length);
                if (n >= 0) { errno = 0; return n == buf.Length ? buf : buf[..(int)n]; }
                errno = Marshal.GetLastPInvokeError();
                if (errno != ERANGE) return null;
            }
        }
        errno = ERANGE;
        return null;
    }

    public static unsafe int FSetXattr(int fd, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) return Err(FSetXattrNative(fd, name, p, (nuint)value.Length, 0));
    }

    public static int FRemoveXattr(int fd, string name) => Err(FRemoveXattrNative(fd, name));

    // ---- directories -------------------------------------------------------------------------

    /// <summary>One directory entry: its name (path-string convention), d_type and inode.</summary>
    public readonly record struct DirEntry(string Name, byte Type, ulong Inode)
    {
        public const byte DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;
        public bool IsDirectory => Type == DT_DIR;
    }

    /// <summary>
    /// Every entry of an open directory except . and .. (getdents64: names arrive as bytes, never decoded
    /// lossily); null with errno when it cannot be read.
    /// </summary>
    public static unsafe List<DirEntry>? ReadDirectory(int dirfd, out int errno)
    {
        var entries = new List<DirEntry>();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = GetDents64Native(dirfd, p, (nuint)buffer.Length);
                    if (n == 0) break;
                    if (n < 0)
                    {
                        errno = Marshal.GetLastPInvokeError();
                        if (errno == EINTR) continue;
                        return null;
                    }
                    for (nint off = 0; off < n;)
                    {
                        byte* d = p + off;
                        ulong ino = *(ulong*)d;
                        ushort reclen = *(ushort*)(d + 16);
                        byte type = d[18];
                        var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(d + 19);
                        off += reclen;
                        if (name.Length == 1 && name[0] == (byte)'.') continue;
                        if (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.') continue;
                        entries.Add(new DirEntry(Text.PathBytes.Decode(name), type, ino));
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        errno = 0;
        return entries;
    }

    /// <summary>The entries of a directory by path (opened without following a final symlink).</summary>
    public static List<DirEntry>? ReadDirectory(string path, out int errno)
    {
        var fd = OpenAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0) { errno = -fd; return null; }
        try { return ReadDirectory(fd, out errno); }
        finally { Close(fd); }
    }

    /// <summary>The path the kernel has for an open descriptor (/proc/self/fd), or null.</summary>
    public static string? DescriptorPath(int fd)
    {
        var p = ReadLink($"/proc/self/fd/{fd}", out _);
        if (p is null || !p.StartsWith('/')) return null;
        return p.EndsWith(" (deleted)", StringComparison.Ordinal) ? null : p;
    }
}
