using System.Globalization;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>
/// Commit-confirmed changes. Before a change made with confirm=, resh records resh's rules and policies
/// as they were and starts a detached `resh firewall://.rollback(id=..., at=...)` that sleeps until the
/// deadline and then restores them, unless firewall://.confirm removed the record first. A second
/// confirmed change inside the window keeps the first snapshot (rollback returns to before both) and
/// restarts the timer.
/// </summary>
public static class PendingChanges
{
    public static PendingInfo Begin(FirewallBackend backend, FwState current, TimeSpan window)
    {
        if (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromHours(24))
            throw ReshError.Usage("confirm must be between 1s and 24h.", "Example: confirm=60s").ToException();
        using var _ = FirewallStateStore.Lock(backend.Name);
        var old = FirewallStateStore.LoadPending(backend.Name);
        if (old is not null) StopTimer(old);
        var snapshot = old?.Snapshot ?? new FirewallSnapshot(backend.Name, current.Managed, new Dictionary<string, string>(current.Policies));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var deadline = DateTimeOffset.UtcNow.Add(window).ToUnixTimeSeconds();
        var id = "c" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        var state = new PendingState(id, backend.Name, now, deadline, null, snapshot);
        FirewallStateStore.SavePending(state);
        var exe = Environment.ProcessPath ?? throw ReshError.Failed("Cannot find resh's own executable to start the rollback timer.", null).ToException();
        var pid = DetachedProcess.Start(exe, [exe, $"firewall://.rollback(id={id},at={deadline},backend={backend.Name})", "--format", "json"]);
        state = state with { TimerPid = pid };
        FirewallStateStore.SavePending(state);
        return Info(state);
    }

    public static PendingInfo Info(PendingState p)
    {
        var deadline = DateTimeOffset.FromUnixTimeSeconds(p.DeadlineUnix);
        return new PendingInfo(p.Id, deadline.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Math.Max(0, Math.Round((deadline - DateTimeOffset.UtcNow).TotalSeconds, 1)), p.TimerPid);
    }

    /// <summary>The change failed to apply: nothing to roll back to.</summary>
    public static void Abandon(string backend, string id)
    {
        using var _ = FirewallStateStore.Lock(backend);
        var p = FirewallStateStore.LoadPending(backend);
        if (p?.Id != id) return;
        StopTimer(p);
        FirewallStateStore.DeletePending(backend);
    }

    /// <summary>Kills the timer of a pending change, by PID, only if that PID is still resh's timer for this change.</summary>
    public static void StopTimer(PendingState p)
    {
        if (p.TimerPid is not { } pid) return;
        try
        {
            var cmd = File.ReadAllText($"/proc/{pid}/cmdline");
            if (!cmd.Contains("firewall://.rollback", StringComparison.Ordinal) || !cmd.Contains($"id={p.Id}", StringComparison.Ordinal)) return;
            using var proc = System.Diagnostics.Process.GetProcessById(pid);
            proc.Kill();
        }
        catch (IOException) { }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
        catch (UnauthorizedAccessException) { }
    }
}
