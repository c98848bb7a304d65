using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemLoad
{
    public static readonly VerbInfo Verb = VerbInfo.Define("load", Effect.Read,
        "Load averages over 1, 5 and 15 minutes, task counts, and load per CPU.",
        [], () => SystemJson.Default.LoadResult, Run,
        examples: [new("system://.load", "Load averages."), new("system://.load --format raw", "\"load1 load5 load15\", as in /proc/loadavg.")]);

    static Outcome<LoadResult> Run(VerbContext ctx)
    {
        var result = Collect();
        if (result is null) return ReshError.Unavailable("/proc/loadavg cannot be read.", "Is /proc mounted?");
        var raw = string.Join(' ', new[] { result.Load1, result.Load5, result.Load15 }.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)));
        return new Outcome<LoadResult>(result, false).WithRaw(RawPayload.FromText(raw));
    }

    public static LoadResult? Collect()
    {
        if (ProcLoadavg.Parse(ProcFile.ReadText(ProcLoadavg.Path) ?? "") is not { } l) return null;
        var cpus = Math.Max(1, CpuList.OnlineCount());
        return new LoadResult(l.Load1, l.Load5, l.Load15, l.Runnable, l.Tasks, l.LastPid, cpus,
            Math.Round(l.Load1 / cpus, 2), Math.Round(l.Load5 / cpus, 2), Math.Round(l.Load15 / cpus, 2));
    }
}
