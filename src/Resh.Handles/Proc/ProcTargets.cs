using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Proc;

/// <summary>What a proc:// target names: one PID, `self`, every process with a name, or (empty) all processes.</summary>
internal sealed record ProcTarget(string Text, int? Pid, string? Name)
{
    public bool All => Pid is null && Name is null;

    public static ProcTarget Parse(VerbContext ctx)
    {
        var t = ctx.Target.Trim().TrimEnd('/');
        if (t.Length == 0) return new ProcTarget(t, null, null);
        if (t == "self") return new ProcTarget(t, Environment.ProcessId, null);
        if (t.All(char.IsAsciiDigit))
        {
            if (!int.TryParse(t, out var pid) || pid <= 0)
                throw ReshError.Usage($"`{t}` is not a valid PID.", "PIDs are positive integers: proc://1234.info").ToException();
            return new ProcTarget(t, pid, null);
        }
        if (t.Contains('/') || t.Contains('\0'))
            throw ReshError.Usage($"`{t}` is neither a PID nor a process name.", "Use proc://1234, proc://nginx or proc:// for all processes.").ToException();
        return new ProcTarget(t, null, t);
    }

    /// <summary>The processes the target names (zombies excluded unless a PID names one). Reads status/cmdline as asked.</summary>
    public List<ProcEntry> Resolve(bool withStatus, bool withCmdline)
    {
        if (Pid is { } pid)
        {
            var e = ProcFs.ReadStat(pid, withStatus, withCmdline);
            return e is null ? [] : [e];
        }
        var list = new List<ProcEntry>();
        foreach (var p in ProcFs.Pids())
        {
            // Name matching needs argv[0], so read cmdline for it even when the caller did not ask.
            var e = ProcFs.ReadStat(p, withStatus, withCmdline || Name is not null);
            if (e is null) continue;
            if (Name is not null && !Matches(e, Name)) continue;
            list.Add(e);
        }
        return list;
    }

    static bool Matches(ProcEntry e, string name) =>
        !e.IsZombie && (string.Equals(e.Comm, name, StringComparison.Ordinal) || string.Equals(e.Argv0Base, name, StringComparison.Ordinal));

    /// <summary>Like <see cref="Resolve"/> but the target must name at least one live process.</summary>
    public List<ProcEntry> ResolveExisting(bool withStatus, bool withCmdline)
    {
        var list = Resolve(withStatus, withCmdline);
        if (Pid is { } pid && (list.Count == 0 || list[0].IsZombie))
            throw ReshError.NotFound($"No process with PID {pid}.", "List processes with: resh proc://.list",
                new JsonObject { ["pid"] = pid }).ToException();
        if (Name is not null && list.Count == 0)
            throw ReshError.NotFound($"No process named `{Name}`.", "Names match the command name or argv[0]; list them with: resh proc://.list",
                new JsonObject { ["name"] = Name }).ToException();
        if (All)
            throw ReshError.Usage("This verb needs a target: a PID or a process name.", "Example: resh proc://1234.info or resh proc://nginx.info").ToException();
        return list;
    }

    /// <summary>Signalling PID 1 or resh itself is refused unless force=true (SPEC §8).</summary>
    public static void GuardDangerous(IEnumerable<ProcEntry> entries, bool force, string what)
    {
        if (force) return;
        foreach (var e in entries)
        {
            if (e.Pid == 1)
                throw ReshError.Usage($"Refusing to {what} PID 1 (init) without force=true.", "Add force=true if you really mean it.",
                    new JsonObject { ["pid"] = 1 }).ToException();
            if (e.Pid == Environment.ProcessId)
                throw ReshError.Usage($"Refusing to {what} resh itself (PID {e.Pid}) without force=true.", "Add force=true if you really mean it.",
                    new JsonObject { ["pid"] = e.Pid }).ToException();
        }
    }
}
