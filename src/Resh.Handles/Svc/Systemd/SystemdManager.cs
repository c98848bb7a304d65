using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Svc.Systemd;

/// <summary>
/// systemd: state is read over D-Bus (typed properties, one round trip per unit); changes go through
/// systemctl, which owns job tracking, dependency errors and polkit prompts exactly as an operator sees them.
/// </summary>
internal sealed class SystemdManager : ServiceManager
{
    static readonly string[] UnitSuffixes =
        [".service", ".socket", ".timer", ".target", ".mount", ".automount", ".path", ".slice", ".scope", ".device", ".swap"];

    public const string UnitDir = "/etc/systemd/system";

    readonly SystemdBus _bus;

    SystemdManager(SystemdBus bus) => _bus = bus;

    public static async Task<SystemdManager> ConnectAsync(CancellationToken ct) => new(await SystemdBus.ConnectAsync(ct).ConfigureAwait(false));

    public override string Backend => "systemd";

    public SystemdBus Bus => _bus;

    public override void Dispose() => _bus.Dispose();

    public override string Normalize(string target) => NormalizeName(target);

    /// <summary>A unit name: the target, with .service when it has no unit suffix.</summary>
    public static string NormalizeName(string target)
    {
        foreach (var s in UnitSuffixes) if (target.EndsWith(s, StringComparison.Ordinal) && target.Length > s.Length) return target;
        return target + ".service";
    }

    public UnitProperties Properties(string name) => new(_bus.GetAll(_bus.LoadUnit(name)));

    public override Task<ServiceStatus> StatusAsync(string name, CancellationToken ct) => Task.FromResult(Properties(name).ToStatus(name));

    public override async Task<ReshError?> ActAsync(string action, string name, CancellationToken ct)
    {
        var startedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var r = await Systemctl([action, name], ct).ConfigureAwait(false);
        if (r.Succeeded) return null;
        if (Refused(r) is { } refused) return refused;
        var st = await StatusAsync(name, ct).ConfigureAwait(false);
        var journal = await Journal.RecentMessagesAsync(name, startedUs - 1_000_000, 15, ct).ConfigureAwait(false);
        var details = new JsonObject
        {
            ["name"] = name,
            ["action"] = action,
            ["active_state"] = st.ActiveState,
            ["sub_state"] = st.SubState,
            ["result"] = st.Result,
            ["exit_code"] = st.LastExitCode,
            ["systemctl"] = r.LastErrorLine,
            ["journal"] = new JsonArray(journal.Select(j => (JsonNode?)j).ToArray()),
        };
        if (r.Stderr.Contains("not applicable", StringComparison.Ordinal))
            return ReshError.Unsupported($"{name} does not support {action}.", action == "reload" ? $"It has no ExecReload=; restart it instead: resh svc://{name}.restart" : null, details);
        var why = st.Result is { } res && res != "success" ? $" (result {res}{(st.LastExitCode is { } c ? $", exit status {c}" : "")})" : "";
        return ReshError.Failed($"Could not {action} {name}{why}.", $"See the logs: resh svc://{name}.logs", details);
    }

    public override async Task<ReshError?> SetUnitFileStateAsync(string action, string name, CancellationToken ct)
    {
        var r = await Systemctl([action, name], ct).ConfigureAwait(false);
        if (r.Succeeded) return null;
        if (Refused(r) is { } refused) return refused;
        if (action == "mask" && r.Stderr.Contains("already exists", StringComparison.Ordinal))
            return ReshError.Conflict($"{name} is defined in {UnitDir}, where a mask would have to replace it.", $"Remove it instead (resh svc://{name}.remove), or disable it.",
                new JsonObject { ["name"] = name, ["stderr"] = r.Stderr.Trim() });
        return ReshError.Failed($"systemctl {action} {name} failed: {r.LastErrorLine}", null,
            new JsonObject { ["name"] = name, ["action"] = action, ["exit_code"] = r.ExitCode, ["stderr"] = r.Stderr.Trim() });
    }

    /// <summary>systemctl refused by polkit ("Interactive authentication required", "Access denied"): permission_denied with its words.</summary>
    static ReshError? Refused(ProcessResult r)
    {
        var err = r.Stderr;
        if (!err.Contains("Interactive authentication required", StringComparison.Ordinal) && !err.Contains("Access denied", StringComparison.Ordinal)
            && !err.Contains("Permission denied", StringComparison.Ordinal))
            return null;
        return ReshError.PermissionDenied($"systemd refused: {r.LastErrorLine}", "Run as root (sudo, or --become), or grant the polkit action to this user.",
            new JsonObject { ["exit_code"] = r.ExitCode, ["systemctl"] = err.Trim() });
    }

    public override async Task DaemonReloadAsync(CancellationToken ct) => await ProcessRunner.RunCheckedAsync(SystemctlArgv(["daemon-reload"]), null, ct).ConfigureAwait(false);

    /// <summary>
    /// systemctl start returns when the start job is done, which for Type=simple (and idle) is the fork:
    /// a unit whose User= does not exist fails a moment later (217/USER). Such a unit is watched for the
    /// window; failed, or dead and waiting for an automatic restart, is a failed start with its journal lines.
    /// Other types report their failures through the job itself.
    /// </summary>
    public override async Task<ReshError?> SettleAsync(string name, string action, long startedUs, TimeSpan window, CancellationToken ct)
    {
        var type = Properties(name).Str("Type");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var st = await StatusAsync(name, ct).ConfigureAwait(false);
            if (st.ActiveState == "failed" || st.SubState == "auto-restart")
                return await FailedStartAsync(name, action, st, startedUs, ct).ConfigureAwait(false);
            if (type is not ("simple" or "idle") || clock.Elapsed >= window || st.ActiveState == "inactive") return null;
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    async Task<ReshError> FailedStartAsync(string name, string action, ServiceStatus st, long startedUs, CancellationToken ct)
    {
        // systemd's own lines about the failure reach the journal a moment after the state changes.
        var journal = new List<string>();
        for (int i = 0; i < 10 && journal.Count == 0; i++)
        {
            journal = await Journal.RecentMessagesAsync(name, startedUs - 1_000_000, 15, ct).ConfigureAwait(false);
            if (journal.Count == 0) await Task.Delay(50, ct).ConfigureAwait(false);
        }
        var why = st.Result is { } res && res != "success" ? $" (result {res}{(st.LastExitCode is { } c ? $", exit status {c}" : "")})" : "";
        return ReshError.Failed($"{name} failed right after it was {(action == "restart" ? "restarted" : "started")}{why}.", $"See the logs: resh svc://{name}.logs",
            new JsonObject
            {
                ["name"] = name, ["action"] = action, ["active_state"] = st.ActiveState, ["sub_state"] = st.SubState, ["result"] = st.Result,
                ["exit_code"] = st.LastExitCode, ["journal"] = new JsonArray(journal.Select(j => (JsonNode?)j).ToArray()),
            });
    }

    public Task<ProcessResult> Systemctl(IReadOnlyList<string> args, CancellationToken ct) => ProcessRunner.RunAsync(SystemctlArgv(args), null, ct);

    static List<string> SystemctlArgv(IReadOnlyList<string> args) => ["systemctl", "--no-ask-password", .. args];

    public override async Task<List<SvcUnitRow>> ListAsync(IReadOnlyList<string> states, IReadOnlyList<string> patterns, bool all, CancellationToken ct)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        var units = _bus.ListUnitsByPatterns(states, patterns);
        var files = _bus.ListUnitFiles(patterns);
        var enabled = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, state) in files) enabled.TryAdd(Path.GetFileName(path), state);
        var rows = units.Select(u => new SvcUnitRow(u.Name, u.Description, u.LoadState, u.ActiveState, u.SubState, enabled.GetValueOrDefault(u.Name))).ToList();
        if (all && states.Count == 0)
        {
            // Unit files that are not loaded: inactive, described by their file alone.
            var loaded = rows.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, state) in enabled)
                if (!loaded.Contains(name) && !name.EndsWith("@.service", StringComparison.Ordinal))
                    rows.Add(new SvcUnitRow(name, null, "not-loaded", "inactive", "dead", state));
        }
        return rows.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    public override Task<IReadOnlyList<string>> KnownNamesAsync(CancellationToken ct)
    {
        var files = _bus.ListUnitFiles([]);
        var units = _bus.ListUnitsByPatterns([], []);
        IReadOnlyList<string> names = files.Select(f => Path.GetFileName(f.Path)).Concat(units.Select(u => u.Name)).Distinct(StringComparer.Ordinal).ToList();
        return Task.FromResult(names);
    }
}
