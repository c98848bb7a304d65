using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Fleet;

/// <summary>
/// Runs one of ssh://'s own verbs on the host(s) of the target: one host answers with its own
/// envelope (<c>host</c> set to it); a host list, range or group fans out into a fleet envelope.
/// </summary>
public static class HostVerb
{
    public static async ValueTask<Outcome<T>> RunAsync<T>(VerbContext ctx, JsonTypeInfo<T> type,
        Func<SshCall, HostTarget, Task<Outcome<T>>> perHost, bool fleetAllowed = true)
    {
        var call = SshCall.Prepare(ctx);
        if (call.Spec.IsFleet && !fleetAllowed)
            return ReshError.Usage($"ssh.{ctx.Verb.Name} works on one host; `{call.Spec.Text}` names several.", $"Name one host: ssh://{call.Hosts[0].Alias}.{ctx.Verb.Name}");
        if (!call.Spec.IsFleet)
            return Outcome.Forward<T>(await OneAsync(ctx, call, call.Hosts[0], $"ssh://{ctx.RawTarget}", type, perHost).ConfigureAwait(false));
        var fleet = await FanOut.RunAsync(ctx, call.Hosts, "ssh", ctx.Verb.Name, $"ssh://{ctx.RawTarget}", h => $"ssh://{h.Alias}",
            h => OneAsync(ctx, call, h, $"ssh://{h.Alias}", type, perHost)).ConfigureAwait(false);
        return Outcome.Forward<T>(fleet);
    }

    static async Task<Envelope> OneAsync<T>(VerbContext ctx, SshCall call, HostTarget host, string target, JsonTypeInfo<T> type,
        Func<SshCall, HostTarget, Task<Outcome<T>>> perHost)
    {
        var clock = Stopwatch.StartNew();
        Outcome<T> outcome;
        try
        {
            outcome = await perHost(call, host).ConfigureAwait(false);
        }
        catch (ReshException ex)
        {
            outcome = ex.Error;
        }
        return new Envelope
        {
            Ok = outcome.Error is null,
            Handle = "ssh",
            Verb = ctx.Verb.Name,
            Target = target,
            Host = host.Alias,
            Changed = outcome.Error is null && outcome.Changed,
            DryRun = ctx.DryRun,
            Result = outcome.Error is null ? outcome.Value : null,
            ResultType = outcome.Error is null ? type : null,
            Error = outcome.Error,
            Raw = outcome.Raw,
            Warnings = ctx.Warnings.ToArray(),
            DurationMs = clock.Elapsed.TotalMilliseconds,
            Human = ctx.Verb.Human,
            Mutating = ctx.Verb.Effect != Effect.Read,
        };
    }
}
