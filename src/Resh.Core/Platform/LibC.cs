using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>The few libc calls the core itself needs; handles keep their own bindings next to their code.</summary>
public static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "isatty", SetLastError = true)]
    private static partial int IsATtyErrno(int fd);

    /// <summary>isatty(3) with its errno (EBADF: the descriptor is closed, ENOTTY: open but not a terminal).</summary>
    public static int IsATtyChecked(int fd, out int errno)
    {
        var rc = IsATtyErrno(fd);
        errno = rc == 1 ? 0 : Marshal.GetLastPInvokeError();
        return rc;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    public static partial int GetPgrp();

    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetPPid();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>A new descriptor (above 2) for the same file as <paramref name="fd"/>, closed at exec; -1 on failure.</summary>
    public static int DupCloseOnExec(int fd) => Fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 3);

    /// <summary>Makes <paramref name="to"/> another name for the file of <paramref name="from"/> (dup2(2)).</summary>
    public static bool DupTo(int from, int to) => Dup2(from, to) == to;

    /// <summary>Opens /dev/null on a closed standard descriptor so that nothing else can take its number.</summary>
    public static void ReserveWithDevNull(int fd)
    {
        var nul = Open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
        if (nul < 0 || nul == fd) return;
        Dup2(nul, fd);
        Close(nul);
    }

    [StructLayout(LayoutKind.Sequential)]
    struct WinSize
    {
        public ushort Rows, Cols, XPixel, YPixel;
    }

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static unsafe partial int IoctlWinSize(int fd, nuint request, WinSize* size);

    const nuint TIOCGWINSZ = 0x5413;

    /// <summary>The width of the terminal on <paramref name="fd"/>, or null when it is not a terminal.</summary>
    public static unsafe int? TerminalColumns(int fd)
    {
        WinSize ws;
        return IoctlWinSize(fd, TIOCGWINSZ, &ws) == 0 && ws.Cols > 0 ? ws.Cols : null;
    }
    [StructLayout(LayoutKind.Sequential)]
    struct RLimit
    {
        public ulong Cur, Max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static unsafe partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static unsafe partial int SetRLimit(int resource, RLimit* limit);

    const int RLIMIT_NOFILE = 7;

    /// <summary>
    /// Raises the soft limit on open files to the hard limit, as the Go runtime does at start: a fleet call
    /// holds three pipes per ssh child, and distributions still hand out a soft limit of 1024 (or less) under a
    /// hard one of 512k+. Two system calls; a failure leaves the limit as it was.
    /// </summary>
    public static unsafe void RaiseOpenFileLimit()
    {
        RLimit l;
        if (GetRLimit(RLIMIT_NOFILE, &l) != 0 || l.Cur >= l.Max) return;
        var soft = l.Cur;
        l.Cur = l.Max;
        if (SetRLimit(RLIMIT_NOFILE, &l) == 0) CallerOpenFileSoftLimit = soft;
    }

    /// <summary>The soft limit on open files resh was started with, when <see cref="RaiseOpenFileLimit"/> raised it; else null.</summary>
    public static ulong? CallerOpenFileSoftLimit { get; private set; }

    /// <summary>The soft and hard limits on open files (for messages), or null.</summary>
    public static unsafe (ulong Soft, ulong Hard)? OpenFileLimit()
    {
        RLimit l;
        return GetRLimit(RLIMIT_NOFILE, &l) == 0 ? (l.Cur, l.Max) : null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static unsafe partial nint GetRandom(byte* buffer, nuint length, uint flags);

    /// <summary>
    /// Cryptographically secure random bytes from the kernel (getrandom(2)), without loading OpenSSL as
    /// RandomNumberGenerator does on Linux; RandomNumberGenerator only where getrandom is missing.
    /// </summary>
    public static unsafe byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        int done = 0;
        fixed (byte* p = bytes)
        {
            while (done < count)
            {
                var n = GetRandom(p + done, (nuint)(count - done), 0);
                if (n > 0) { done += (int)n; continue; }
                if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue; // EINTR
                System.Security.Cryptography.RandomNumberGenerator.Fill(bytes.AsSpan(done));
                break;
            }
        }
        return bytes;
    }

    public const int SIGINT = 2;
    public const int SIGTERM = 15;
}

public static partial class LibC
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_DIRECTORY = 0x10000;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>Flushes a directory entry (after a rename) to disk; best effort on filesystems that refuse it.</summary>
    public static void FSyncDirectory(string dir)
    {
        var fd = Open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return;
        try { FSync(fd); }
        finally { Close(fd); }
    }
}
