using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>
/// Notices when whoever reads resh's standard output has gone (the pipe's reader exited, or sshd closed the session
/// of a remote stage after the caller's ssh died), and says so once. Closing an ssh channel that has no terminal does
/// not signal the remote command: without this, a remote stage would run on until it next wrote. A thread waits in
/// poll(2) on descriptor 1 asking for no events: only POLLERR (a pipe with no reader left) and POLLHUP (a socket whose
/// peer closed) wake it, and it is started only when descriptor 1 is a pipe or a socket.
/// </summary>
public static partial class StdoutHangup
{
    [StructLayout(LayoutKind.Sequential)]
    struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    const short POLLERR = 0x008, POLLHUP = 0x010;
    const int EINTR = 4;

    /// <summary>Starts the watch; <paramref name="onHangup"/> runs on the watching thread when the reader is gone.</summary>
    public static void Watch(Action onHangup)
    {
        // Only a pipe or a socket loses its reader; a file, /dev/null or a terminal never wakes poll, so no thread for them.
        if (Posix.StatDescriptor(1, out _)?.FileType is not (FileStatus.S_IFIFO or FileStatus.S_IFSOCK)) return;
        var thread = new Thread(() =>
        {
            if (WaitForHangup()) onHangup();
        }, 64 * 1024) { IsBackground = true, Name = "stdout-hangup" };
        thread.Start();
    }

    /// <summary>Blocks until descriptor 1 reports POLLERR or POLLHUP (true), or poll fails for good (false).</summary>
    static unsafe bool WaitForHangup()
    {
        for (int tries = 0; tries < 1_000_000; tries++)
        {
            var fd = new PollFd { Fd = 1, Events = 0 };
            var n = Poll(&fd, 1, -1);
            if (n > 0) return (fd.REvents & (POLLERR | POLLHUP)) != 0;
            if (n < 0 && Marshal.GetLastPInvokeError() != EINTR) return false;
        }
        return false;
    }
}
