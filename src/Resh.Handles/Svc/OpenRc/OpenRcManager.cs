using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Svc.OpenRc;

/// <summary>
/// OpenRC: state is read from its own bookkeeping (/run/openrc/{started,starting,stopping,inactive,failed},
/// the pidfile it records under options/, runlevel symlinks), which is what rc-status reads too; changes go
/// through rc-service and rc-update.
/// </summary>
internal sealed class OpenRcManager : ServiceManager
{
    const string InitDir = "/etc/init.d";
    const string RunlevelDir = "/etc/runlevels";
    const string StateDir = "/run/openrc";

    public override string Backend => "openrc";

    public override string Normalize(string target) => target.EndsWith(".service", StringComparison.Ordinal) ? target[..^8] : target;

    static bool InState(string state, string name) => System.IO.File.Exists(Path.Combine(StateDir, state, name)) || Directory.Exists(Path.Combine(StateDir, state, name))
        || new FileInfo(Path.Combine(StateDir, state, name)).LinkTarget is not null;

    public override Task<ServiceStatus> StatusAsync(string name, CancellationToken ct)
    {
        var script = Path.Combine(InitDir, name);
        var exists = System.IO.File.Exists(script);
        int? pid = MainPid(name);
        string active, sub;
        if (InState("starting", name)) (active, sub) = ("activating", "starting");
        else if (InState("stopping", name)) (active, sub) = ("deactivating", "stopping");
        else if (InState("failed", name)) (active, sub) = ("failed", "failed");
        else if (InState("started", name))
        {
            // A recorded daemon that is gone is what rc-service status calls "crashed".
            (active, sub) = pid is null && PidFile(name) is not null ? ("failed", "crashed") : ("active", "started");
        }
        else if (InState("inactive", name)) (active, sub) = ("inactive", "inactive");
        else (active, sub) = ("inactive", "stopped");
        var runlevels = Runlevels(name);
        string? description = null;
        if (exists)
        {
            foreach (var line in SafeLines(script))
                if (line.StartsWith("description=", StringComparison.Ordinal)) { description = line[12..].Trim().Trim('"', '\''); break; }
        }
        var status = new ServiceStatus(name, Backend, exists, description, exists ? "loaded" : "not-found", active, sub,
            exists ? (runlevels.Count > 0 ? "enabled" : "disabled") : null, pid, null, StateTime(name), null, null, null,
            exists ? script : null, System.IO.File.Exists($"/etc/conf.d/{name}") ? [$"/etc/conf.d/{name}"] : []);
        return Task.FromResult(status);
    }

    static string? PidFile(string name)
    {
        var opt = Path.Combine(StateDir, "options", name, "pidfile");
        try { return System.IO.File.Exists(opt) ? System.IO.File.ReadAllText(opt).Trim() : null; }
        catch (IOException) { return null; }
    }

    static int? MainPid(string name)
    {
        if (PidFile(name) is not { Length: > 0 } pf) return null;
        try
        {
            if (!int.TryParse(System.IO.File.ReadAllText(pf).Trim(), out var pid) || pid <= 0) return null;
            var stat = System.IO.File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is 'Z' or 'X' ? null : pid;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    static string? StateTime(string name)
    {
        foreach (var s in new[] { "started", "starting", "stopping", "failed", "inactive" })
        {
            var p = Path.Combine(StateDir, s, name);
            var fi = new FileInfo(p);
            if (fi.Exists || fi.LinkTarget is not null)
                return System.IO.File.GetLastWriteTimeUtc(p) is var t && t.Year > 1971 ? t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        return null;
    }

    public static List<string> Runlevels(string name)
    {
        var list = new List<string>();
        if (!Directory.Exists(RunlevelDir)) return list;
        foreach (var level in Directory.EnumerateDirectories(RunlevelDir))
        {
            var link = Path.Combine(level, name);
            if (System.IO.File.Exists(link) || new FileInfo(link).LinkTarget is not null) list.Add(Path.GetFileName(level));
        }
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    public override async Task<ReshError?> ActAsync(string action, string name, CancellationToken ct)
    {
        var verb = action == "try-restart" ? "restart" : action;
        var r = await ProcessRunner.RunAsync(["rc-service", name, verb], null, ct).ConfigureAwait(false);
        if (r.Succeeded) return null;
        var output = (r.Stdout + "\n" + r.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var details = new JsonObject
        {
            ["name"] = name, ["action"] = action, ["exit_code"] = r.ExitCode,
            ["output"] = new JsonArray(output.TakeLast(15).Select(l => (JsonNode?)l).ToArray()),
        };
        if (action == "reload" && output.Any(l => l.Contains("unknown function", StringComparison.OrdinalIgnoreCase) || l.Contains("usage", StringComparison.OrdinalIgnoreCase)))
            return ReshError.Unsupported($"{name} has no reload action.", "Restart it instead: resh svc://" + name + ".restart", details);
        return ReshError.Failed($"Could not {action} {name}: {r.LastErrorLine}", "Check the init script and its log.", details);
    }

    public override async Task<ReshError?> SetUnitFileStateAsync(string action, string name, CancellationToken ct)
    {
        if (action is "mask" or "unmask")
            return ReshError.Unsupported("OpenRC has no masking.", "Disable the service instead: resh svc://" + name + ".disable");
        var argv = action == "enable" ? new[] { "rc-update", "add", name, "default" } : ["rc-update", "del", name, "default"];
        var r = await ProcessRunner.RunAsync(argv, null, ct).ConfigureAwait(false);
        return r.Succeeded ? null : ReshError.Failed($"rc-update failed: {r.LastErrorLine}", null, new JsonObject { ["exit_code"] = r.ExitCode });
    }

    public override async Task<List<SvcUnitRow>> ListAsync(IReadOnlyList<string> states, IReadOnlyList<string> patterns, bool all, CancellationToken ct)
    {
        var rows = new List<SvcUnitRow>();
        foreach (var name in await KnownNamesAsync(ct).ConfigureAwait(false))
        {
            if (patterns.Count > 0 && !patterns.Any(p => Glob.Matches(p, name))) continue;
            var st = await StatusAsync(name, ct).ConfigureAwait(false);
            if (states.Count > 0 && !states.Contains(st.ActiveState) && !states.Contains(st.SubState)) continue;
            rows.Add(new SvcUnitRow(name, st.Description, st.LoadState, st.ActiveState, st.SubState, st.Enabled));
        }
        return rows;
    }

    public override Task<IReadOnlyList<string>> KnownNamesAsync(CancellationToken ct)
    {
        IReadOnlyList<string> names = !Directory.Exists(InitDir) ? [] : Directory.EnumerateFiles(InitDir)
            .Where(f => (System.IO.File.GetUnixFileMode(f) & UnixFileMode.UserExecute) != 0)
            .Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).OrderBy(n => n, StringComparer.Ordinal).ToList();
        return Task.FromResult(names);
    }

    static IEnumerable<string> SafeLines(string path)
    {
        try { return System.IO.File.ReadLines(path).Take(200).ToList(); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }
}
