using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcNiceGet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("nice.get", Effect.Read,
        "The nice value (scheduling priority, -20 highest to 19 lowest) of the target's processes.",
        [], () => ProcJson.Default.ProcNiceResult, Run,
        examples: [new("proc://1234.nice.get", "PID 1234's nice value.")]);

    static Outcome<ProcNiceResult> Run(VerbContext ctx)
    {
        var entries = ProcTarget.Parse(ctx).ResolveExisting(false, false);
        return new ProcNiceResult(entries.Select(e => new ProcNiceEntry(e.Pid, e.Comm, null, e.Nice)).ToList());
    }
}

public static class ProcNiceSet
{
    static readonly Arg<long?> Value = Arg.Int("value", "The new nice value, -20 (highest priority) to 19 (lowest).", required: true, min: -20, max: 19, aliases: ["nice"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("nice.set", Effect.Mutate,
        "Set the nice value of the target's processes (every thread of each).",
        [Value], () => ProcJson.Default.ProcNiceResult, Run,
        examples: [new("'proc://1234.nice.set(value=10)'", "Lower PID 1234's priority."), new("'proc://backup.nice.set(value=19)'", "Every backup process at lowest priority.")],
        notes: "Linux keeps a nice value per thread; resh sets it on every thread (renice(1) changes only the main one). Lowering it (raising priority) needs root.");

    static Outcome<ProcNiceResult> Run(VerbContext ctx)
    {
        var value = (int)ctx.Get(Value)!.Value;
        var entries = ProcTarget.Parse(ctx).ResolveExisting(false, false);
        var results = new List<ProcNiceEntry>();
        bool changed = false;
        foreach (var e in entries)
        {
            var tids = Tids(e.Pid);
            var differing = tids.Where(t => (ProcFs.ReadStat(t)?.Nice ?? value) != value).ToList();
            if (e.Nice != value && !differing.Contains(e.Pid)) differing.Add(e.Pid);
            if (differing.Count > 0)
            {
                changed = true;
                if (!ctx.DryRun)
                {
                    foreach (var tid in differing)
                    {
                        var rc = ProcNative.SetPriority(tid, value);
                        if (rc == ProcNative.EPERM || rc == ProcNative.EACCES)
                            return ReshError.PermissionDenied($"Not allowed to set nice {value} on PID {e.Pid}.",
                                "Raising priority (a lower nice value) and changing other users' processes need root.",
                                new JsonObject { ["pid"] = e.Pid, ["tid"] = tid, ["nice"] = value });
                        if (rc != 0 && rc != ProcNative.ESRCH)
                            return ReshError.Failed($"setpriority failed for PID {e.Pid}: {Resh.Core.Platform.Posix.StrError(rc)}.", null);
                    }
                }
            }
            results.Add(new ProcNiceEntry(e.Pid, e.Comm, e.Nice, ctx.DryRun ? value : ProcFs.ReadStat(e.Pid)?.Nice ?? value));
        }
        return Outcome.Changed(new ProcNiceResult(results), changed);
    }

    static List<int> Tids(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Select(d => int.TryParse(Path.GetFileName(d), out var t) ? t : -1).Where(t => t > 0).ToList();
        }
        catch (IOException) { return [pid]; }
        catch (UnauthorizedAccessException) { return [pid]; }
    }
}
