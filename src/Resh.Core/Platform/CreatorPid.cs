using System.Globalization;

namespace Resh.Core.Platform;

/// <summary>
/// Work files and directories that carry their creator's PID in the name (<c>resh-secret-PID-…</c>, <c>.install-PID-…</c>),
/// so a later resh can tell whether the creator still runs before it sweeps them away.
/// </summary>
public static class CreatorPid
{
    /// <summary>
    /// The PID before the first '-' of <paramref name="afterPrefix"/> (decimal digits only: no sign, space or exponent),
    /// and in <paramref name="rest"/> what follows that '-'; null (and rest empty) when there is none.
    /// </summary>
    public static int? Parse(string afterPrefix, out string rest)
    {
        rest = "";
        var dash = afterPrefix.IndexOf('-');
        if (dash <= 0 || !int.TryParse(afterPrefix.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            return null;
        rest = afterPrefix[(dash + 1)..];
        return pid;
    }

    /// <summary>Whether the process still runs: this process, or /proc/PID exists.</summary>
    public static bool Runs(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");
}
