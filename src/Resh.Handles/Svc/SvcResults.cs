using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Svc;

[Description("The state of one service.")]
public sealed record ServiceStatus(
    [property: Description("Unit name (nginx.service) or OpenRC service name.")] string Name,
    [property: Description("systemd or openrc.")] string Backend,
    [property: Description("False when no such unit or init script exists.")] bool Exists,
    string? Description,
    [property: Description("loaded, not-found, masked, error...")] string LoadState,
    [property: Description("active, inactive, failed, activating, deactivating, reloading.")] string ActiveState,
    [property: Description("Backend detail: running, exited, dead, failed... (OpenRC: started, stopped, crashed...).")] string SubState,
    [property: Description("Enablement: enabled, disabled, static, masked, generated, indirect (OpenRC: enabled/disabled in the default runlevel).")] string? Enabled,
    [property: Description("Main PID while running, else null.")] int? MainPid,
    [property: Description("Memory charged to the unit's cgroup, when accounted.")] long? MemoryBytes,
    [property: Description("Since when the unit is in its active state (as systemctl status shows it: entered active, or left it), RFC 3339 UTC.")] string? Since,
    [property: Description("Exit status of the main process's last run.")] int? LastExitCode,
    [property: Description("systemd's Result: success, exit-code, signal, timeout, core-dump...")] string? Result,
    int? Restarts,
    [property: Description("The unit file (or init script).")] string? Path,
    [property: Description("Drop-in files that override it.")] IReadOnlyList<string> DropIns,
    [property: Description("True when the unit file changed on disk since systemd loaded it (daemon-reload needed); null for OpenRC.")] bool? NeedDaemonReload = null);

[Description("What a state-changing verb did.")]
public sealed record SvcActionResult(
    string Name,
    string Backend,
    [property: Description("start, stop, restart, reload, try-restart, enable, disable, mask, unmask.")] string Action,
    [property: Description("The relevant state before: active state for start/stop/restart, enablement for enable/disable/mask.")] string? Before,
    [property: Description("The same state after (the expected one under --dry-run).")] string? After,
    ServiceStatus? Status);

public sealed record SvcIsActiveResult(string Name, string Backend, bool Exists, bool Active, [property: Description("The active state (active, inactive, failed...).")] string State);

public sealed record SvcIsEnabledResult(string Name, string Backend, bool Exists, bool Enabled, [property: Description("The enablement state (enabled, disabled, static, masked...).")] string State);

public sealed record SvcUnitRow(string Name, string? Description, string LoadState, string ActiveState, string SubState, string? Enabled);

public sealed record SvcListResult(string Backend, int Count, IReadOnlyList<SvcUnitRow> Units);

[Description("One journal entry.")]
public sealed record SvcLogLine(
    [property: Description("RFC 3339 UTC with microseconds.")] string Ts,
    [property: Description("Syslog priority 0 (emerg) to 7 (debug).")] int? Priority,
    string? Identifier,
    int? Pid,
    string Message);

public sealed record SvcLogsResult(string Name, int Count, [property: Description("The lines (empty when follow=true streamed them as events).")] IReadOnlyList<SvcLogLine> Lines, bool Followed);

public sealed record SvcWaitResult(string Name, [property: Description("The state waited for.")] string Wanted, string ActiveState, string SubState, double WaitedMs);

public sealed record SvcFileResult(
    string Name,
    [property: Description("The file written or removed.")] string Path,
    [property: Description("Unified diff of the change (null when nothing changed).")] string? Diff,
    [property: Description("True when the service manager re-read its configuration.")] bool Reloaded,
    [property: Description("The 0600 file holding the unit's secret environment (EnvironmentFile=), when it has one; its values never appear in the result or the diff.")] string? EnvironmentFile = null);

public sealed record SvcUnitFile(string Path, string Content);

public sealed record SvcCatResult(string Name, IReadOnlyList<SvcUnitFile> Files);

[Description("What daemon-reload did.")]
public sealed record SvcDaemonReloadResult(string Backend, [property: Description("True when the service manager re-read its unit files (false under --dry-run).")] bool Reloaded);

public sealed record SvcRemoveResult(string Name, bool Existed, [property: Description("Files deleted.")] IReadOnlyList<string> Removed, bool Stopped, bool Disabled);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServiceStatus))]
[JsonSerializable(typeof(SvcActionResult))]
[JsonSerializable(typeof(SvcIsActiveResult))]
[JsonSerializable(typeof(SvcIsEnabledResult))]
[JsonSerializable(typeof(SvcListResult))]
[JsonSerializable(typeof(SvcLogsResult))]
[JsonSerializable(typeof(SvcWaitResult))]
[JsonSerializable(typeof(SvcFileResult))]
[JsonSerializable(typeof(SvcCatResult))]
[JsonSerializable(typeof(SvcRemoveResult))]
[JsonSerializable(typeof(SvcDaemonReloadResult))]
internal sealed partial class SvcJson : JsonSerializerContext;
