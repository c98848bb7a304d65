using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>
/// A stream over one of the standard file descriptors with plain read(2)/write(2). System.Console's
/// streams initialise the terminal on first write (terminfo lookup, and the keypad escape
/// <c>ESC[?1h ESC=</c> printed before the output); resh only needs bytes in and out.
/// Writes go to the descriptor's shared offset, so `(resh a; resh b) &gt; file` keeps both outputs.
/// </summary>
public sealed partial class FdStream : Stream
{
    readonly int _fd;
    readonly bool _write;
    readonly bool _ignoreErrors;

    /// <param name="ignoreErrors">Drop write errors (stderr: a diagnostic that cannot be shown must not fail the call).</param>
    public FdStream(int fd, bool write, bool ignoreErrors = false)
    {
        _fd = fd;
        _write = write;
        _ignoreErrors = ignoreErrors;
    }

    public override bool CanRead => !_write;
    public override bool CanWrite => _write;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override unsafe int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = ReadNative(_fd, p, buffer.Length);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) { Wait(POLLIN); continue; }
                throw new IOException($"Could not read file descriptor {_fd}: {Posix.StrError(errno)}.", errno);
            }
        }
    }

    /// <summary>True when a read would return at once (data waiting, or end of input): poll(2) with no wait.</summary>
    public unsafe bool ReadReady()
    {
        var pfd = new PollFd { Fd = _fd, Events = POLLIN };
        return Poll(&pfd, 1, 0) > 0;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                var n = WriteNative(_fd, p + done, buffer.Length - done);
                if (n >= 0) { done += (int)n; continue; }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) { Wait(POLLOUT); continue; } // a non-blocking pipe inherited from the caller
                if (_ignoreErrors) return;
                throw new OutputStreamException(_fd, errno);
            }
        }
    }

    unsafe void Wait(short events)
    {
        var pfd = new PollFd { Fd = _fd, Events = events };
        Poll(&pfd, 1, -1);
    }

    public const int EINTR = 4, EAGAIN = 11, EBADF = 9, EPIPE = 32;
    const short POLLIN = 1, POLLOUT = 4;

    [StructLayout(LayoutKind.Sequential)]
    struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadNative(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteNative(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint n, int timeout);
}

/// <summary>Writing the output failed (a closed pipe, a full disk): the call's answer cannot reach its reader.</summary>
public sealed class OutputStreamException(int fd, int errno)
    : IOException($"Could not write to {(fd == 1 ? "standard output" : $"file descriptor {fd}")}: {Posix.StrError(errno)}.", errno)
{
    public int Fd { get; } = fd;
    public int Errno { get; } = errno;
    public bool BrokenPipe => Errno == FdStream.EPIPE;
}
