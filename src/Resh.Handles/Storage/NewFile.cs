using System.Runtime.InteropServices;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Storage;

/// <summary>
/// A regular file created exclusively (O_CREAT|O_EXCL: never through a symlink, never over an existing
/// name) and written through its descriptor, as tar does: owner, mode and times are set on the
/// descriptor, so there are no further path lookups and no advisory locks (FileStream takes one per open).
/// Extraction writes thousands of these; the saved system calls are most of its cost.
/// </summary>
public sealed partial class NewFile : IDisposable
{
    const int O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
    const int EINTR = 4;
    public const int EEXIST = 17;

    readonly string _path;
    int _fd;

    NewFile(string path, int fd)
    {
        _path = path;
        _fd = fd;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int OpenNative(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteNative(int fd, byte* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChownNative(int fd, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmodNative(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static unsafe partial int FUtimensNative(int fd, long* times);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);

    /// <summary>Creates <paramref name="path"/> with <paramref name="mode"/> (before the umask); returns 0 or the errno (EEXIST when the name is taken).</summary>
    public static int TryCreate(string path, uint mode, out NewFile? file)
    {
        var fd = OpenNative(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0) { file = null; return Marshal.GetLastPInvokeError(); }
        file = new NewFile(path, fd);
        return 0;
    }

    public unsafe void Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = WriteNative(_fd, p + done, (nuint)(data.Length - done));
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw Fail(errno);
                }
                done += (int)n;
            }
        }
    }

    /// <summary>Owner (before the mode: chown clears set-id bits), mode, then times; errors are returned, not thrown.</summary>
    public int Chown(int uid, int gid) => FChownNative(_fd, uid, gid) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public void Chmod(uint mode)
    {
        if (FChmodNative(_fd, mode & 0xFFF) != 0) throw Fail(Marshal.GetLastPInvokeError());
    }

    public unsafe void SetTimes(DateTimeOffset mtime)
    {
        var ticks = mtime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        var times = stackalloc long[4] { sec, rem * 100, sec, rem * 100 }; // atime, mtime
        if (FUtimensNative(_fd, times) != 0) throw Fail(Marshal.GetLastPInvokeError());
    }

    /// <summary>Closes the file; a delayed write error (NFS, full disk) surfaces here.</summary>
    public void Close()
    {
        var fd = _fd;
        _fd = -1;
        if (fd >= 0 && CloseNative(fd) != 0) throw Fail(Marshal.GetLastPInvokeError());
    }

    ReshException Fail(int errno) => ExceptionTranslation.FromErrno(errno, $" ({_path})").ToException();

    public void Dispose()
    {
        if (_fd >= 0) CloseNative(_fd);
        _fd = -1;
    }
}
