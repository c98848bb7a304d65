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
    public Func<string, string?> Env { get; init; } = Environment.GetEnvironmentVariable;
    /// <summary>Installs SIGINT/SIGTERM handlers (only the real process does).</summary>
    public bool HandleSignals { get; init; }

    public static AppIO Console()
    {
        return new AppIO
        {
            Stdin = System.Console.OpenStandardInput(),
            Stdout = new BufferedStream(System.Console.OpenStandardOutput(), 64 * 1024),
            Stderr = new StreamWriter(System.Console.OpenStandardError()) { AutoFlush = true },
            StdinIsTerminal = LibC.IsATty(0) == 1,
            StdoutIsTerminal = LibC.IsATty(1) == 1,
            StderrIsTerminal = LibC.IsATty(2) == 1,
            HandleSignals = true,
        };
    }
}
