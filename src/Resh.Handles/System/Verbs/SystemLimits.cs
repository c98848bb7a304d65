using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemLimits
{
    static readonly Arg<long?> Pid = Arg.Int("pid", "Limits of this process instead of resh's own (which are its caller's, as ulimit shows them).", min: 1, max: int.MaxValue,
        examples: ["1", "4242"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("limits", Effect.Read,
        "Resource limits (ulimit): soft and hard value of every RLIMIT_* resource.",
        [Pid], () => SystemJson.Default.LimitsResult, Run,
        examples: [new("system://.limits", "The limits this shell passes to its children (ulimit -a)."), new("'system://.limits(pid=1)'", "The limits of PID 1.")],
        notes: "Read with prlimit(2), so values are exact (bytes, not ulimit's KiB blocks). Unlimited is null with `*_unlimited: true`.");

    static Outcome<LimitsResult> Run(VerbContext ctx)
    {
        var pid = (int)(ctx.Get(Pid) ?? 0);
        var entries = new List<LimitEntry>(ResourceLimits.All.Length);
        foreach (var kind in ResourceLimits.All)
        {
            var limit = ResourceLimits.Get(pid, kind.Resource, out var errno);
            if (limit is null)
            {
                var details = new JsonObject { ["pid"] = pid, ["errno"] = errno };
                return errno switch
                {
                    3 => ReshError.NotFound($"No process with PID {pid}.", "Check the PID (system://.limits without pid shows resh's own).", details),
                    1 => ReshError.PermissionDenied($"Not allowed to read the limits of PID {pid}.", "Run as its owner or as root.", details),
                    22 => ReshError.Unsupported($"The kernel does not know {kind.Constant}.", null, details),
                    _ => ReshError.Failed($"prlimit failed for {kind.Constant}: {Resh.Core.Platform.Posix.StrError(errno)}.", null, details),
                };
            }
            entries.Add(ToEntry(kind, limit.Value));
        }
        return new LimitsResult(pid == 0 ? Environment.ProcessId : pid, entries);
    }

    public static LimitEntry ToEntry(ResourceKind kind, ResourceLimit limit) =>
        new(kind.Name, kind.Constant, kind.UlimitFlag, kind.Unit, kind.Description, limit.Soft, limit.Hard, limit.Soft is null, limit.Hard is null);
}
