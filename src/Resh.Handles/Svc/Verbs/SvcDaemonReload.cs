using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcDaemonReload
{
    public static readonly VerbInfo Verb = VerbInfo.Define("daemon-reload", Effect.Mutate,
        "Make systemd re-read every unit file (systemctl daemon-reload), so changed files take effect at the next start.",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcDaemonReloadResult, RunAsync,
        examples: [new("svc://.daemon-reload", "After editing a unit file by hand.")],
        notes: "A unit whose file changed on disk since systemd loaded it shows need_daemon_reload: true in its status, and verbs on it warn. " +
               "start and restart take daemon_reload=true to do this first. OpenRC has nothing to reload (`unsupported`).",
        targetHelp: "Empty: svc://.daemon-reload");

    static async ValueTask<Outcome<SvcDaemonReloadResult>> RunAsync(VerbContext ctx)
    {
        using var mgr = await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        if (mgr.Backend != "systemd") await mgr.DaemonReloadAsync(ctx.Cancellation).ConfigureAwait(false); // unsupported, with its hint
        if (ctx.DryRun) return Outcome.Changed(new SvcDaemonReloadResult(mgr.Backend, false));
        await mgr.DaemonReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new SvcDaemonReloadResult(mgr.Backend, true));
    }
}
