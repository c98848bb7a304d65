using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Proc;

/// <summary>Sending signals and waiting for exits, shared by signal, kill and wait.</summary>
internal static class ProcSignalling
{
    /// <summary>Sends <paramref name="sig"/>; returns null on success or the errno text.</summary>
    public static string? Send(ProcEntry e, int sig)
    {
        var rc = ProcNative.Kill(e.Pid, sig);
        return rc switch
        {
            0 => null,
            ProcNative.ESRCH => "no such process",
            ProcNative.EPERM => "permission denied",
            _ => Resh.Core.Platform.Posix.StrError(rc),
        };
    }

    /// <summary>Gone, a zombie, or a different process now wearing the PID.</summary>
    public static bool HasExited(ProcEntry original)
    {
        var now = ProcFs.ReadStat(original.Pid);
        return now is null || now.IsZombie || now.StartTicks != original.StartTicks;
    }

    /// <summary>Waits until every process has exited or the deadline passes; returns those still running.</summary>
    public static async Task<List<ProcEntry>> WaitAsync(IReadOnlyList<ProcEntry> entries, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var left = entries.Where(e => !HasExited(e)).ToList();
        while (left.Count > 0 && clock.Elapsed < timeout)
        {
            var remaining = timeout - clock.Elapsed;
            await Task.Delay(remaining < TimeSpan.FromMilliseconds(25) ? remaining : TimeSpan.FromMilliseconds(25), ct).ConfigureAwait(false);
            left.RemoveAll(HasExited);
        }
        return left;
    }

    /// <summary>When no process could be signalled, the error that says why (first failure decides the code).</summary>
    public static ReshError? AllFailed(IReadOnlyList<(ProcEntry Entry, string? Error)> outcomes, string signal)
    {
        if (outcomes.Count == 0 || outcomes.Any(o => o.Error is null)) return null;
        var details = new JsonObject
        {
            ["signal"] = signal,
            ["failures"] = new JsonArray(outcomes.Select(o => (JsonNode?)new JsonObject { ["pid"] = o.Entry.Pid, ["error"] = o.Error }).ToArray()),
        };
        var first = outcomes[0];
        return first.Error == "permission denied"
            ? ReshError.PermissionDenied($"Not allowed to signal PID {first.Entry.Pid}.", "Run as the process's user or as root.", details)
            : first.Error == "no such process"
                ? ReshError.NotFound($"PID {first.Entry.Pid} exited before it could be signalled.", null, details)
                : ReshError.Failed($"Could not signal PID {first.Entry.Pid}: {first.Error}.", null, details);
    }
}
