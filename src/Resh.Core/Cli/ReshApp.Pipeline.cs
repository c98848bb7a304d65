using System.Diagnostics;
using System.Runtime.InteropServices;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Pipeline;

namespace Resh.Core.Cli;

public sealed partial class ReshApp
{
    /// <summary>
    /// A pipeline from argv to its one envelope: parse and check every stage first (a bad stage anywhere is `usage`
    /// and nothing runs), then run it under --timeout and Ctrl-C; under --format ndjson each item's envelope of the
    /// last stage is printed as it finishes (in input order), then the pipeline's envelope.
    /// </summary>
    async Task<int> RunPipelineAsync(string[] argv, AppIO io, Stopwatch clock)
    {
        var globals = new GlobalOptions();
        var paths = ReshPaths.FromEnvironment();
        var configFile = new ConfigFile(paths, () => globals.ConfigPath);
        var stdin = StdinSource.Console(io.Stdin, io.StdinIsTerminal, io.Stderr);
        PipelinePlan? plan = null;
        ReshError? parseError = null;
        try
        {
            plan = PipelinePlan.Parse(argv, registry, stdin, () => configFile.Defaults, globals);
            if (configFile.Defaults is { } defaults) ConfigDefaults.ApplyGlobals(defaults, globals, registry);
            if (globals.ConfigPath is { } cfg && !File.Exists(cfg))
                parseError = ReshError.Usage($"Config file {cfg} does not exist.", "Pass an existing TOML file to --config, or drop the flag.");
        }
        catch (ReshException ex) { parseError = ex.Error; }
        catch (Exception ex) when (ex is not OutOfMemoryException) { parseError = ExceptionTranslation.ToError(ex); }
        if (parseError is not null) PrescanOutputFlags(argv, globals);

        var format = ResolveFormat(globals, null, io.StdoutIsTerminal);
        var color = !globals.NoColor && string.IsNullOrEmpty(io.Env("NO_COLOR")) && io.StdoutIsTerminal && io.Env("TERM") != "dumb";
        var output = new OutputWriter(io.Stdout, io.Stderr, format, globals.Quiet, new Ansi(color))
        {
            OnStdoutFailure = ex => ExitAfterOutputFailure(ex, io.Stderr),
            TableWidth = format == OutputFormat.Table ? TerminalWidthFor(io) : null,
            Columns = globals.Columns,
            OnAnswer = io.OnAnswer, // the shell's $_ and $name = PIPELINE
        };
        if (parseError is not null || plan is null)
            return output.WriteEnvelope(Envelope.Failure(parseError ?? ReshError.Failed("The pipeline could not be read.", null),
                PipelineRunner.Handle, PipelineRunner.Verb, string.Join(' ', argv), globals.DryRun, clock.Elapsed.TotalMilliseconds));
        if (io.StdoutClosed && !globals.Quiet)
        {
            io.Stderr.WriteLine("resh: error[failed]: standard output is closed, so the answer could not be written; nothing was run (redirect it to /dev/null to discard it, or pass --quiet).");
            return ErrorCode.Failed.ExitStatus();
        }

        var runtime = new ReshRuntime(paths, globals.ConfigPath, globals.Verbose, globals.Quiet, io.Stderr, io.StderrIsTerminal, color, configFile)
        {
            Forks = globals.Forks,
            Handles = registry,
            Stdin = stdin,
        };
        try
        {
            if (configFile.AuditEnabled) runtime.Audit = new Audit.AuditTrail(paths, "cli", Audit.AuditTrail.LocalIdentity());
            runtime.RecordChanges = configFile.EventsRecord;
        }
        catch (ReshException ex)
        {
            return output.WriteEnvelope(Envelope.Failure(ex.Error, PipelineRunner.Handle, PipelineRunner.Verb, plan.Text, globals.DryRun, clock.Elapsed.TotalMilliseconds));
        }
        if (globals.Verbose)
        {
            Platform.ProcessRunner.Trace = runtime.Log;
            runtime.Log($"pipeline: {plan.Text} ({plan.Steps.Count + 1} stages, parallel {plan.Parallel}{(globals.DryRun ? ", dry-run" : "")}) parsed in {clock.Elapsed.TotalMilliseconds:0.00} ms");
        }

        using var interrupt = new CancellationTokenSource();
        using var terminate = new CancellationTokenSource();
        using var timeout = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, timeout.Token);
        using var shellInterrupt = io.Interrupt.Register(() => interrupt.Cancel()); // the shell's Ctrl-C stops the pipeline, not the shell
        PosixSignalRegistration? sigint = null, sigterm = null;
        if (io.HandleSignals)
        {
            void OnSignal(PosixSignalContext c)
            {
                c.Cancel = true;
                if (c.Signal == PosixSignal.SIGTERM) terminate.Cancel();
                interrupt.Cancel();
            }
            sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        }
        if (globals.Timeout is { } t) timeout.CancelAfter(t);
        try
        {
            var runner = new PipelineRunner(registry, runtime)
            {
                OnItem = format == OutputFormat.Ndjson ? e => output.WriteEnvelope(e, answer: false) : null,
            };
            Envelope envelope;
            try
            {
                envelope = await runner.RunAsync(plan, new PipelineTokens(linked.Token, timeout.Token, interrupt.Token, terminate.Token), clock).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                envelope = Envelope.Failure(Executor.CancelError(timeout.Token, interrupt.Token, runtime), PipelineRunner.Handle, PipelineRunner.Verb, plan.Text,
                    globals.DryRun, clock.Elapsed.TotalMilliseconds);
            }
            // Stopped by Ctrl-C or --timeout: the answer says so (interrupted, timeout), with the items that did run, rather
            // than `partial` for the items that never started (s40 user review).
            if (linked.IsCancellationRequested && envelope.Error?.Code != ErrorCode.Interrupted && envelope.Error?.Code != ErrorCode.Timeout)
                envelope = envelope.With(error: Executor.CancelError(timeout.Token, interrupt.Token, runtime));
            runtime.Log($"pipeline {(envelope.Ok ? "ok" : envelope.Error?.Code.ToWire())}{(envelope.Changed ? " changed" : "")} in {envelope.DurationMs:0.00} ms");
            return await output.WriteEnvelopeAsync(envelope).ConfigureAwait(false);
        }
        finally
        {
            sigint?.Dispose();
            sigterm?.Dispose();
            output.Flush();
        }
    }
}
