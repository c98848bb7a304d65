using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>statvfs(3) of a mounted file system, in fragment-size units as the kernel gives them.</summary>
public readonly record struct FsStats(ulong BlockSize, ulong FragmentSize, ulong Blocks, ulong BlocksFree, ulong BlocksAvailable,
    ulong Files, ulong FilesFree, ulong Flags)
{
    public const ulong ST_RDONLY = 1;
    public ulong SizeBytes => Blocks * FragmentSize;
    public ulong FreeBytes => BlocksFree * FragmentSize;
    public ulong AvailableBytes => BlocksAvailable * FragmentSize;
    /// <summary>Used as df counts it: total minus free (reserved blocks count as not used).</summary>
    public ulong UsedBytes => (Blocks - Math.Min(BlocksFree, Blocks)) * FragmentSize;
    public bool ReadOnly => (Flags & ST_RDONLY) != 0;
}

public static partial class StatVfs
{
    // glibc x86_64 struct statvfs (112 bytes): eleven unsigned longs (bsize, frsize, blocks, bfree, bavail,
    // files, ffree, favail, fsid, flag, namemax) then int __f_spare[6]. Read by offset, not by a C# struct,
    // so a padding mistake cannot silently shift fields.
    const int Size = 112;

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatVfsNative(string path, byte* buffer);

    public static unsafe FsStats? Get(string path, out int errno)
    {
        byte* b = stackalloc byte[Size];
        if (StatVfsNative(path, b) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        var u = (ulong*)b;
        return new FsStats(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[9]);
    }
}
