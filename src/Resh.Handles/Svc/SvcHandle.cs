using Resh.Core.Model;

namespace Resh.Handles.Svc;

/// <summary>svc:// — system services under systemd (D-Bus + systemctl + journal) or OpenRC (rc-service, rc-update).</summary>
public static class SvcHandle
{
    public static HandleInfo Create() => new("svc",
        "Services: status, start/stop/restart/reload, enable/disable, mask, list, logs, wait, and unit files (create, edit.set, cat, remove).",
        "A service name: svc://nginx (systemd adds .service), a full unit name (svc://ssh.socket), or empty for list (svc://.list).",
        [
            SvcStatus.Verb,
            SvcStart.Verb,
            SvcStop.Verb,
            SvcRestart.Verb,
            SvcReload.Verb,
            SvcTryRestart.Verb,
            SvcEnable.Verb,
            SvcDisable.Verb,
            SvcMask.Verb,
            SvcUnmask.Verb,
            SvcIsActive.Verb,
            SvcIsEnabled.Verb,
            SvcList.Verb,
            SvcLogs.Verb,
            SvcWait.Verb,
            SvcCreate.Verb,
            SvcRemove.Verb,
            SvcCat.Verb,
            SvcEditSet.Verb,
            SvcDaemonReload.Verb,
        ])
    {
        CompleteTarget = CompleteTarget,
        Notes = "The backend is systemd when it is PID 1 (/run/systemd/system exists), else OpenRC when it has booted (/run/openrc/softlevel); backend= overrides. "
            + "With systemd, state is read over D-Bus from PID 1 (the private socket as root, else the system bus) and changes go through systemctl, so job errors read as they do for an operator. "
            + "Every change is idempotent and truthful: starting a running service is `changed: false`, a failed start is `failed` with the last journal lines in details, an unknown service is `not_found` with similar names.",
    };

    /// <summary>The shell's completion of svc://: the service manager's own list of known names, bounded to a second.</summary>
    static IReadOnlyList<string> CompleteTarget(string partial)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var names = Task.Run(async () =>
            {
                ServiceManager mgr = ServiceManagers.Detect() switch
                {
                    "systemd" => await Systemd.SystemdManager.ConnectAsync(cts.Token).ConfigureAwait(false),
                    "openrc" => new OpenRc.OpenRcManager(),
                    // No manager has booted (a container): the init scripts still name the services one could start.
                    _ when Directory.Exists("/etc/init.d") => new OpenRc.OpenRcManager(),
                    _ => throw new OperationCanceledException(),
                };
                using (mgr) return await mgr.KnownNamesAsync(cts.Token).ConfigureAwait(false);
            }).WaitAsync(cts.Token).GetAwaiter().GetResult();
            return names.Select(n => n.EndsWith(".service", StringComparison.Ordinal) ? n[..^8] : n)
                .Where(n => n.StartsWith(partial, StringComparison.Ordinal)).Distinct().Take(500).ToList();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException) { return []; } // completion never fails a keystroke
    }
}
