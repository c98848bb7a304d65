using System.Diagnostics;
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
        var color = ColorFor(globals, io);
        var output = OutputFor(io, globals, format, color);
        if (parseError is not null || plan is null)
            return output.WriteEnvelope(Envelope.Failure(parseError ?? ReshError.Failed("The pipeline could not be read.", null),
                PipelineRunner.Handle, PipelineRunner.Verb, string.Join(' ', argv), globals.DryRun, clock.Elapsed.TotalMilliseconds));
        if (RefuseClosedStdout(io, globals) is { } closed) return closed;

        var runtime = RuntimeFor(paths, globals, io, color, configFile, stdin);
        if (StartRecording(runtime, configFile, paths, "cli") is { } configError)
            return output.WriteEnvelope(Envelope.Failure(configError, PipelineRunner.Handle, PipelineRunner.Verb, plan.Text, globals.DryRun, clock.Elapsed.TotalMilliseconds));
        if (globals.Verbose)
        {
            Platform.ProcessRunner.Trace = runtime.Log;
            runtime.Log($"pipeline: {plan.Text} ({plan.Steps.Count + 1} stages, parallel {plan.Parallel}{(globals.DryRun ? ", dry-run" : "")}) parsed in {clock.Elapsed.TotalMilliseconds:0.00} ms");
        }

        var runner = new PipelineRunner(registry, runtime)
        {
            OnItem = format == OutputFormat.Ndjson ? e => output.WriteEnvelope(e, answer: false) : null,
        };
        // The same cancellation as one call (CallScope): Ctrl-C, SIGTERM, --timeout, a stdout reader that went away,
        // and the watchdog that answers when the pipeline does not stop within the grace period: with the items that
        // ran, as a pipeline that stopped in time answers (s42 user D8; it answered result: null).
        using var scope = new CallScope(io, runtime, output, globals.Timeout,
            error => runner.AnswerStopped(error)
                ?? Envelope.Failure(error, PipelineRunner.Handle, PipelineRunner.Verb, plan.Text, globals.DryRun, clock.Elapsed.TotalMilliseconds), null);
        var linked = scope.Linked;
        try
        {
            Envelope envelope;
            try
            {
                envelope = await runner.RunAsync(plan, new PipelineTokens(linked.Token, scope.Timeout.Token, scope.Interrupt.Token, scope.Terminate.Token), clock).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                envelope = Envelope.Failure(Executor.CancelError(scope.Timeout.Token, scope.Interrupt.Token, runtime), PipelineRunner.Handle, PipelineRunner.Verb, plan.Text,
                    globals.DryRun, clock.Elapsed.TotalMilliseconds);
            }
            catch (ReshException ex)
            {
                envelope = Envelope.Failure(ex.Error, PipelineRunner.Handle, PipelineRunner.Verb, plan.Text, globals.DryRun, clock.Elapsed.TotalMilliseconds);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug in a filter or a stage still answers with an envelope, never a stack trace (s41: `| count | where
                // count > 0` crashed on a number made in-process).
                envelope = Envelope.Failure(ExceptionTranslation.ToError(ex), PipelineRunner.Handle, PipelineRunner.Verb, plan.Text, globals.DryRun, clock.Elapsed.TotalMilliseconds);
            }
            // Stopped by Ctrl-C or --timeout: the answer says so (interrupted, timeout), with the items that did run, rather
            // than `partial` for the items that never started (s40 user review).
            if (linked.IsCancellationRequested && envelope.Error?.Code != ErrorCode.Interrupted && envelope.Error?.Code != ErrorCode.Timeout)
                envelope = envelope.With(error: Executor.CancelError(scope.Timeout.Token, scope.Interrupt.Token, runtime));
            runtime.Log($"pipeline {(envelope.Ok ? "ok" : envelope.Error?.Code.ToWire())}{(envelope.Changed ? " changed" : "")} in {envelope.DurationMs:0.00} ms");
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
}
