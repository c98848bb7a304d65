using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcStatus
{
    public static readonly VerbInfo Verb = VerbInfo.Define("status", Effect.Read,
        "A service's state: active/sub state, enablement, main PID, memory, since when, last exit code.",
        [ServiceManagers.BackendArg], () => SvcJson.Default.ServiceStatus, RunAsync,
        examples: [new("svc://nginx.status", "Is nginx running, since when, with which PID."), new("svc://ssh.service.status", "Full unit names work too.")],
        notes: "An unknown service is `not_found`, with similar names in the hint (like `systemctl status`); is-active and is-enabled answer false instead.");

    static async ValueTask<Outcome<ServiceStatus>> RunAsync(VerbContext ctx)
    {
        var (mgr, _, st) = await SvcFlow.OpenExistingAsync(ctx).ConfigureAwait(false);
        mgr.Dispose();
        return st;
    }
}

public static class SvcIsActive
{
    public static readonly VerbInfo Verb = VerbInfo.Define("is-active", Effect.Read,
        "Whether a service is running (false, not an error, when it is stopped or unknown).",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcIsActiveResult, RunAsync,
        examples: [new("svc://nginx.is-active", "true or false.")]);

    static async ValueTask<Outcome<SvcIsActiveResult>> RunAsync(VerbContext ctx)
    {
        using var mgr = await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        var name = ServiceManagers.TargetName(ctx, mgr);
        var st = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        var active = st.ActiveState is "active" or "reloading";
        return new Outcome<SvcIsActiveResult>(new SvcIsActiveResult(st.Name, mgr.Backend, st.Exists, active, st.ActiveState), false)
            .WithRaw(RawPayload.FromText(st.ActiveState));
    }
}

public static class SvcIsEnabled
{
    public static readonly VerbInfo Verb = VerbInfo.Define("is-enabled", Effect.Read,
        "Whether a service starts at boot (false, not an error, when it is disabled or unknown).",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcIsEnabledResult, RunAsync,
        examples: [new("svc://nginx.is-enabled", "true or false, with the precise state (enabled, static, masked...).")]);

    static async ValueTask<Outcome<SvcIsEnabledResult>> RunAsync(VerbContext ctx)
    {
        using var mgr = await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        var name = ServiceManagers.TargetName(ctx, mgr);
        var st = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        var state = st.Exists ? st.Enabled ?? "unknown" : "not-found";
        var enabled = state is "enabled" or "enabled-runtime" or "alias" or "static" or "indirect" or "generated";
        return new Outcome<SvcIsEnabledResult>(new SvcIsEnabledResult(st.Name, mgr.Backend, st.Exists, enabled, state), false)
            .WithRaw(RawPayload.FromText(state));
    }
}
