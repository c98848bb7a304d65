using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>One resource of getrlimit(2)/prlimit(2): its constant, ulimit(1) flag, unit and description.</summary>
public sealed record ResourceKind(int Resource, string Name, string Constant, string? UlimitFlag, string Unit, string Description);

/// <summary>Soft and hard limit of one resource; null means unlimited (RLIM_INFINITY).</summary>
public readonly record struct ResourceLimit(ulong? Soft, ulong? Hard);

public static partial class ResourceLimits
{
    const ulong RlimInfinity = ulong.MaxValue;

    // Linux resource numbers (asm-generic/resource.h), with bash's ulimit flags.
    public static readonly ResourceKind[] All =
    [
        new(0, "cpu", "RLIMIT_CPU", "-t", "seconds", "CPU time"),
        new(1, "fsize", "RLIMIT_FSIZE", "-f", "bytes", "largest file that may be created"),
        new(2, "data", "RLIMIT_DATA", "-d", "bytes", "data segment size"),
        new(3, "stack", "RLIMIT_STACK", "-s", "bytes", "stack size"),
        new(4, "core", "RLIMIT_CORE", "-c", "bytes", "core file size"),
        new(5, "rss", "RLIMIT_RSS", "-m", "bytes", "resident set size (ignored by Linux)"),
        new(6, "nproc", "RLIMIT_NPROC", "-u", "processes", "processes per real user"),
        new(7, "nofile", "RLIMIT_NOFILE", "-n", "files", "open file descriptors"),
        new(8, "memlock", "RLIMIT_MEMLOCK", "-l", "bytes", "locked-in-memory size"),
        new(9, "as", "RLIMIT_AS", "-v", "bytes", "address space (virtual memory)"),
        new(10, "locks", "RLIMIT_LOCKS", "-x", "locks", "file locks"),
        new(11, "sigpending", "RLIMIT_SIGPENDING", "-i", "signals", "pending signals"),
        new(12, "msgqueue", "RLIMIT_MSGQUEUE", "-q", "bytes", "POSIX message queue bytes"),
        new(13, "nice", "RLIMIT_NICE", "-e", "priority", "ceiling of the nice value (20 - nice)"),
        new(14, "rtprio", "RLIMIT_RTPRIO", "-r", "priority", "real-time priority"),
        new(15, "rttime", "RLIMIT_RTTIME", "-R", "microseconds", "real-time CPU time without blocking"),
    ];

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static unsafe partial int PrLimitNative(int pid, int resource, ulong* newLimit, ulong* oldLimit);

    /// <summary>The limit of a process (pid 0 = this one); null with errno (ESRCH, EPERM) on failure.</summary>
    public static unsafe ResourceLimit? Get(int pid, int resource, out int errno)
    {
        // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; } with 64-bit rlim_t.
        ulong* old = stackalloc ulong[2];
        if (PrLimitNative(pid, resource, null, old) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        // resh raised its own soft open-file limit at start (LibC.RaiseOpenFileLimit): its own limits are reported as
        // the caller set them, which is what ulimit in the same shell says.
        if (pid == 0 && resource == 7 && Resh.Core.Platform.LibC.CallerOpenFileSoftLimit is { } caller) old[0] = caller;
        return new ResourceLimit(old[0] == RlimInfinity ? null : old[0], old[1] == RlimInfinity ? null : old[1]);
    }
}
