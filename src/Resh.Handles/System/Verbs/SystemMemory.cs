using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemMemory
{
    public static readonly VerbInfo Verb = VerbInfo.Define("memory", Effect.Read,
        "RAM and swap in bytes: total, free, available, used, buffers, cache (as free -b), and the cgroup limit.",
        [], () => SystemJson.Default.MemoryResult, Run,
        examples: [new("system://.memory", "Memory and swap in bytes."), new("system://.memory --format table", "The same for people.")],
        notes: "From /proc/meminfo. `used` is total - available and `cached` includes reclaimable slab, as procps 4 free(1) reports them.");

    static Outcome<MemoryResult> Run(VerbContext ctx) =>
        Collect(includeCgroup: true) is { } result ? result
            : ReshError.Unavailable("/proc/meminfo cannot be read.", "Is /proc mounted?", new() { ["path"] = ProcMeminfo.Path });

    public static MemoryResult? Collect(bool includeCgroup)
    {
        var text = ProcFile.ReadText(ProcMeminfo.Path);
        if (text is null) return null;
        var m = ProcMeminfo.Parse(text);
        if (m.MemTotal is not { } total) return null;
        var free = m.MemFree ?? 0;
        var buffers = m.Buffers ?? 0;
        var cached = (m.Cached ?? 0) + (m.SReclaimable ?? 0);
        // Kernels before 3.14 have no MemAvailable; free(1) then estimates it the same way.
        var available = Math.Min(m.MemAvailable ?? free + buffers + cached, total);
        var used = total - available;
        var swapTotal = m.SwapTotal ?? 0;
        var swapFree = m.SwapFree ?? 0;
        var swapUsed = swapTotal - swapFree;
        CgroupMemory? cgroup = null;
        if (includeCgroup && CgroupLimits.Read(memory: true, cpu: false) is { } cg)
            cgroup = new CgroupMemory(cg.Version, cg.Path, cg.MemoryLimit, cg.MemoryUsage);
        var human = $"{SystemText.Size(used)} used of {SystemText.Size(total)} ({SystemText.Percent(used, total):0.#}%), {SystemText.Size(available)} available; " +
                    (swapTotal > 0 ? $"swap {SystemText.Size(swapUsed)} used of {SystemText.Size(swapTotal)}" : "no swap");
        return new MemoryResult(total, free, available, used, buffers, cached, buffers + cached, m.Shmem ?? 0,
            SystemText.Percent(used, total), SystemText.Percent(available, total),
            swapTotal, swapFree, swapUsed, swapTotal > 0 ? SystemText.Percent(swapUsed, swapTotal) : null,
            m.Dirty, m.HugePagesTotal, m.HugePageSize, cgroup, human);
    }
}
