using Resh.Core.Model;

namespace Resh.Handles.Proc;

/// <summary>proc:// — processes, read from /proc and acted on with system calls (no ps scraping).</summary>
public static class ProcHandle
{
    public static HandleInfo Create() => new("proc",
        "Processes: list, inspect, tree, signal, kill, wait, priorities, resource limits, ports, open files, spawn, top.",
        "A PID (proc://1234), `self` (resh itself), a process name matching the command name or argv[0] (proc://nginx, every match), or empty for all processes (proc://.list).",
        [
            ProcList.Verb,
            ProcInfo.Verb,
            ProcTree.Verb,
            ProcChildren.Verb,
            ProcSignal.Verb,
            ProcKill.Verb,
            ProcWait.Verb,
            ProcNiceGet.Verb,
            ProcNiceSet.Verb,
            ProcLimitsGet.Verb,
            ProcLimitsSet.Verb,
            ProcPorts.Verb,
            ProcFiles.Verb,
            ProcSpawn.Verb,
            ProcTop.Verb,
        ])
    {
        CompleteTarget = CompleteTarget,
        Notes = "Everything is read from /proc and done with system calls (kill, setpriority, prlimit, posix_spawn). Signals use Linux numbering. Signalling PID 1 or resh's own process needs force=true.",
    };

    /// <summary>The shell's completion of proc://: PIDs and process names, read from /proc (bounded).</summary>
    static IReadOnlyList<string> CompleteTarget(string partial)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var pid in ProcFs.Pids())
            {
                var text = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (text.StartsWith(partial, StringComparison.Ordinal)) result.Add(text);
                if (ProcFs.ReadStat(pid)?.Comm is { Length: > 0 } name && name.StartsWith(partial, StringComparison.Ordinal)
                    && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '@' or ':')) result.Add(name);
                if (result.Count >= 500) break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return [.. result];
    }
}
