using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>File metadata from statx(2): one call gives mode, owner, inode, link count, times (with birth time) and mount facts.</summary>
public readonly record struct FileStatus(
    uint Mode,
    uint Uid,
    uint Gid,
    ulong Inode,
    uint Links,
    long Size,
    long Blocks,
    DateTimeOffset AccessTime,
    DateTimeOffset ModifyTime,
    DateTimeOffset ChangeTime,
    DateTimeOffset? BirthTime,
    uint DevMajor,
    uint DevMinor,
    uint RdevMajor,
    uint RdevMinor,
    ulong? MountId,
    bool IsMountRoot)
{
    public const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    public uint FileType => Mode & S_IFMT;
    public bool IsDirectory => FileType == S_IFDIR;
    public bool IsRegular => FileType == S_IFREG;
    public bool IsSymlink => FileType == S_IFLNK;
    /// <summary>Permission bits including setuid/setgid/sticky (07777).</summary>
    public uint Permissions => Mode & 0xFFF;

    public string TypeName => FileType switch
    {
        S_IFREG => "file",
        S_IFDIR => "directory",
        S_IFLNK => "symlink",
        S_IFCHR => "char_device",
        S_IFBLK => "block_device",
        S_IFIFO => "fifo",
        S_IFSOCK => "socket",
        _ => "unknown",
    };
}

public static partial class Posix
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    const uint STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800, STATX_MNT_ID = 0x1000;
    const ulong STATX_ATTR_MOUNT_ROOT = 0x2000;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>stat (follow=true) or lstat (follow=false) of a path; null with errno when it fails.</summary>
    public static unsafe FileStatus? Stat(string path, bool follow, out int errno)
    {
        byte* buf = stackalloc byte[256];
        var rc = StatxNative(AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID, buf);
        if (rc != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        return Decode(buf);
    }

    /// <summary>fstat of an open descriptor; null with errno when it fails.</summary>
    public static unsafe FileStatus? StatDescriptor(int fd, out int errno)
    {
        const int AT_EMPTY_PATH = 0x1000;
        byte* buf = stackalloc byte[256];
        var rc = StatxNative(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
        if (rc != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        return Decode(buf);
    }

    /// <summary>The fields of a statx buffer.</summary>
    static unsafe FileStatus Decode(byte* buf)
    {
        uint mask = *(uint*)buf;
        ulong attributes = *(ulong*)(buf + 8);
        ulong attributesMask = *(ulong*)(buf + 56);
        return new FileStatus(
            Mode: *(ushort*)(buf + 28),
            Uid: *(uint*)(buf + 20),
            Gid: *(uint*)(buf + 24),
            Inode: *(ulong*)(buf + 32),
            Links: *(uint*)(buf + 16),
            Size: *(long*)(buf + 40),
            Blocks: *(long*)(buf + 48),
            AccessTime: Time(buf + 64),
            ModifyTime: Time(buf + 112),
            ChangeTime: Time(buf + 96),
            BirthTime: (mask & STATX_BTIME) != 0 && *(long*)(buf + 80) != 0 ? Time(buf + 80) : null,
            RdevMajor: *(uint*)(buf + 128),
            RdevMinor: *(uint*)(buf + 132),
            DevMajor: *(uint*)(buf + 136),
            DevMinor: *(uint*)(buf + 140),
            MountId: (mask & STATX_MNT_ID) != 0 ? *(ulong*)(buf + 144) : null,
            IsMountRoot: (attributesMask & STATX_ATTR_MOUNT_ROOT) != 0 && (attributes & STATX_ATTR_MOUNT_ROOT) != 0);
    }

    static unsafe DateTimeOffset Time(byte* p)
    {
        long sec = *(long*)p;
        uint nsec = *(uint*)(p + 8);
        return DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nsec / 100);
    }
}
