using System.Runtime.InteropServices;

namespace Resh.Core.Secrets;

/// <summary>
/// Reads one line from a terminal without echoing it (<c>value=@-</c> on a terminal, a passphrase):
/// terminal echo is switched off with termios for the read and restored afterwards, Ctrl-C included.
/// </summary>
public static partial class TerminalPrompt
{
    const int TCSANOW = 0;
    const uint ECHO = 0x8;
    const int LflagOffset = 12; // c_iflag, c_oflag, c_cflag, then c_lflag (glibc, every Linux architecture)
    const int MaxLine = 64 * 1024;

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static unsafe partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static unsafe partial int TcSetAttr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary>
    /// Prompts on <paramref name="promptOut"/> and reads a line from the terminal open as <paramref name="fd"/>.
    /// The line is read with read(2), not through .NET's console stream: the console re-applies the terminal
    /// settings it saved at start (echo on) around each of its reads.
    /// </summary>
    public static unsafe byte[] ReadHidden(string prompt, TextWriter promptOut, int fd = 0)
    {
        var saved = new byte[128];
        var quiet = new byte[128];
        bool restored = true;
        fixed (byte* s = saved)
        {
            if (TcGetAttr(fd, s) == 0)
            {
                saved.CopyTo(quiet, 0);
                var lflag = BitConverter.ToUInt32(quiet, LflagOffset) & ~ECHO;
                BitConverter.TryWriteBytes(quiet.AsSpan(LflagOffset), lflag);
                fixed (byte* q = quiet) restored = TcSetAttr(fd, TCSANOW, q) != 0;
            }
        }
        void Restore()
        {
            if (restored) return;
            restored = true;
            fixed (byte* s = saved) TcSetAttr(fd, TCSANOW, s);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Restore());
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Restore());
        try
        {
            promptOut.Write(prompt);
            promptOut.Flush();
            var line = new List<byte>();
            byte one;
            while (line.Count < MaxLine)
            {
                var n = Read(fd, &one, 1);
                if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue; // EINTR
                if (n <= 0 || one == '\n') break;
                line.Add(one);
            }
            var bytes = line.ToArray();
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(line).Clear();
            return bytes;
        }
        finally
        {
            Restore();
            promptOut.WriteLine();
            promptOut.Flush();
        }
    }
}
