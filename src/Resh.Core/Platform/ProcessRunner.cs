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
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = options.WorkingDirectory ?? "",
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C"; // stable, parseable tool output
        // The keystore's unlocking material is resh's own: no child (secret://.exec's command, pass, gpg) inherits it.
        psi.Environment.Remove("RESH_SECRET_PASSPHRASE");
        psi.Environment.Remove("RESH_SECRET_KEY_FILE");
        if (options.Environment is not null)
            foreach (var (k, v) in options.Environment)
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;

        var clock = Stopwatch.StartNew();
        Process process;
        ProcessSlots.Slot slot;
        try
        {
            // Waits for a slot while file descriptors or processes have run out (ProcessSlots says what ran out when none frees).
            (process, slot) = await ProcessSlots.StartAsync(psi, ct).ConfigureAwait(false);
        }
        catch (Win32Exception ex)
        {
            throw ReshError.Unavailable($"Cannot run {argv[0]}: {ExceptionTranslation.OneLine(ex.Message)}.",
                $"Install the package that provides `{Path.GetFileName(argv[0])}`.").ToException();
        }
        using var held = slot;
        using var owned = process;
        // Process.Dispose leaves the pipes a caller has touched open until the GC finalizes them: closed here, at once.
        using var stdinPipe = process.StandardInput.BaseStream;
        using var stdoutPipe = process.StandardOutput.BaseStream;
        using var stderrPipe = process.StandardError.BaseStream;

        var stdoutTask = Capture(process.StandardOutput.BaseStream, options.MaxOutputBytes, options.OnStdoutLine);
        var stderrTask = Capture(process.StandardError.BaseStream, options.MaxOutputBytes, options.OnStderrLine);
        try
        {
            if (options.Stdin is { } input)
            {
                try { await process.StandardInput.BaseStream.WriteAsync(input, ct).ConfigureAwait(false); }
                catch (IOException) { } // the program exited without reading everything
            }
            try { process.StandardInput.Close(); } catch (IOException) { }
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var (stdout, outTrunc) = await stdoutTask.ConfigureAwait(false);
        var (stderr, errTrunc) = await stderrTask.ConfigureAwait(false);
        Trace?.Invoke($"ran [{string.Join(' ', argv.Select(Quote))}] -> exit {process.ExitCode} in {clock.Elapsed.TotalMilliseconds:0.0} ms");
        return new ProcessResult(process.ExitCode, stdout, stderr, outTrunc, errTrunc, clock.Elapsed);
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

    static async Task<(string Text, bool Truncated)> Capture(Stream stream, int max, Action<string>? onLine)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16384];
        var pending = onLine is null ? null : new MemoryStream();
        bool truncated = false;
        int n;
        while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (pending is not null)
            {
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n') { pending.WriteByte(buffer[i]); continue; }
                    onLine!(Encoding.UTF8.GetString(pending.GetBuffer(), 0, (int)pending.Length));
                    pending.SetLength(0);
                }
            }
            var room = max - (int)kept.Length;
            if (room > 0) kept.Write(buffer, 0, Math.Min(room, n));
            if (n > room) truncated = true; // keep draining so the child never blocks on a full pipe
        }
        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), truncated);
    }

    static string Quote(string a) => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    static string Tail(string s, int max) => s.Length <= max ? s : "…" + s[^max..];
}
