using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcLimitsGet
{
    static readonly Arg<string?> Resource = Arg.Enum("resource", "Only this limit (default: all).", ResourceLimits.Names);

    public static readonly VerbInfo Verb = VerbInfo.Define("limits.get", Effect.Read,
        "Resource limits (soft and hard) of the target's processes, read with prlimit(2).",
        [Resource], () => ProcJson.Default.ProcLimitsResult, Run,
        examples: [new("proc://1234.limits.get", "Every limit of PID 1234."), new("'proc://1234.limits.get(resource=nofile)'", "Its open-files limit.")]);

    static Outcome<ProcLimitsResult> Run(VerbContext ctx)
    {
        var only = ctx.Get(Resource);
        var entries = ProcTarget.Parse(ctx).ResolveExisting(false, false);
        var list = new List<ProcLimitsEntry>();
        foreach (var e in entries)
        {
            var limits = new List<ProcLimit>();
            foreach (var (name, number, unit) in ResourceLimits.All)
            {
                if (only is not null && only != name) continue;
                var rc = ProcNative.GetLimit(e.Pid, number, out var v);
                if (rc != 0) return LimitError(rc, e, name);
                limits.Add(new ProcLimit(name, ResourceLimits.ToJson(v.Cur), ResourceLimits.ToJson(v.Max), unit));
            }
            list.Add(new ProcLimitsEntry(e.Pid, e.Comm, limits));
        }
        return new ProcLimitsResult(list);
    }

    internal static ReshError LimitError(int errno, ProcEntry e, string resource)
    {
        var details = new JsonObject { ["pid"] = e.Pid, ["resource"] = resource, ["errno"] = errno };
        return errno switch
        {
            ProcNative.EPERM or ProcNative.EACCES => ReshError.PermissionDenied(
                $"Not allowed to change the {resource} limit of PID {e.Pid}.",
                "Raising a hard limit needs CAP_SYS_RESOURCE, and other users' processes need root.", details),
            ProcNative.ESRCH => ReshError.NotFound($"PID {e.Pid} exited.", null, details),
            ProcNative.EINVAL => ReshError.Usage($"Invalid {resource} limit for PID {e.Pid} (soft above hard, or above the system maximum).",
                "Keep soft <= hard; nofile cannot exceed fs.nr_open.", details),
            _ => ReshError.Failed($"prlimit failed for PID {e.Pid}: {Resh.Core.Platform.Posix.StrError(errno)}.", null, details),
        };
    }
}

public static class ProcLimitsSet
{
    static readonly Arg<string?> Resource = Arg.Enum("resource", "Which limit.", ResourceLimits.Names, required: true);
    static readonly Arg<string?> Soft = Arg.String("soft", "New soft limit: a number, a size for byte limits (64MiB), or unlimited.", examples: ["4096", "unlimited"]);
    static readonly Arg<string?> Hard = Arg.String("hard", "New hard limit (same forms). Raising it needs CAP_SYS_RESOURCE.", examples: ["8192", "unlimited"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("limits.set", Effect.Mutate,
        "Change a resource limit of the target's processes (prlimit(2) on the target PID, soft and/or hard).",
        [Resource, Soft, Hard], () => ProcJson.Default.ProcLimitsResult, Run,
        examples:
        [
            new("'proc://1234.limits.set(resource=nofile,soft=4096)'", "Raise PID 1234's open-files soft limit."),
            new("'proc://1234.limits.set(resource=core,soft=unlimited,hard=unlimited)'", "Allow unlimited core dumps."),
        ],
        notes: "A value left out keeps its current setting. The new soft limit must not exceed the hard one.");

    static Outcome<ProcLimitsResult> Run(VerbContext ctx)
    {
        var resource = ctx.Get(Resource)!;
        var (_, number, unit) = ResourceLimits.Find(resource);
        var softText = ctx.Get(Soft);
        var hardText = ctx.Get(Hard);
        if (softText is null && hardText is null)
            return ReshError.Usage("Give soft=..., hard=... or both.", $"Example: resh proc://1234.limits.set(resource={resource},soft=4096)");
        ulong? soft = null, hard = null;
        if (softText is not null)
        {
            if (!ResourceLimits.TryParse(softText, unit, out var s)) return BadValue("soft", softText, unit);
            soft = s;
        }
        if (hardText is not null)
        {
            if (!ResourceLimits.TryParse(hardText, unit, out var h)) return BadValue("hard", hardText, unit);
            hard = h;
        }
        var entries = ProcTarget.Parse(ctx).ResolveExisting(false, false);
        var list = new List<ProcLimitsEntry>();
        bool changed = false;
        foreach (var e in entries)
        {
            var rc = ProcNative.GetLimit(e.Pid, number, out var before);
            if (rc != 0) return ProcLimitsGet.LimitError(rc, e, resource);
            var wanted = new ProcNative.RLimit { Cur = soft ?? before.Cur, Max = hard ?? before.Max };
            if (wanted.Cur > wanted.Max)
                return ReshError.Usage($"The soft {resource} limit ({Show(wanted.Cur)}) would exceed the hard limit ({Show(wanted.Max)}).",
                    "Lower soft, or raise hard in the same call.", new JsonObject { ["pid"] = e.Pid });
            var differs = wanted.Cur != before.Cur || wanted.Max != before.Max;
            changed |= differs;
            var after = wanted;
            if (differs && !ctx.DryRun)
            {
                rc = ProcNative.SetLimit(e.Pid, number, wanted);
                if (rc != 0) return ProcLimitsGet.LimitError(rc, e, resource);
                if (ProcNative.GetLimit(e.Pid, number, out var now) == 0) after = now;
            }
            list.Add(new ProcLimitsEntry(e.Pid, e.Comm,
            [
                new ProcLimit(resource, ResourceLimits.ToJson(after.Cur), ResourceLimits.ToJson(after.Max), unit,
                    ResourceLimits.ToJson(before.Cur), ResourceLimits.ToJson(before.Max)),
            ]));
        }
        return Outcome.Changed(new ProcLimitsResult(list), changed);
    }

    static string Show(ulong v) => v == ProcNative.RlimInfinity ? "unlimited" : v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static ReshError BadValue(string which, string text, string unit) =>
        ReshError.Usage($"`{text}` is not a valid {which} limit.", unit == "bytes" ? "Use a number of bytes, a size (64MiB) or unlimited." : "Use a whole number or unlimited.");
}
