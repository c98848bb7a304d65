using System.Runtime.InteropServices;
using Resh.Core.Platform;

namespace Resh.Core.Cli;

/// <summary>The process's streams and environment, injectable so the whole CLI runs in-process in tests.</summary>
public sealed class AppIO
{
    public required Stream Stdin { get; init; }
    public required Stream Stdout { get; init; }
    public required TextWriter Stderr { get; init; }
    public bool StdinIsTerminal { get; init; }
    public bool StdoutIsTerminal { get; init; }
    public bool StderrIsTerminal { get; init; }
    /// <summary>Standard output was closed when resh started (`resh ... &gt;&amp;-`): the answer has nowhere to go.</summary>
    public bool StdoutClosed { get; init; }
    public Func<string, string?> Env { get; init; } = Environment.GetEnvironmentVariable;
    /// <summary>Installs SIGINT/SIGTERM handlers (only the real process does).</summary>
    public bool HandleSignals { get; init; }
    /// <summary>Columns of the terminal on stdout, asked only when a table is drawn.</summary>
    public Func<int?> TerminalWidth { get; init; } = () => null;
    /// <summary>
    /// Cancels the running call as Ctrl-C does, without ending the process: the interactive shell runs each
    /// line through <see cref="ReshApp"/> and owns SIGINT itself (its <see cref="HandleSignals"/> is false).
    /// </summary>
    public CancellationToken Interrupt { get; init; }
    /// <summary>Sees the envelope that answers the call (the shell keeps it as <c>$_</c>); null elsewhere.</summary>
    public Action<Output.Envelope>? OnAnswer { get; init; }

    public static AppIO Console()
    {
        // isatty doubles as the "is it open" check: EBADF means the descriptor is closed. A closed
        // descriptor is taken by /dev/null at once, so no file resh opens later can land on 0, 1 or 2
        // (and receive the envelope meant for stdout).
        LibC.RaiseOpenFileLimit();
        var closed = new bool[3];
        var tty = new bool[3];
        for (int fd = 0; fd < 3; fd++)
        {
            tty[fd] = LibC.IsATtyChecked(fd, out var errno) == 1;
            if (!tty[fd] && errno == FdStream.EBADF)
            {
                closed[fd] = true;
                LibC.ReserveWithDevNull(fd);
            }
        }
        return new AppIO
        {
            Stdin = new FdStream(0, write: false),
            Stdout = new BufferedStream(new FdStream(1, write: true), 64 * 1024),
            Stderr = new StreamWriter(new FdStream(2, write: true, ignoreErrors: true), new System.Text.UTF8Encoding(false)) /* a lone surrogate becomes U+FFFD, never an exception */ { AutoFlush = true },
            StdinIsTerminal = tty[0],
            StdoutIsTerminal = tty[1],
            StderrIsTerminal = tty[2],
            StdoutClosed = closed[1],
            HandleSignals = true,
            TerminalWidth = () => LibC.TerminalColumns(1),
        };
    }
}
