using System.Runtime.InteropServices;

namespace Resh.Surfaces.Shell;

/// <summary>
/// The terminal on stdin in raw mode for the line editor (no echo, no line buffering, Ctrl-C as a key), and
/// while a call runs in the mode it had, but without IEXTEN (so Ctrl-C is SIGINT and a verb's prompt reads a line,
/// while Ctrl-R, Ctrl-W and Ctrl-V typed ahead wait for the editor as typed: with IEXTEN the terminal itself takes
/// them as reprint, word-erase and literal-next, and a Ctrl-R typed during a call never reached the editor; s42 user
/// review). Back to the mode it had when the shell ends.
/// glibc's struct termios on Linux: c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), c_line, c_cc[32].
/// </summary>
internal sealed partial class RawTerminal : IDisposable
{
    const int TCSANOW = 0, TCSADRAIN = 1;
    const uint ICRNL = 0x100, IXON = 0x400, INLCR = 0x40, ISTRIP = 0x20;
    const uint ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, IEXTEN = 0x8000;
    const int IflagOffset = 0, LflagOffset = 12, CcOffset = 17, VTIME = 5, VMIN = 6;

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int optionalActions, [In] byte[] termios);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, [Out] byte[] buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, [In] byte[] buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll([In, Out] PollFd[] fds, nuint count, int timeoutMs);

    [StructLayout(LayoutKind.Sequential)]
    struct PollFd { public int Fd; public short Events; public short Revents; }

    readonly int _fd;
    readonly byte[] _saved = new byte[64];
    readonly byte[] _raw = new byte[64];
    readonly byte[] _call = new byte[64];
    readonly bool _ok;
    bool _isRaw, _inCall;

    public RawTerminal(int fd = 0)
    {
        _fd = fd;
        _ok = TcGetAttr(fd, _saved) == 0;
        _saved.CopyTo(_raw, 0);
        var iflag = BitConverter.ToUInt32(_raw, IflagOffset) & ~(ICRNL | IXON | INLCR | ISTRIP);
        var lflag = BitConverter.ToUInt32(_raw, LflagOffset) & ~(ISIG | ICANON | ECHO | IEXTEN);
        BitConverter.TryWriteBytes(_raw.AsSpan(IflagOffset), iflag);
        BitConverter.TryWriteBytes(_raw.AsSpan(LflagOffset), lflag);
        _raw[CcOffset + VMIN] = 1;
        _raw[CcOffset + VTIME] = 0;
        _saved.CopyTo(_call, 0);
        BitConverter.TryWriteBytes(_call.AsSpan(LflagOffset), BitConverter.ToUInt32(_call, LflagOffset) & ~IEXTEN);
    }

    /// <summary>False when stdin is not a terminal (termios refused).</summary>
    public bool Usable => _ok;

    public void EnterRaw()
    {
        if (!_ok || _isRaw) return;
        TcSetAttr(_fd, TCSADRAIN, _raw);
        _isRaw = true;
        _inCall = false;
    }

    /// <summary>The mode a call runs in: the terminal's own, with keys typed ahead kept for the editor as typed.</summary>
    public void EnterCall()
    {
        if (!_ok || _inCall) return;
        TcSetAttr(_fd, TCSANOW, _call);
        _inCall = true;
        _isRaw = false;
    }

    /// <summary>The mode the terminal had (never flushing what was typed ahead).</summary>
    public void Restore()
    {
        if (!_ok || !_isRaw && !_inCall) return;
        TcSetAttr(_fd, TCSANOW, _saved);
        _isRaw = _inCall = false;
    }

    /// <summary>Reads what the terminal has (at least one byte, blocking); 0 at end of input.</summary>
    public int ReadSome(byte[] buffer)
    {
        while (true)
        {
            var n = Read(_fd, buffer, (nuint)buffer.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue; // EINTR
            return n < 0 ? 0 : (int)n;
        }
    }

    /// <summary>True when more input arrives within <paramref name="ms"/> (the rest of an escape sequence).</summary>
    public bool HasInput(int ms)
    {
        var fds = new[] { new PollFd { Fd = _fd, Events = 1 } };
        return Poll(fds, 1, ms) > 0 && (fds[0].Revents & 1) != 0;
    }

    public static void WriteOut(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        int off = 0;
        while (off < bytes.Length)
        {
            var chunk = off == 0 ? bytes : bytes[off..];
            var n = Write(1, chunk, (nuint)chunk.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue;
            if (n <= 0) return;
            off += (int)n;
        }
    }

    public void Dispose() => Restore();
}
