using System.Diagnostics;
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
        var color = ColorFor(g, io);
        var isBatch = inv.Handle?.Scheme == HandleRegistry.MetaScheme && inv.Verb?.Name == "batch";
        var surface = parseError is null && inv.Handle?.Scheme == HandleRegistry.MetaScheme && inv.Verb is { } mv ? Surfaces?.Invoke(mv.Name) : null;
        var runtime = RuntimeFor(paths, g, io, color, configFile, isBatch || surface is not null ? BatchRunner.NoStdin : stdin);
        if (parseError is null && inv.Handle is { } called && (!called.Hidden || isBatch))
            parseError = StartRecording(runtime, configFile, paths, isBatch ? "batch" : "cli"); // a config that does not parse
        else if (parseError is null && surface is not null)
        {
            // A server surface (resh mcp) records its calls' changes as events too when [events] record = true.
            try { runtime.RecordChanges = configFile.EventsRecord; }
            catch (ReshException ex) { parseError = ex.Error; }
        }
        var output = OutputFor(io, g, format, color);
        if (RefuseClosedStdout(io, g) is { } closed) return closed;
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

        var events = new EventSink(output, null, false);
        using var scope = new CallScope(io, runtime, output, g.Timeout,
            error => Envelope.Failure(error, inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds),
            env => runtime.RecordCall(inv, env));
        try
        {
            var envelope = await Executor.RunAsync(inv, runtime, format, events, scope.Linked.Token, scope.Timeout.Token, scope.Interrupt.Token, g.DryRun, clock, g.Timeout,
                scope.Terminate.Token, g.RetryPolicy).ConfigureAwait(false);
            runtime.Log($"{inv.HandleName}.{inv.VerbName} {(envelope.Ok ? "ok" : envelope.Error?.Code.ToWire())}{(envelope.Changed ? " changed" : "")} in {envelope.DurationMs:0.00} ms, {GC.GetTotalAllocatedBytes() / 1024} KiB allocated");
            if (!scope.TryFinish())
            {
                await Task.Delay(Timeout.Infinite).ConfigureAwait(false); // the watchdog is printing and exiting
            }
            return await output.WriteEnvelopeAsync(envelope).ConfigureAwait(false);
        }
        finally
        {
            scope.End();
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
