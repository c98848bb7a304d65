using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Svc;

/// <summary>The shape shared by the state-changing verbs: look, decide, act (unless --dry-run), look again.</summary>
internal static class SvcFlow
{
    /// <summary>The backend, the normalized name and its status; not_found (with similar names) when it does not exist.</summary>
    public static async Task<(ServiceManager Manager, string Name, ServiceStatus Status)> OpenExistingAsync(VerbContext ctx)
    {
        var mgr = await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        try
        {
            var name = ServiceManagers.TargetName(ctx, mgr);
            var st = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
            if (!st.Exists) throw (await mgr.NotFoundAsync(name, ctx.Cancellation).ConfigureAwait(false)).ToException();
            if (st.NeedDaemonReload == true && !(ctx.Verb.FindArg(ServiceManagers.DaemonReloadArg.Name) is { } a && ctx.IsSet(a) && ctx.Get(ServiceManagers.DaemonReloadArg)))
                ctx.Warn($"{name} changed on disk since systemd loaded it; systemd still uses the old definition. Run resh svc://.daemon-reload (or pass daemon_reload=true).");
            return (mgr, name, st);
        }
        catch
        {
            mgr.Dispose();
            throw;
        }
    }

    static bool IsUp(ServiceStatus s) => s.ActiveState is "active" or "reloading";

    /// <summary>start, stop, restart, reload, try-restart.</summary>
    public static async ValueTask<Outcome<SvcActionResult>> ActAsync(VerbContext ctx, string action)
    {
        var (mgr, name, before) = await OpenExistingAsync(ctx).ConfigureAwait(false);
        using var _ = mgr;
        var reloadFirst = ctx.Verb.FindArg(ServiceManagers.DaemonReloadArg.Name) is not null && ctx.Get(ServiceManagers.DaemonReloadArg) && before.NeedDaemonReload == true;
        if (reloadFirst && !ctx.DryRun)
        {
            await mgr.DaemonReloadAsync(ctx.Cancellation).ConfigureAwait(false);
            before = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        }
        var needed = action switch
        {
            "start" => !IsUp(before),
            "stop" => before.ActiveState is not ("inactive" or "failed"),
            "try-restart" => IsUp(before),
            _ => true,
        };
        if (before.LoadState == "masked" && action is "start" or "restart" or "reload")
            return ReshError.Conflict($"{name} is masked; it cannot be started.", $"Unmask it first: resh svc://{name}.unmask");
        var expected = action switch { "stop" => "inactive", "try-restart" when !needed => before.ActiveState, _ => "active" };
        if (!needed || ctx.DryRun)
        {
            if (needed) WarnUnprivileged(ctx, mgr, action, name);
            return Outcome.Changed(new SvcActionResult(name, mgr.Backend, action, before.ActiveState, needed ? expected : before.ActiveState, before), needed || reloadFirst);
        }
        var startedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        if (await mgr.ActAsync(action, name, ctx.Cancellation).ConfigureAwait(false) is { } error) return error;
        if (action is "start" or "restart" or "try-restart")
        {
            var window = ctx.Verb.FindArg(ServiceManagers.SettleArg.Name) is not null ? ctx.Get(ServiceManagers.SettleArg) ?? TimeSpan.Zero : TimeSpan.FromMilliseconds(500);
            if (await mgr.SettleAsync(name, action, startedUs, window, ctx.Cancellation).ConfigureAwait(false) is { } failed) return failed;
        }
        var after = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new SvcActionResult(name, mgr.Backend, action, before.ActiveState, after.ActiveState, after));
    }

    /// <summary>A dry run cannot ask polkit without acting: as a non-root user it says the real call is likely refused.</summary>
    public static void WarnUnprivileged(VerbContext ctx, ServiceManager mgr, string action, string name)
    {
        if (ctx.DryRun && mgr.Backend == "systemd" && Resh.Core.Platform.LibC.GetEUid() != 0)
            ctx.Warn($"Not running as root: the real {action} of {name} needs root or a polkit grant and is likely to be refused (permission_denied).");
    }

    static bool IsEnabled(string? state) => state is "enabled" or "enabled-runtime" or "alias" or "linked" or "linked-runtime";

    /// <summary>enable, disable, mask, unmask (with now=true also starting or stopping).</summary>
    public static async ValueTask<Outcome<SvcActionResult>> SetStateAsync(VerbContext ctx, string action, bool now)
    {
        var (mgr, name, before) = await OpenExistingAsync(ctx).ConfigureAwait(false);
        using var _ = mgr;
        var state = before.Enabled ?? "";
        var masked = state.StartsWith("masked", StringComparison.Ordinal) || before.LoadState == "masked";
        if (action == "enable" && masked)
            return ReshError.Conflict($"{name} is masked; it cannot be enabled.", $"Unmask it first: resh svc://{name}.unmask");
        bool fileChange = action switch
        {
            "enable" => !IsEnabled(state) && state is not ("static" or "indirect" or "generated" or "transient"),
            "disable" => IsEnabled(state),
            "mask" => !masked,
            _ => masked,
        };
        if (action == "enable" && state is "static" or "indirect" or "generated" or "transient")
            ctx.Warn($"{name} is {state}: it has no [Install] section to enable.");
        bool run = now && (action == "enable" ? !IsUp(before) : action == "disable" && before.ActiveState is not ("inactive" or "failed"));
        var expected = action switch { "enable" => "enabled", "disable" => "disabled", "mask" => "masked", _ => "disabled" };
        if (!fileChange && !run || ctx.DryRun)
            return Outcome.Changed(new SvcActionResult(name, mgr.Backend, action, before.Enabled, fileChange ? expected : before.Enabled, before), fileChange || run);
        if (fileChange && await mgr.SetUnitFileStateAsync(action, name, ctx.Cancellation).ConfigureAwait(false) is { } error) return error;
        if (run && await mgr.ActAsync(action == "enable" ? "start" : "stop", name, ctx.Cancellation).ConfigureAwait(false) is { } runError) return runError;
        var after = await mgr.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new SvcActionResult(name, mgr.Backend, action, before.Enabled, after.Enabled, after));
    }
}
