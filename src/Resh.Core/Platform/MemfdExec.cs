using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>
/// Running a program that exists only in memory: its bytes go into a memfd (memfd_create(2)) and the process execs
/// it through /proc/self/fd/N, keeping its PID. `resh agent` becomes its small front this way (docs/agent.md).
/// </summary>
public static partial class MemfdExec
{
    public const uint MFD_CLOEXEC = 1;

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Execve(string path, IntPtr[] argv, IntPtr[] envp);

    /// <summary>A memfd holding <paramref name="bytes"/> (its offset at the end), or -1 with errno.</summary>
    public static unsafe int Create(string name, ReadOnlySpan<byte> bytes, bool closeOnExec, out int errno)
    {
        errno = 0;
        var fd = MemfdCreate(name, closeOnExec ? MFD_CLOEXEC : 0);
        if (fd < 0) { errno = Marshal.GetLastPInvokeError(); return -1; }
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Write(fd, p + done, (nuint)(bytes.Length - done));
                if (n < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno == 4) continue; // EINTR
                    LibC.Close(fd);
                    return -1;
                }
                done += (int)n;
            }
        }
        return fd;
    }

    /// <summary>execve(2): returns only when it failed, with errno.</summary>
    public static int Exec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        var a = new IntPtr[argv.Count + 1];
        var e = new IntPtr[envp.Count + 1];
        try
        {
            for (var i = 0; i < argv.Count; i++) a[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            for (var i = 0; i < envp.Count; i++) e[i] = Marshal.StringToCoTaskMemUTF8(envp[i]);
            Execve(path, a, e);
            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (var p in a) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
            foreach (var p in e) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
        }
    }
}
