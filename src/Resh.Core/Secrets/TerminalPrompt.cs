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

    /// <summary>Prompts on <paramref name="prompt"/> (stderr) and reads a line from <paramref name="input"/> (the terminal on fd 0).</summary>
    public static unsafe byte[] ReadHidden(string prompt, Stream input, TextWriter promptOut)
    {
        var saved = new byte[128];
        var quiet = new byte[128];
        bool restored = true;
        fixed (byte* s = saved)
        {
            if (TcGetAttr(0, s) == 0)
            {
                saved.CopyTo(quiet, 0);
                var lflag = BitConverter.ToUInt32(quiet, LflagOffset) & ~ECHO;
                BitConverter.TryWriteBytes(quiet.AsSpan(LflagOffset), lflag);
                fixed (byte* q = quiet) restored = TcSetAttr(0, TCSANOW, q) != 0;
            }
        }
        void Restore()
        {
            if (restored) return;
            restored = true;
            fixed (byte* s = saved) TcSetAttr(0, TCSANOW, s);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Restore());
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Restore());
        try
        {
            promptOut.Write(prompt);
            promptOut.Flush();
            var line = new MemoryStream();
            var one = new byte[1];
            while (line.Length < MaxLine && input.Read(one, 0, 1) == 1 && one[0] != '\n') line.WriteByte(one[0]);
            return line.ToArray();
        }
        finally
        {
            Restore();
            promptOut.WriteLine();
            promptOut.Flush();
        }
    }
}
