using System.Diagnostics;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Output;

namespace Resh.Core.Execution;

/// <summary>
/// Runs one bound verb and turns whatever happens into an envelope: results, expected errors,
/// cancellation (timeout or interrupt) and escaped exceptions alike.
/// </summary>
public static class Executor
{
    public static async Task<Envelope> RunAsync(Invocation inv, ReshRuntime runtime, OutputFormat format, IEventSink events,
        CancellationToken cancellation, CancellationToken timeoutToken, CancellationToken interruptToken,
        bool dryRun, Stopwatch clock, TimeSpan? timeout = null, CancellationToken terminateToken = default, RetryPolicy? retry = null)
    {
        long? deadline = timeout is { } t ? Environment.TickCount64 + (long)t.TotalMilliseconds : null;
        runtime.RecordStart(inv, dryRun);
        var envelope = await AttemptAsync(inv, runtime, format, events, cancellation, timeoutToken, interruptToken, dryRun, clock, timeout, terminateToken, deadline, retry).ConfigureAwait(false);
        if (retry is not null)
            envelope = await RetryAsync(envelope, retry, inv, runtime, format, events, cancellation, timeoutToken, interruptToken, dryRun, clock, timeout, terminateToken, deadline).ConfigureAwait(false);
        runtime.RecordCall(inv, envelope);
        return envelope;
    }

    /// <summary>
    /// --retry: runs the call again while its error may be retried (<see cref="RetryPolicy.MayRetry"/>), waiting the
    /// backoff between attempts. The wait never runs past --timeout (when the next attempt could not start in time the
    /// answer is `timeout` at once) and ends on Ctrl-C. The envelope says how many attempts ran and, as warnings, why
    /// the earlier ones failed.
    /// </summary>
    static async Task<Envelope> RetryAsync(Envelope envelope, RetryPolicy retry, Invocation inv, ReshRuntime runtime, OutputFormat format, IEventSink events,
        CancellationToken cancellation, CancellationToken timeoutToken, CancellationToken interruptToken,
        bool dryRun, Stopwatch clock, TimeSpan? timeout, CancellationToken terminateToken, long? deadline)
    {
        var verb = inv.Verb!;
        var earlier = new List<string>();
        int attempt = 1;
        while (!envelope.Ok && envelope.Error is { } error && attempt <= retry.Retries && !cancellation.IsCancellationRequested
               && RetryPolicy.MayRetry(error, verb))
        {
            var wait = retry.Backoff(attempt, error);
            var failure = $"{error.Code.ToWire()}: {error.Message}";
            if (deadline is { } d && Environment.TickCount64 + (long)wait.TotalMilliseconds >= d)
            {
                runtime.Log($"retry: {verb.FullName} attempt {attempt} failed ({failure}); no time left for another before --timeout");
                earlier.Add($"Attempt {attempt} failed ({failure}).");
                envelope = Failure(inv, dryRun, clock, ReshError.Timeout(
                    $"Gave up after {attempt} attempt{(attempt == 1 ? "" : "s")}: the next retry (in {Values.DurationValue.Format(wait)}) would start after the --timeout.",
                    "Raise --timeout, or lower --retry-delay or --retry-max-delay.",
                    new System.Text.Json.Nodes.JsonObject { ["last_error"] = new System.Text.Json.Nodes.JsonObject { ["code"] = error.Code.ToWire(), ["message"] = error.Message } }));
                break;
            }
            earlier.Add($"Attempt {attempt} failed ({failure}); retried after {Values.DurationValue.Format(wait)}.");
            runtime.Log($"retry: {verb.FullName} attempt {attempt} of {retry.Retries + 1} failed ({failure}); retrying in {wait.TotalMilliseconds:0} ms");
            try
            {
                await Task.Delay(wait, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                envelope = Failure(inv, dryRun, clock, CancelError(timeoutToken, interruptToken, runtime));
                break;
            }
            attempt++;
            envelope = await AttemptAsync(inv, runtime, format, events, cancellation, timeoutToken, interruptToken, dryRun, clock, timeout, terminateToken, deadline, retry).ConfigureAwait(false);
        }
        if (attempt > 1 || earlier.Count > 0)
            runtime.Log($"retry: {verb.FullName} {(envelope.Ok ? "ok" : envelope.Error?.Code.ToWire())} after {attempt} attempt{(attempt == 1 ? "" : "s")}");
        return envelope.WithAttempts(attempt, earlier).With(durationMs: clock.Elapsed.TotalMilliseconds);
    }

    static Envelope Failure(Invocation inv, bool dryRun, Stopwatch clock, ReshError error) => new()
    {
        Ok = false, Handle = inv.HandleName, Verb = inv.Verb!.Name, Target = inv.EnvelopeTarget, DryRun = dryRun, Error = error,
        DurationMs = clock.Elapsed.TotalMilliseconds, Mutating = inv.Verb.Effect != Model.Effect.Read,
    };

    /// <summary>One run of the verb, whatever happens, as an envelope.</summary>
    static async Task<Envelope> AttemptAsync(Invocation inv, ReshRuntime runtime, OutputFormat format, IEventSink events,
        CancellationToken cancellation, CancellationToken timeoutToken, CancellationToken interruptToken,
        bool dryRun, Stopwatch clock, TimeSpan? timeout, CancellationToken terminateToken, long? deadline, RetryPolicy? retry)
    {
        var handle = inv.Handle!;
        var verb = inv.Verb!;
        var ctx = new VerbContext(handle, verb, inv.Target, inv.RawTarget, inv.Args!, dryRun, format, runtime, events, cancellation, timeoutToken, timeout, terminateToken, deadline)
        {
            Retry = retry,
        };
        VerbOutcome outcome;
        try
        {
            cancellation.ThrowIfCancellationRequested();
            outcome = await verb.Invoke(ctx).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            outcome = Failed(CancelError(timeoutToken, interruptToken, runtime));
        }
        catch (ReshException ex)
        {
            outcome = Failed(ex.Error);
        }
        catch (Exception ex)
        {
            if (cancellation.IsCancellationRequested) outcome = Failed(CancelError(timeoutToken, interruptToken, runtime));
            else
            {
                runtime.Log($"{verb.FullName} raised {ex}");
                outcome = Failed(ExceptionTranslation.ToError(ex, inv.Target.Length > 0 ? inv.Target : null));
            }
        }

        if (outcome.Forwarded is { } forwarded)
        {
            // The forwarding verb's own warnings (an agent call's discovery count) come first, the forwarded envelope's after;
            // a warning the verb also put into the envelope it forwards (ssh upload's skipped links) is said once.
            var own = ctx.Warnings.Where(w => !forwarded.Warnings.Contains(w)).ToArray();
            return forwarded.With(durationMs: clock.Elapsed.TotalMilliseconds, warnings: own.Length == 0 ? null : [.. own, .. forwarded.Warnings]);
        }

        var envelope = new Envelope
        {
            Ok = outcome.Ok,
            Handle = inv.HandleName,
            Verb = verb.Name,
            Target = inv.EnvelopeTarget,
            Changed = (outcome.Ok || outcome.Error?.Code == ErrorCode.Partial) && outcome.Changed,
            DryRun = dryRun,
            Result = outcome.Value,
            ResultTypeFactory = outcome.Type,
            ResultDeclaredType = outcome.DeclaredType,
            Error = outcome.Error,
            Warnings = ctx.Warnings.ToArray(),
            DurationMs = clock.Elapsed.TotalMilliseconds,
            Raw = outcome.Raw,
            Human = verb.Human,
            Mutating = verb.Effect != Model.Effect.Read,
            Revealed = ctx.Revealed,
            ExitStatusOverride = ctx.ExitStatus,
        };
        return envelope;
    }

    static VerbOutcome Failed(ReshError error) => new(false, null, null, false, error, null);

    public static ReshError CancelError(CancellationToken timeoutToken, CancellationToken interruptToken, ReshRuntime runtime)
    {
        if (interruptToken.IsCancellationRequested)
            return ReshError.Interrupted("Interrupted by a signal; the operation was stopped.", "Partial work was rolled back where the verb supports it; check the target.");
        if (timeoutToken.IsCancellationRequested)
            return ReshError.Timeout("Gave up when the --timeout elapsed.", "Raise --timeout, or check why the backend is slow.");
        return ReshError.Interrupted("Cancelled.", null);
    }
}
