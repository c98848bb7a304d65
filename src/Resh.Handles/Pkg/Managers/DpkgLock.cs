using System.Runtime.InteropServices;

namespace Resh.Handles.Pkg;

/// <summary>
/// Who holds dpkg's frontend lock, asked the way apt asks (fcntl F_GETLK on /var/lib/dpkg/lock-frontend),
/// so a busy lock can be waited for and reported by holder instead of failing at once.
/// </summary>
public static unsafe partial class DpkgLock
{
    public const string FrontendLock = "/var/lib/dpkg/lock-frontend";
    const int FGetLk = 5, FWrLck = 1, FUnLck = 2, ORdOnly = 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, byte* flock);
    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>The PID holding the lock, or null when it is free (or cannot be checked).</summary>
    public static int? Holder(string path = FrontendLock)
    {
        var fd = Open(path, ORdOnly, 0);
        if (fd < 0) return null;
        try
        {
            // struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; } (x86-64/arm64: 32 bytes)
            byte* fl = stackalloc byte[32];
            new Span<byte>(fl, 32).Clear();
            *(short*)fl = FWrLck;
            if (Fcntl(fd, FGetLk, fl) != 0) return null;
            return *(short*)fl == FUnLck ? null : *(int*)(fl + 24);
        }
        finally { Close(fd); }
    }

    public static string? ProcessName(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
