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
        bool dryRun, Stopwatch clock, TimeSpan? timeout = null, CancellationToken terminateToken = default)
    {
        var handle = inv.Handle!;
        var verb = inv.Verb!;
        var ctx = new VerbContext(handle, verb, inv.Target, inv.RawTarget, inv.Args!, dryRun, format, runtime, events, cancellation, timeoutToken, timeout, terminateToken);
        VerbOutcome outcome;
        runtime.RecordStart(inv, dryRun);
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
            // The forwarding verb's own warnings (an agent call's discovery count) come first, the forwarded envelope's after.
            var own = ctx.Warnings.ToArray();
            var answer = forwarded.With(durationMs: clock.Elapsed.TotalMilliseconds, warnings: own.Length == 0 ? null : [.. own, .. forwarded.Warnings]);
            runtime.RecordCall(inv, answer);
            return answer;
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
        runtime.RecordCall(inv, envelope);
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
