using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>How to run an external program.</summary>
public sealed record ProcessOptions
{
    public byte[]? Stdin { get; init; }
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }
    public string? WorkingDirectory { get; init; }
    /// <summary>Output beyond this many bytes per stream is dropped and flagged as truncated.</summary>
    public int MaxOutputBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>Called with each complete stdout line as it arrives (progress from a tool's status output); the output is still captured.</summary>
    public Action<string>? OnStdoutLine { get; init; }
    /// <summary>Called with each complete stderr line as it arrives (borg's --log-json progress); the output is still captured.</summary>
    public Action<string>? OnStderrLine { get; init; }
}

/// <summary>What a program did: exit code and bounded, decoded output.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, bool StdoutTruncated, bool StderrTruncated, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>stdout exactly as the program wrote it (when the runner kept it): <c>--format raw</c> passes these bytes through.</summary>
    public byte[]? StdoutBytes { get; init; }

    /// <summary>The last non-empty line of stderr (or stdout), for one-sentence error messages.</summary>
    public string LastErrorLine
    {
        get
        {
            var source = Stderr.Trim().Length > 0 ? Stderr : Stdout;
            var line = source.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            return line.Length > 300 ? line[..300] + "…" : line;
        }
    }
}

/// <summary>
/// Runs a program from an argv array (never through a shell, SPEC §8), with bounded output capture,
/// and kills the whole process tree when the call is cancelled (--timeout, Ctrl-C).
/// </summary>
public static class ProcessRunner
{
    /// <summary>Receives one line per program run (set by the CLI under --verbose); never given stdin or environment values.</summary>
    public static Action<string>? Trace { get; set; }

    public static async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, ProcessOptions? options, CancellationToken ct)
    {
        if (argv.Count == 0) throw new ArgumentException("argv is empty", nameof(argv));
        options ??= new ProcessOptions();
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["LC_ALL"] = "C", // stable, parseable tool output
            // The keystore's unlocking material is resh's own: no child (secret://.exec's command, pass, gpg) inherits it.
            ["RESH_SECRET_PASSPHRASE"] = null,
            ["RESH_SECRET_KEY_FILE"] = null,
        };
        if (options.Environment is not null)
            foreach (var (k, v) in options.Environment) environment[k] = v;

        var clock = Stopwatch.StartNew();
        SpawnedChild child;
        ProcessSlots.Slot slot;
        try
        {
            // posix_spawn, not System.Diagnostics.Process (SpawnedChild says why). Waits for a slot while file descriptors
            // or processes have run out (ProcessSlots says what ran out when none frees).
            (child, slot) = await ProcessSlots.StartAsync(argv[0], () => SpawnedChild.Start(argv, environment, options.WorkingDirectory, SpawnStdin.Pipe, closeInherited: true), ct)
                .ConfigureAwait(false);
        }
        catch (Win32Exception ex)
        {
            throw ReshError.Unavailable($"Cannot run {argv[0]}: {ExceptionTranslation.OneLine(ex.Message)}.",
                $"Install the package that provides `{Path.GetFileName(argv[0])}`.").ToException();
        }
        using var held = slot;
        using var owned = child; // disposed first: the pipes are closed before the slot frees

        var stdout = new Capture(options.MaxOutputBytes, options.OnStdoutLine);
        var stderr = new Capture(options.MaxOutputBytes, options.OnStderrLine);
        var input = options.Stdin ?? [];
        // One thread of its own feeds stdin, reads both pipes with poll(2) and reaps the child: many runs at once (a
        // fleet) each have theirs, and a single run costs one thread start rather than the thread pool's warm-up.
        var end = await Task.Factory.StartNew(() => child.Pump(input, stdout.Take, stderr.Take, grace: null, ct),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        if (end != PumpEnd.Exited)
        {
            child.KillTree();
            child.WaitForExit();
            throw new OperationCanceledException(ct);
        }
        Trace?.Invoke($"ran [{string.Join(' ', argv.Select(Quote))}] -> exit {child.ExitCode} in {clock.Elapsed.TotalMilliseconds:0.0} ms");
        return new ProcessResult(child.ExitCode, stdout.Text, stderr.Text, stdout.Truncated, stderr.Truncated, clock.Elapsed);
    }

    /// <summary>Runs and requires exit 0; otherwise a <c>failed</c> error with the tool's last stderr line.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(IReadOnlyList<string> argv, ProcessOptions? options, CancellationToken ct)
    {
        var r = await RunAsync(argv, options, ct).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw ReshError.Failed($"{Path.GetFileName(argv[0])} exited with {r.ExitCode}: {r.LastErrorLine}", null,
                new System.Text.Json.Nodes.JsonObject
                {
                    ["command"] = new System.Text.Json.Nodes.JsonArray(argv.Select(a => (System.Text.Json.Nodes.JsonNode?)a).ToArray()),
                    ["exit_code"] = r.ExitCode,
                    ["stderr"] = Tail(r.Stderr, 2000),
                }).ToException();
        }
        return r;
    }

    /// <summary>The full path of a program on PATH (or in the sbin directories), or null.</summary>
    public static string? Which(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? program : null;
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/local/sbin", "/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>One stream's output: kept up to a bound (the rest is read and dropped, so the child never blocks on a full pipe), and complete lines handed on as they come.</summary>
    sealed class Capture(int max, Action<string>? onLine)
    {
        readonly MemoryStream _kept = new();
        readonly MemoryStream? _pending = onLine is null ? null : new MemoryStream();

        public bool Truncated { get; private set; }

        public string Text => Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);

        public bool Take(ReadOnlySpan<byte> chunk)
        {
            if (chunk.IsEmpty) return true; // the end of the stream
            if (_pending is not null)
            {
                foreach (var b in chunk)
                {
                    if (b != (byte)'\n') { _pending.WriteByte(b); continue; }
                    onLine!(Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length));
                    _pending.SetLength(0);
                }
            }
            var room = max - (int)_kept.Length;
            if (room > 0) _kept.Write(chunk[..Math.Min(room, chunk.Length)]);
            if (chunk.Length > room) Truncated = true;
            return true;
        }
    }

    static string Quote(string a) => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    static string Tail(string s, int max) => s.Length <= max ? s : "…" + s[^max..];
}
