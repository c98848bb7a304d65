namespace Resh.Handles.Svc.Systemd;

/// <summary>Typed access to a unit's D-Bus properties, tolerant of missing or differently typed values.</summary>
internal sealed class UnitProperties(Dictionary<string, object?> values)
{
    public string? Str(string key) => values.GetValueOrDefault(key) as string;

    /// <summary>The decoded value as the D-Bus reader produced it (structs object?[], arrays List).</summary>
    public object? Raw(string key) => values.GetValueOrDefault(key);

    public ulong? U64(string key) => values.GetValueOrDefault(key) is ulong v ? v : null;

    public uint? U32(string key) => values.GetValueOrDefault(key) is uint v ? v : null;

    public int? I32(string key) => values.GetValueOrDefault(key) is int v ? v : null;

    public bool? Bool(string key) => values.GetValueOrDefault(key) is bool v ? v : null;

    public IReadOnlyList<string> Strings(string key) =>
        values.GetValueOrDefault(key) is List<object?> list ? list.OfType<string>().ToList() : [];

    /// <summary>A systemd timestamp (µs since the epoch) as RFC 3339 UTC; 0 means never.</summary>
    public string? Timestamp(string key) => U64(key) is { } us && us > 0 && us < ulong.MaxValue
        ? DateTimeOffset.FromUnixTimeMilliseconds((long)(us / 1000)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)
        : null;

    public ServiceStatus ToStatus(string name)
    {
        var load = Str("LoadState") ?? "not-found";
        int? exitCode = I32("ExecMainCode") is > 0 ? I32("ExecMainStatus") : null;
        var memory = U64("MemoryCurrent");
        var pid = U32("MainPID");
        var enabled = Str("UnitFileState");
        return new ServiceStatus(
            Str("Id") ?? name, "systemd", load != "not-found", Str("Description"), load,
            Str("ActiveState") ?? "inactive", Str("SubState") ?? "dead",
            string.IsNullOrEmpty(enabled) ? null : enabled,
            pid is > 0 ? (int)pid.Value : null,
            memory is { } m && m < ulong.MaxValue ? (long)m : null,
            Since(Str("ActiveState")), exitCode, Str("Result"),
            U32("NRestarts") is { } r ? (int)r : null,
            Str("FragmentPath") is { Length: > 0 } f ? f : null,
            Strings("DropInPaths"),
            Bool("NeedDaemonReload"));
    }

    /// <summary>
    /// The moment systemctl status prints after "since": when the unit entered its current active state.
    /// StateChangeTimestamp would move on every reload and sub-state change of a running unit.
    /// </summary>
    string? Since(string? active) => active switch
    {
        "active" or "reloading" => Timestamp("ActiveEnterTimestamp"),
        "activating" => Timestamp("InactiveExitTimestamp"),
        "deactivating" => Timestamp("ActiveExitTimestamp"),
        _ => Timestamp("InactiveEnterTimestamp"),
    } ?? Timestamp("StateChangeTimestamp");
}
