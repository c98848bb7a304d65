using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcWait
{
    /// <summary>systemd's active states and the sub states of services, sockets, timers and mounts, and OpenRC's states as svc:// reports them.</summary>
    static readonly string[] States =
    [
        "active", "reloading", "inactive", "failed", "activating", "deactivating", "maintenance", "refreshing",
        "running", "exited", "dead", "start-pre", "start", "start-post", "reload", "stop", "stop-watchdog", "stop-sigterm", "stop-sigkill",
        "stop-post", "final-watchdog", "final-sigterm", "final-sigkill", "auto-restart", "auto-restart-queued", "cleaning", "condition",
        "listening", "waiting", "elapsed", "mounted", "mounting", "unmounting", "plugged", "tentative",
        "started", "stopped", "starting", "stopping", "crashed",
    ];

    static readonly Arg<string?> State = Arg.Enum("state", "The state to wait for: an active state (active, inactive, failed...) or a sub state (running, exited, dead...).",
        States, "active");
    static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up (error `timeout`) after this long.", TimeSpan.FromSeconds(30));

    public static readonly VerbInfo Verb = VerbInfo.Define("wait", Effect.Read,
        "Wait until a service reaches a state, or the timeout passes.",
        [State, Timeout, ServiceManagers.BackendArg], () => SvcJson.Default.SvcWaitResult, RunAsync,
        examples: [new("'svc://nginx.wait(state=active,timeout=1m)'", "Block until nginx is active."), new("'svc://backup.wait(state=inactive)'", "Until a oneshot job has finished.")]);

    static async ValueTask<Outcome<SvcWaitResult>> RunAsync(VerbContext ctx)
    {
        var (mgr, name, st) = await SvcFlow.OpenExistingAsync(ctx).ConfigureAwait(false);
        using var _ = mgr;
        var wanted = ctx.Get(State)!;
        var timeout = ctx.Get(Timeout)!.Value;
        var clock = Stopwatch.StartNew();
        while (st.ActiveState != wanted && st.SubState != wanted)
        {
            if (clock.Elapsed >= timeout)
                return ReshError.Timeout($"{name} is {st.ActiveState} ({st.SubState}), not {wanted}, after {Resh.Core.Values.DurationValue.Format(timeout)}.",
                    $"Check why: resh svc://{name}.logs",
                    new JsonObject { ["name"] = name, ["active_state"] = st.ActiveState, ["sub_state"] = st.SubState, ["wanted"] = wanted });
            await Task.Delay(TimeSpan.FromMilliseconds(100), ctx.Cancellation).ConfigureAwait(false);
            st = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        }
        return new SvcWaitResult(name, wanted, st.ActiveState, st.SubState, Math.Round(clock.Elapsed.TotalMilliseconds, 1));
    }
}
