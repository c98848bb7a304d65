using System.Diagnostics;
using System.Runtime.InteropServices;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Core.Registry;

namespace Resh.Core.Cli;

/// <summary>
/// argv to envelope: parse, pick the output format, run the verb under --timeout and signal
/// handling, print exactly one envelope and return its exit status.
/// </summary>
public sealed partial class ReshApp(HandleRegistry registry)
{
    /// <summary>How long a verb gets to stop cleanly after cancellation before resh answers for it and exits.</summary>
    public static TimeSpan CancelGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The top-level commands that are server surfaces (`mcp`), by meta verb name. Asked only after a meta verb
    /// was parsed, so an ordinary call never touches a surface's code.
    /// </summary>
    public Func<string, SurfaceCommand?>? Surfaces { get; init; }

    public async Task<int> RunAsync(string[] argv, AppIO io)
    {
        var clock = Stopwatch.StartNew();
        // `resh` alone on a terminal (stdin and stdout) is the interactive shell; piped or redirected it prints help.
        if (argv.Length == 0 && io.StdinIsTerminal && io.StdoutIsTerminal && Surfaces?.Invoke("shell") is not null) argv = ["shell"];
        // A pipeline (`resh 'proc://.list | where name == "sleep" | count'`): the REPL passes its line here too.
        if (Pipeline.PipelineSyntax.IsPipeline(argv) && RawArgv.Check(argv) is null) return await RunPipelineAsync(argv, io, clock).ConfigureAwait(false);
        var inv = new Invocation();
        var paths = ReshPaths.FromEnvironment();
        var configFile = new ConfigFile(paths, () => inv.Globals.ConfigPath);
        var stdin = StdinSource.Console(io.Stdin, io.StdinIsTerminal, io.Stderr);
        var parser = new CommandLineParser(registry, stdin) { Defaults = () => configFile.Defaults };
        ReshError? parseError = null;
        try
        {
            if (RawArgv.Check(argv) is { } notUtf8) throw notUtf8.ToException(); // never a silently different name (U+FFFD)
            parser.Parse(argv, inv);
            if (inv.Handle?.Scheme != HandleRegistry.MetaScheme && configFile.Defaults is { } defaults)
            {
                ConfigDefaults.ApplyGlobals(defaults, inv.Globals, registry);
                if (inv.Handle is { } ch && inv.Verb is { } cv) ConfigDefaults.ApplyRetry(defaults, inv.Globals, ch, cv);
            }
            if (inv.Globals.Columns is { } columns && inv.Verb is { } verb) CheckColumns(columns, verb);
        }
        catch (ReshException ex)
        {
            parseError = ex.Error;
            PrescanOutputFlags(argv, inv.Globals);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A parser bug must still answer with an envelope, never a stack trace.
            parseError = ExceptionTranslation.ToError(ex);
            PrescanOutputFlags(argv, inv.Globals);
        }

        var g = inv.Globals;
        if (parseError is null && g.ConfigPath is { } cfg && !File.Exists(cfg))
            parseError = ReshError.Usage($"Config file {cfg} does not exist.", "Pass an existing TOML file to --config, or drop the flag.");
        var format = ResolveFormat(g, inv.Verb, io.StdoutIsTerminal);
        var color = !g.NoColor && string.IsNullOrEmpty(io.Env("NO_COLOR")) && io.StdoutIsTerminal && io.Env("TERM") != "dumb";
        var isBatch = inv.Handle?.Scheme == HandleRegistry.MetaScheme && inv.Verb?.Name == "batch";
        var surface = parseError is null && inv.Handle?.Scheme == HandleRegistry.MetaScheme && inv.Verb is { } mv ? Surfaces?.Invoke(mv.Name) : null;
        var runtime = new ReshRuntime(paths, g.ConfigPath, g.Verbose, g.Quiet, io.Stderr, io.StderrIsTerminal, color, configFile)
        {
            Forks = g.Forks,
            Handles = registry,
            Stdin = isBatch || surface is not null ? BatchRunner.NoStdin : stdin,
        };
        if (parseError is null && inv.Handle is { } called && (!called.Hidden || isBatch))
        {
            try
            {
                if (configFile.AuditEnabled) runtime.Audit = new Audit.AuditTrail(paths, isBatch ? "batch" : "cli", Audit.AuditTrail.LocalIdentity());
                runtime.RecordChanges = configFile.EventsRecord;
            }
            catch (ReshException ex) { parseError = ex.Error; } // a config that does not parse
        }
        else if (parseError is null && surface is not null)
        {
            // A server surface (resh mcp) records its calls' changes as events too when [events] record = true.
            try { runtime.RecordChanges = configFile.EventsRecord; }
            catch (ReshException ex) { parseError = ex.Error; }
        }
        var output = new OutputWriter(io.Stdout, io.Stderr, format, g.Quiet, new Ansi(color))
        {
            OnStdoutFailure = ex => ExitAfterOutputFailure(ex, io.Stderr),
            // Only a table needs the terminal's width: one ioctl, never on the JSON path. COLUMNS sets it when piped.
            TableWidth = format == OutputFormat.Table ? TerminalWidthFor(io) : null,
            Columns = g.Columns,
            OnAnswer = io.OnAnswer,
        };
        if (io.StdoutClosed && !g.Quiet)
        {
            // The answer would be lost: refuse before doing anything (a mutating verb must not run unreported).
            io.Stderr.WriteLine("resh: error[failed]: standard output is closed, so the answer could not be written; nothing was run (redirect it to /dev/null to discard it, or pass --quiet).");
            return ErrorCode.Failed.ExitStatus();
        }
        if (g.Verbose)
        {
            Platform.ProcessRunner.Trace = runtime.Log;
            runtime.Log(parseError is null
                ? $"{inv.HandleName}.{inv.VerbName} target=`{Invocation.WithoutPassword(inv.Target)}` format={format.ToWire()}{(g.DryRun ? " dry-run" : "")}{(g.Timeout is { } to ? $" timeout={to.TotalMilliseconds}ms" : "")}{(g.RetryPolicy is { } rp ? $" retry={rp.Retries} delay={rp.Delay.TotalMilliseconds}ms max_delay={rp.MaxDelay.TotalMilliseconds}ms" : "")} (parsed in {clock.Elapsed.TotalMilliseconds:0.00} ms)"
                : $"parse failed: {parseError.Code.ToWire()}");
        }

        if (parseError is not null)
        {
            var env = Envelope.Failure(parseError, inv.HandleName, inv.VerbName, inv.Handle is null ? inv.StageText : inv.EnvelopeTarget,
                g.DryRun, clock.Elapsed.TotalMilliseconds);
            return output.WriteEnvelope(env);
        }

        if (parseError is null && isBatch)
        {
            var batchOutput = new OutputWriter(io.Stdout, io.Stderr, OutputFormat.Json, false, new Ansi(false)) { OnStdoutFailure = ex => ExitAfterOutputFailure(ex, io.Stderr) };
            return await new BatchRunner(registry, runtime, batchOutput, g).RunAsync(io, CancelGrace).ConfigureAwait(false);
        }

        if (surface is not null)
            return await surface(new SurfaceStart(inv, registry, runtime, io, CancelGrace)).ConfigureAwait(false);

        // --become on a local stage (ssh:// verbs take become per host as an argument of their own).
        if (g.Become && inv.Handle is { } h && h.Scheme != HandleRegistry.MetaScheme && inv.Verb?.FindArg("become") is null)
        {
            if (await LocalBecome.RunAsync(inv, runtime, format, io, output, clock).ConfigureAwait(false) is { } code) return code;
        }

        using var interrupt = new CancellationTokenSource();
        using var terminate = new CancellationTokenSource(); // SIGTERM: also cancels interrupt; a long-lived server ends normally on it
        using var timeout = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, timeout.Token);
        using var shellInterrupt = io.Interrupt.Register(() => interrupt.Cancel()); // the shell's Ctrl-C: this call only
        var gate = new FinishGate();
        var events = new EventSink(output, null, false);

        void Watchdog()
        {
            // The verb was asked to stop; if it does not answer within the grace period, answer for it.
            if (io.Interrupt.CanBeCanceled) return; // the interactive shell outlives a call: the verb answers for itself
            _ = Task.Run(async () =>
            {
                await Task.Delay(CancelGrace).ConfigureAwait(false);
                await Cleanup.WaitForHoldsAsync().ConfigureAwait(false); // undo work at a server (a dns-01 record) finishes first, bounded
                if (!gate.TryForce()) return;
                var error = Executor.CancelError(timeout.Token, interrupt.Token, runtime);
                var env = Envelope.Failure(error, inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds);
                runtime.RecordCall(inv, env);
                Cleanup.RunAll(); // the verb is still running: its temporary files go before the envelope says "rolled back"
                var status = output.WriteEnvelope(env);
                Cleanup.RunAll();
                Environment.Exit(status);
            });
        }

        PosixSignalRegistration? sigint = null, sigterm = null;
        var ended = 0; // set once the call is over: the stdout watcher's thread outlives it
        if (io.HandleSignals)
        {
            void OnSignal(PosixSignalContext c)
            {
                c.Cancel = true;
                if (interrupt.IsCancellationRequested)
                {
                    // A second Ctrl-C: stop now.
                    if (gate.TryForce())
                    {
                        var env = Envelope.Failure(ReshError.Interrupted("Interrupted twice; stopped at once.", "Check the target for partial work."),
                            inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds);
                        Cleanup.RunAll();
                        output.WriteEnvelope(env);
                        Environment.Exit(130);
                    }
                    return;
                }
                if (c.Signal == PosixSignal.SIGTERM) terminate.Cancel();
                interrupt.Cancel();
                Watchdog();
            }
            sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            // The reader of stdout is gone (a remote stage whose caller's ssh died, `resh ... | head` after head
            // exited): nobody will read the answer, so the verb is stopped as on SIGTERM, with its rollback.
            if (!io.StdoutIsTerminal && !io.StdoutClosed)
                StdoutHangup.Watch(() =>
                {
                    // A signal came first and is being handled, or the call is over: the reader left after the answer
                    // (`| head -c 10` while agent:// tears its connection down), and the token sources may be gone.
                    if (Volatile.Read(ref ended) != 0 || interrupt.IsCancellationRequested) return;
                    try
                    {
                        runtime.Log("stdout: its reader is gone; stopping the verb");
                        terminate.Cancel();
                        interrupt.Cancel();
                        Watchdog();
                    }
                    catch (ObjectDisposedException) { } // the call ended between the check and the cancel (s39 user D8: exit 134)
                });
        }
        if (g.Timeout is { } t)
        {
            timeout.Token.Register(Watchdog);
            timeout.CancelAfter(t);
        }

        try
        {
            var envelope = await Executor.RunAsync(inv, runtime, format, events, linked.Token, timeout.Token, interrupt.Token, g.DryRun, clock, g.Timeout, terminate.Token,
                g.RetryPolicy).ConfigureAwait(false);
            runtime.Log($"{inv.HandleName}.{inv.VerbName} {(envelope.Ok ? "ok" : envelope.Error?.Code.ToWire())}{(envelope.Changed ? " changed" : "")} in {envelope.DurationMs:0.00} ms, {GC.GetTotalAllocatedBytes() / 1024} KiB allocated");
            if (!gate.TryFinish())
            {
                await Task.Delay(Timeout.Infinite).ConfigureAwait(false); // the watchdog is printing and exiting
            }
            return await output.WriteEnvelopeAsync(envelope).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref ended, 1);
            sigint?.Dispose();
            sigterm?.Dispose();
            output.Flush();
        }
    }

    /// <summary>
    /// The answer could not be written. A reader that went away (EPIPE) ends resh as SIGPIPE ends other
    /// tools: status 141, nothing on stderr. Anything else (a full disk, an I/O error) is `failed`:
    /// status 1 and one line on stderr. Temporary files go first either way.
    /// </summary>
    static void ExitAfterOutputFailure(OutputStreamException ex, TextWriter stderr)
    {
        Cleanup.RunAll();
        if (ex.BrokenPipe) Environment.Exit(141);
        stderr.WriteLine($"resh: error[failed]: could not write the answer to standard output: {Posix.StrError(ex.Errno)}.");
        Environment.Exit(ErrorCode.Failed.ExitStatus());
    }

    /// <summary>--columns names fields of the verb's result: a misspelt one is `usage` before anything runs.</summary>
    static void CheckColumns(IReadOnlyList<string> columns, Model.VerbInfo verb)
    {
        var names = FieldUnits.FieldNames(verb.ResultType);
        foreach (var c in columns)
        {
            if (names.Any(n => TableRenderer.Matches(n, c))) continue;
            var shown = names.Select(FieldUnits.HeaderOf).Distinct().Order(StringComparer.Ordinal).ToList();
            throw ReshError.Usage($"`{c}` is not a field of the {verb.FullName} result, so it cannot be a column.",
                Text.Suggest.Hint(c, shown, prefix: "--columns ") ?? $"Fields: {string.Join(", ", shown)}.",
                new System.Text.Json.Nodes.JsonObject { ["column"] = c }).ToException();
        }
    }

    static int? TerminalWidthFor(AppIO io)
    {
        if (io.StdoutIsTerminal && io.TerminalWidth() is { } w) return w;
        return int.TryParse(io.Env("COLUMNS"), out var c) && c > 0 ? c : null;
    }

    static OutputFormat ResolveFormat(GlobalOptions g, Model.VerbInfo? verb, bool stdoutIsTerminal)
    {
        // The command line, else the verb's own preference (help, completion), else [defaults] format, else auto.
        var f = g.FormatGiven ? g.Format : verb?.PreferredFormat ?? g.Format;
        return f == OutputFormat.Auto ? (stdoutIsTerminal ? OutputFormat.Table : OutputFormat.Json) : f;
    }

    /// <summary>After a parse error the envelope still honours the output flags that were given.</summary>
    static void PrescanOutputFlags(string[] argv, GlobalOptions g)
    {
        for (int i = 0; i < argv.Length; i++)
        {
            var a = argv[i];
            if (a == "--") break;
            try
            {
                if (a == "--json-pretty") { g.Format = OutputFormat.JsonPretty; g.FormatGiven = true; }
                else if (a == "--quiet" || a == "-q") g.Quiet = true;
                else if (a == "--no-color") g.NoColor = true;
                else if (a.StartsWith("--format=", StringComparison.Ordinal) && OutputFormats.TryParse(a[9..], out var f1)) { g.Format = f1; g.FormatGiven = true; }
                else if (a == "--format" && i + 1 < argv.Length && OutputFormats.TryParse(argv[i + 1], out var f2)) { g.Format = f2; g.FormatGiven = true; }
            }
            catch (ReshException) { }
        }
    }

    /// <summary>Makes sure exactly one party (the verb's normal end, or the watchdog) prints the envelope.</summary>
    sealed class FinishGate
    {
        int _state; // 0 running, 1 finished, 2 forced
        public bool TryFinish() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;
        public bool TryForce() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;
    }
}
