using System.Runtime.InteropServices;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Storage;

/// <summary>
/// libc's directory-relative calls (openat, mkdirat, linkat, ...) on exact name bytes. Names are .NET
/// strings in the <see cref="PathBytes"/> convention (raw bytes as U+DC80–U+DCFF) and reach the kernel
/// through <see cref="PathBytes.EncodeNullTerminated"/>, so names that are not UTF-8 survive. Every call
/// returns 0 (or an fd) on success and the errno otherwise; nothing throws.
/// </summary>
public static unsafe partial class AtCalls
{
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000;
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_TRUNC = 0x200,
        O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    /// <summary>O_DIRECTORY and O_NOFOLLOW differ between x86-64 and arm64.</summary>
    public static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
    /// <summary>An unnamed file in a directory (__O_TMPFILE | O_DIRECTORY): it vanishes with its last descriptor.</summary>
    public static readonly int O_TMPFILE = 0x400000 | O_DIRECTORY;
    public const int EINTR = 4, ENOENT = 2, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ELOOP = 40, EXDEV = 18, ENOSYS = 38, EPERM = 1,
        EACCES = 13, ENAMETOOLONG = 36, ENOTEMPTY = 39, E2BIG = 7, EAGAIN = 11, EINVAL = 22, ENOTSUP = 95, ENODATA = 61, ERANGE = 34;
    const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    const long SYS_openat2 = 437;
    const ulong RESOLVE_NO_MAGICLINKS = 2, RESOLVE_NO_SYMLINKS = 4, RESOLVE_BENEATH = 8;
    const int SEEK_SET = 0, SEEK_DATA = 3, SEEK_HOLE = 4;

    [StructLayout(LayoutKind.Sequential)]
    struct OpenHow { public ulong Flags, Mode, Resolve; }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)] private static partial int OpenAtNative(int dirfd, byte* path, int flags, uint mode);
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)] private static partial long Syscall4(long number, long a, byte* b, OpenHow* c, nuint d);
    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)] private static partial int MkdirAtNative(int dirfd, byte* path, uint mode);
    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)] private static partial int SymlinkAtNative(byte* target, int dirfd, byte* path);
    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)] private static partial int LinkAtNative(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);
    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true)] private static partial int MknodAtNative(int dirfd, byte* path, uint mode, ulong dev);
    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)] private static partial int UnlinkAtNative(int dirfd, byte* path, int flags);
    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)] private static partial int RenameAt2Native(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);
    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)] private static partial int FChownAtNative(int dirfd, byte* path, uint uid, uint gid, int flags);
    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true)] private static partial int FChmodAtNative(int dirfd, byte* path, uint mode, int flags);
    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true)] private static partial int UtimensAtNative(int dirfd, byte* path, long* times, int flags);
    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)] private static partial nint ReadlinkAtNative(int dirfd, byte* path, byte* buf, nuint size);
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)] private static partial int StatxNative(int dirfd, byte* path, int flags, uint mask, byte* buffer);
    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)] private static partial int FChownNative(int fd, uint uid, uint gid);
    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)] private static partial int FChmodNative(int fd, uint mode);
    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)] private static partial int FUtimensNative(int fd, long* times);
    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)] private static partial int FTruncateNative(int fd, long length);
    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)] private static partial nint PWriteNative(int fd, byte* buf, nuint count, long offset);
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)] private static partial nint WriteNative(int fd, byte* buf, nuint count);
    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)] private static partial nint PReadNative(int fd, byte* buf, nuint count, long offset);
    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)] private static partial long LSeekNative(int fd, long offset, int whence);
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)] private static partial int CloseNative(int fd);
    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)] private static partial int DupNative(int fd);
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)] private static partial int FSyncNative(int fd);
    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)] private static partial nint FdOpenDirNative(int fd);
    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)] private static partial nint ReadDirNative(nint dir);
    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)] private static partial int CloseDirNative(nint dir);
    [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true)] private static partial nint FGetXattrNative(int fd, byte* name, byte* value, nuint size);
    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true)] private static partial int FSetXattrNative(int fd, byte* name, byte* value, nuint size, int flags);
    [LibraryImport("libc", EntryPoint = "flistxattr", SetLastError = true)] private static partial nint FListXattrNative(int fd, byte* list, nuint size);

    static int Errno() => Marshal.GetLastPInvokeError();

    /// <summary>openat(2) on one name (or a relative path) from <paramref name="dirfd"/>; the fd, or -errno.</summary>
    public static int OpenAt(int dirfd, string name, int flags, uint mode = 0)
    {
        var b = PathBytes.EncodeNullTerminated(name);
        fixed (byte* p = b)
        {
            while (true)
            {
                var fd = OpenAtNative(dirfd, p, flags | O_CLOEXEC, mode);
                if (fd >= 0) return fd;
                var e = Errno();
                if (e != EINTR) return -e;
            }
        }
    }

    /// <summary>0: not tried yet, 1: openat2 works, -1: the kernel (or a seccomp filter) refuses it.</summary>
    static int s_openat2;

    /// <summary>
    /// Opens <paramref name="rel"/> beneath <paramref name="dirfd"/> without following any symlink on the
    /// way or at the end (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; on kernels without it, a walk of
    /// openat(O_NOFOLLOW) calls). ".." is refused. Returns the fd or -errno (ELOOP for a symlink, EXDEV
    /// for an escape, ENOTDIR for a file in the way).
    /// </summary>
    public static int OpenBeneath(int dirfd, string rel, int flags, uint mode = 0)
    {
        if (rel.Length == 0 || rel == ".") return OpenAt(dirfd, ".", flags & ~O_CREAT, 0);
        if (rel[0] == '/') return -EXDEV;
        if (s_openat2 >= 0)
        {
            var b = PathBytes.EncodeNullTerminated(rel);
            var how = new OpenHow { Flags = (ulong)(uint)(flags | O_CLOEXEC), Mode = (flags & O_CREAT) != 0 ? mode : 0, Resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
            fixed (byte* p = b)
            {
                while (true)
                {
                    var fd = Syscall4(SYS_openat2, dirfd, p, &how, (nuint)sizeof(OpenHow));
                    if (fd >= 0) { s_openat2 = 1; return (int)fd; }
                    var e = Errno();
                    if (e == EINTR) continue;
                    if ((e == ENOSYS || e == EPERM || e == E2BIG) && s_openat2 == 0) { s_openat2 = -1; break; }
                    return -e;
                }
            }
        }
        return WalkOpen(dirfd, rel, flags, mode);
    }

    static int WalkOpen(int dirfd, string rel, int flags, uint mode)
    {
        var parts = rel.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = dirfd;
        try
        {
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (parts[i] == "..") return -EXDEV;
                if (parts[i] == ".") continue;
                var next = OpenAt(current, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (next < 0) return next == -ENOTDIR && IsSymlinkAt(current, parts[i]) ? -ELOOP : next;
                if (current != dirfd) Close(current);
                current = next;
            }
            var last = parts.Length == 0 ? "." : parts[^1];
            if (last == "..") return -EXDEV;
            return OpenAt(current, last, flags | O_NOFOLLOW, mode);
        }
        finally
        {
            if (current != dirfd) Close(current);
        }
    }

    static bool IsSymlinkAt(int dirfd, string name) => StatAt(dirfd, name, false, out _) is { IsSymlink: true };

    public static int MkdirAt(int dirfd, string name, uint mode)
    {
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(MkdirAtNative(dirfd, p, mode));
    }

    public static int SymlinkAt(string target, int dirfd, string name)
    {
        fixed (byte* tp = PathBytes.EncodeNullTerminated(target))
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(SymlinkAtNative(tp, dirfd, p));
    }

    /// <summary>A hard link; the old name is never followed if it is a symlink (flags 0).</summary>
    public static int LinkAt(int olddirfd, string oldname, int newdirfd, string newname)
    {
        fixed (byte* op = PathBytes.EncodeNullTerminated(oldname))
        fixed (byte* p = PathBytes.EncodeNullTerminated(newname)) return R(LinkAtNative(olddirfd, op, newdirfd, p, 0));
    }

    public static int MknodAt(int dirfd, string name, uint mode, uint major, uint minor)
    {
        // glibc makedev encoding
        ulong dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(MknodAtNative(dirfd, p, mode, dev));
    }

    public static int UnlinkAt(int dirfd, string name, bool directory)
    {
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(UnlinkAtNative(dirfd, p, directory ? AT_REMOVEDIR : 0));
    }

    /// <summary>renameat2; <paramref name="noReplace"/> fails with EEXIST instead of replacing.</summary>
    public static int RenameAt(int olddirfd, string oldname, int newdirfd, string newname, bool noReplace = false)
    {
        fixed (byte* op = PathBytes.EncodeNullTerminated(oldname))
        fixed (byte* p = PathBytes.EncodeNullTerminated(newname)) return R(RenameAt2Native(olddirfd, op, newdirfd, p, noReplace ? RENAME_NOREPLACE : 0));
    }

    /// <summary>Swaps two names atomically (RENAME_EXCHANGE).</summary>
    public static int ExchangeAt(int olddirfd, string oldname, int newdirfd, string newname)
    {
        fixed (byte* op = PathBytes.EncodeNullTerminated(oldname))
        fixed (byte* p = PathBytes.EncodeNullTerminated(newname)) return R(RenameAt2Native(olddirfd, op, newdirfd, p, RENAME_EXCHANGE));
    }

    /// <summary>Owner of a name, never through a symlink (AT_SYMLINK_NOFOLLOW changes the link itself).</summary>
    public static int LChownAt(int dirfd, string name, uint uid, uint gid)
    {
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(FChownAtNative(dirfd, p, uid, gid, AT_SYMLINK_NOFOLLOW));
    }

    /// <summary>chmod of a name that is known not to be a symlink (a node just made with mknodat in a private directory).</summary>
    public static int ChmodAt(int dirfd, string name, uint mode)
    {
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(FChmodAtNative(dirfd, p, mode & 0xFFF, 0));
    }

    /// <summary>Sets atime and mtime of a name without following a symlink.</summary>
    public static int LSetTimesAt(int dirfd, string name, DateTimeOffset mtime, DateTimeOffset? atime = null)
    {
        var times = stackalloc long[4];
        Split(atime ?? mtime, out times[0], out times[1]);
        Split(mtime, out times[2], out times[3]);
        fixed (byte* p = PathBytes.EncodeNullTerminated(name)) return R(UtimensAtNative(dirfd, p, times, AT_SYMLINK_NOFOLLOW));
    }

    public static void Split(DateTimeOffset t, out long sec, out long nsec)
    {
        var ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        nsec = rem * 100;
    }

    /// <summary>The target of a symlink, as name bytes in the PathBytes convention; null with errno when it is not one.</summary>
    public static string? ReadLinkAt(int dirfd, string name, out int errno)
    {
        var n = PathBytes.EncodeNullTerminated(name);
        var size = 256;
        while (true)
        {
            var buf = new byte[size];
            nint got;
            fixed (byte* p = n)
            fixed (byte* b = buf) got = ReadlinkAtNative(dirfd, p, b, (nuint)buf.Length);
            if (got < 0) { errno = Errno(); return null; }
            if (got < size) { errno = 0; return PathBytes.Decode(buf.AsSpan(0, (int)got)); }
            size *= 4;
            if (size > 1 << 20) { errno = ENAMETOOLONG; return null; }
        }
    }

    public static int FChown(int fd, uint uid, uint gid) => FChownNative(fd, uid, gid) == 0 ? 0 : Errno();
    public static int FChmod(int fd, uint mode) => FChmodNative(fd, mode & 0xFFF) == 0 ? 0 : Errno();

    public static int FSetTimes(int fd, DateTimeOffset mtime, DateTimeOffset? atime = null)
    {
        var times = stackalloc long[4];
        Split(atime ?? mtime, out times[0], out times[1]);
        Split(mtime, out times[2], out times[3]);
        return FUtimensNative(fd, times) == 0 ? 0 : Errno();
    }

    public static int FTruncate(int fd, long length) => FTruncateNative(fd, length) == 0 ? 0 : Errno();
    public static int FSync(int fd) => FSyncNative(fd) == 0 ? 0 : Errno();
    public static void Close(int fd) { if (fd >= 0) CloseNative(fd); }
    public static int CloseChecked(int fd) => CloseNative(fd) == 0 ? 0 : Errno();
    public static int Dup(int fd) { var d = DupNative(fd); return d >= 0 ? d : -Errno(); }

    /// <summary>Writes all of <paramref name="data"/> at the current position (or at <paramref name="offset"/>); 0 or errno.</summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> data, long offset = -1)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = offset < 0 ? WriteNative(fd, p + done, (nuint)(data.Length - done)) : PWriteNative(fd, p + done, (nuint)(data.Length - done), offset + done);
                if (n < 0)
                {
                    var e = Errno();
                    if (e == EINTR) continue;
                    return e;
                }
                done += (int)n;
            }
        }
        return 0;
    }

    /// <summary>pread(2); the byte count or -errno.</summary>
    public static int PRead(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = PReadNative(fd, p, (nuint)buffer.Length, offset);
                if (n >= 0) return (int)n;
                var e = Errno();
                if (e != EINTR) return -e;
            }
        }
    }

    public static long Seek(int fd, long offset) => LSeekNative(fd, offset, SEEK_SET);

    /// <summary>
    /// The data regions of a file (SEEK_DATA/SEEK_HOLE), or null when the file system cannot say (then
    /// the file is treated as all data).
    /// </summary>
    public static List<(long Offset, long Length)>? DataRegions(int fd, long size)
    {
        var regions = new List<(long, long)>();
        long pos = 0;
        while (pos < size)
        {
            var data = LSeekNative(fd, pos, SEEK_DATA);
            if (data < 0) { if (Errno() == 6 /* ENXIO: only a hole is left */) break; return null; }
            if (data >= size) break;
            var hole = LSeekNative(fd, data, SEEK_HOLE);
            if (hole < 0) return null;
            if (hole > size) hole = size;
            regions.Add((data, hole - data));
            pos = hole;
        }
        LSeekNative(fd, 0, SEEK_SET);
        return regions;
    }

    /// <summary>lstat/stat relative to a directory fd (an empty name stats the fd itself).</summary>
    public static FileStatus? StatAt(int dirfd, string name, bool follow, out int errno)
    {
        var n = PathBytes.EncodeNullTerminated(name);
        byte* buf = stackalloc byte[256];
        int rc;
        var flags = (follow ? 0 : AT_SYMLINK_NOFOLLOW) | (name.Length == 0 ? AT_EMPTY_PATH : 0);
        fixed (byte* p = n) rc = StatxNative(dirfd, p, flags, 0x7ff, buf);
        if (rc != 0) { errno = Errno(); return null; }
        errno = 0;
        return new FileStatus(
            Mode: *(ushort*)(buf + 28), Uid: *(uint*)(buf + 20), Gid: *(uint*)(buf + 24), Inode: *(ulong*)(buf + 32),
            Links: *(uint*)(buf + 16), Size: *(long*)(buf + 40), Blocks: *(long*)(buf + 48),
            AccessTime: Time(buf + 64), ModifyTime: Time(buf + 112), ChangeTime: Time(buf + 96), BirthTime: null,
            DevMajor: *(uint*)(buf + 136), DevMinor: *(uint*)(buf + 140), RdevMajor: *(uint*)(buf + 128), RdevMinor: *(uint*)(buf + 132),
            MountId: null, IsMountRoot: false);
    }

    public static FileStatus? FStat(int fd, out int errno) => StatAt(fd, "", false, out errno);

    static DateTimeOffset Time(byte* p)
    {
        long sec = *(long*)p;
        uint nsec = *(uint*)(p + 8);
        sec = Math.Clamp(sec, -62135596800L, 253402300799L);
        return DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(Math.Min(nsec / 100, 9_999_999));
    }

    /// <summary>The names in a directory (not "." or ".."), as PathBytes strings with their d_type; the fd stays open.</summary>
    public static List<(string Name, byte Type)>? ReadDir(int dirfd, out int errno)
    {
        var dup = DupNative(dirfd);
        if (dup < 0) { errno = Errno(); return null; }
        var dir = FdOpenDirNative(dup);
        if (dir == 0) { errno = Errno(); CloseNative(dup); return null; }
        var names = new List<(string, byte)>();
        try
        {
            // A dup shares the file offset: start from the beginning even if the fd was read before.
            LSeekNative(dup, 0, SEEK_SET);
            while (true)
            {
                var ent = ReadDirNative(dir);
                if (ent == 0)
                {
                    errno = Errno();
                    return errno == 0 ? names : null;
                }
                // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name
                var type = *(byte*)(ent + 18);
                var name = (byte*)(ent + 19);
                var len = 0;
                while (name[len] != 0) len++;
                var span = new ReadOnlySpan<byte>(name, len);
                if (span.SequenceEqual("."u8) || span.SequenceEqual(".."u8)) continue;
                names.Add((PathBytes.Decode(span), type));
            }
        }
        finally
        {
            CloseDirNative(dir);
        }
    }

    /// <summary>Extended attribute names of an open file.</summary>
    public static List<string>? FListXattr(int fd, out int errno)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var size = FListXattrNative(fd, null, 0);
            if (size < 0) { errno = Errno(); return null; }
            if (size == 0) { errno = 0; return []; }
            var buf = new byte[size];
            nint n;
            fixed (byte* p = buf) n = FListXattrNative(fd, p, (nuint)buf.Length);
            if (n >= 0)
            {
                errno = 0;
                var list = new List<string>();
                foreach (var part in buf.AsSpan(0, (int)n).Split((byte)0))
                {
                    var s = buf.AsSpan(0, (int)n)[part];
                    if (s.Length > 0) list.Add(PathBytes.Decode(s));
                }
                return list;
            }
            if (Errno() != ERANGE) { errno = Errno(); return null; }
        }
        errno = ERANGE;
        return null;
    }

    public static byte[]? FGetXattr(int fd, string name, out int errno)
    {
        var nb = PathBytes.EncodeNullTerminated(name);
        fixed (byte* np = nb)
        {
            for (int attempt = 0; attempt < 4; attempt++)
            {
                var size = FGetXattrNative(fd, np, null, 0);
                if (size < 0) { errno = Errno(); return null; }
                var buf = new byte[size];
                nint n;
                fixed (byte* p = buf) n = FGetXattrNative(fd, np, p, (nuint)buf.Length);
                if (n >= 0) { errno = 0; return n == buf.Length ? buf : buf[..(int)n]; }
                if (Errno() != ERANGE) { errno = Errno(); return null; }
            }
        }
        errno = ERANGE;
        return null;
    }

    public static int FSetXattr(int fd, string name, ReadOnlySpan<byte> value)
    {
        var nb = PathBytes.EncodeNullTerminated(name);
        fixed (byte* np = nb)
        fixed (byte* vp = value)
            return FSetXattrNative(fd, np, vp, (nuint)value.Length, 0) == 0 ? 0 : Errno();
    }

    /// <summary>The process umask, read from /proc (setting it to read it back would race other threads).</summary>
    public static uint Umask() => Resh.Core.Platform.ProcessUmask.Read();

    static int R(int rc) => rc == 0 ? 0 : Errno();
}
