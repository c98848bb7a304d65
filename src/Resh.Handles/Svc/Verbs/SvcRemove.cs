using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Svc.Systemd;

namespace Resh.Handles.Svc;

public static class SvcRemove
{
    static readonly Arg<bool> Force = Arg.Bool("force", "Also remove a unit file in /etc/systemd/system that resh did not create.");

    public static readonly VerbInfo Verb = VerbInfo.Define("remove", Effect.Destroy,
        "Remove a unit from /etc/systemd/system: stop it, disable it, delete its file and drop-ins, daemon-reload.",
        [Force, ServiceManagers.BackendArg], () => SvcJson.Default.SvcRemoveResult, RunAsync,
        examples: [new("svc://web.remove", "Undo svc://web.create."), new("'svc://legacy.remove(force=true)'", "A hand-written unit.")],
        notes: "A unit that does not exist is `changed: false`. As create refuses to overwrite a unit file it did not write, remove refuses to delete one " +
               "(`conflict`) unless force=true. Vendor units (under /usr/lib) are refused with `conflict`: mask them instead.");

    static async ValueTask<Outcome<SvcRemoveResult>> RunAsync(VerbContext ctx)
    {
        using var mgr = await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        if (mgr is not SystemdManager sd)
            return ReshError.Unsupported("remove deletes systemd unit files; on OpenRC remove the init script with file://.", null);
        var name = ServiceManagers.TargetName(ctx, mgr);
        var st = await sd.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        var file = Path.Combine(SystemdManager.UnitDir, name);
        var dropDir = file + ".d";
        var fileExists = System.IO.File.Exists(file) || new FileInfo(file).LinkTarget is not null;
        if (st.Path is { } p && !p.StartsWith(SystemdManager.UnitDir + "/", StringComparison.Ordinal) && st.LoadState != "masked")
            return ReshError.Conflict($"{name} is defined by {p}, which is not in {SystemdManager.UnitDir}.", $"Vendor units are not removed; mask it instead: resh svc://{name}.mask");
        if (!fileExists && !Directory.Exists(dropDir))
            return new SvcRemoveResult(name, false, [], false, false);
        if (System.IO.File.Exists(file) && new FileInfo(file).LinkTarget is null && !ctx.Get(Force) && !(await System.IO.File.ReadAllTextAsync(file, ctx.Cancellation).ConfigureAwait(false)).StartsWith(UnitFileText.Marker, StringComparison.Ordinal))
            return ReshError.Conflict($"{file} was not created by resh; it is not removed without force.", $"Pass force=true to remove it: resh 'svc://{name}.remove(force=true)'",
                new System.Text.Json.Nodes.JsonObject { ["path"] = file });
        var removed = new List<string>();
        if (fileExists) removed.Add(file);
        if (System.IO.File.Exists(Path.Combine(SecretEnvFile.SystemdDir, name + ".env"))) removed.Add(Path.Combine(SecretEnvFile.SystemdDir, name + ".env"));
        if (Directory.Exists(dropDir)) removed.Add(dropDir);
        var running = st.ActiveState is not ("inactive" or "failed");
        var enabled = st.Enabled is "enabled" or "enabled-runtime" or "linked" or "alias";
        if (ctx.DryRun) return Outcome.Changed(new SvcRemoveResult(name, true, removed, running, enabled));
        if (running && await sd.ActAsync("stop", name, ctx.Cancellation).ConfigureAwait(false) is { } stopError) return stopError;
        if (enabled && await sd.SetUnitFileStateAsync("disable", name, ctx.Cancellation).ConfigureAwait(false) is { } disError) return disError;
        if (fileExists) System.IO.File.Delete(file);
        if (Directory.Exists(dropDir)) Directory.Delete(dropDir, recursive: true);
        var envFile = Path.Combine(SecretEnvFile.SystemdDir, name + ".env");
        if (System.IO.File.Exists(envFile)) System.IO.File.Delete(envFile);
        await sd.DaemonReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        await sd.Systemctl(["reset-failed", name], ctx.Cancellation).ConfigureAwait(false); // nothing to reset is fine
        return Outcome.Changed(new SvcRemoveResult(name, true, removed, running, enabled));
    }
}
