using System.Diagnostics;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemCpu
{
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(10);

    static readonly Arg<TimeSpan?> Interval = Arg.Duration("interval",
        "How long to sample /proc/stat for usage; 0 skips sampling (usage is then null).", TimeSpan.FromMilliseconds(200), examples: ["0", "200ms", "1s"]);
    static readonly Arg<bool> PerCpu = Arg.Bool("per_cpu", "Include one row per logical CPU.", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("cpu", Effect.Read,
        "Processor model, cores, frequency and usage sampled over an interval.",
        [Interval, PerCpu], () => SystemJson.Default.CpuResult, RunAsync,
        examples: [new("system://.cpu", "Model, topology and usage over 200 ms."), new("'system://.cpu(interval=1s)'", "Usage over one second."),
            new("'system://.cpu(interval=0,per_cpu=false)'", "Static facts only, no waiting.")],
        notes: "Usage is the difference of two /proc/stat samples `interval` apart (busy = all but idle and iowait). " +
               "This is the only system:// verb that waits; the others answer from one read.");

    static async ValueTask<Outcome<CpuResult>> RunAsync(VerbContext ctx)
    {
        var interval = ctx.Get(Interval)!.Value;
        if (interval > MaxInterval) return IntervalTooLong(interval);
        var result = await CollectAsync(interval, ctx.Get(PerCpu), ctx.Cancellation).ConfigureAwait(false);
        return result is null
            ? ReshError.Unavailable("/proc/stat and /proc/cpuinfo cannot be read.", "Is /proc mounted?")
            : result;
    }

    internal static ReshError IntervalTooLong(TimeSpan interval) =>
        ReshError.Usage($"Argument `interval` must be at most 10m, got {Resh.Core.Values.DurationValue.Format(interval)}.", "Sample for 200ms to a few seconds.");

    public static async Task<CpuResult?> CollectAsync(TimeSpan interval, bool perCpu, CancellationToken ct)
    {
        List<CpuTimes>? before = null, after = null;
        double seconds = 0;
        if (interval > TimeSpan.Zero)
        {
            var first = ProcFile.ReadText(ProcStat.Path);
            if (first is null) return null;
            var clock = Stopwatch.StartNew();
            before = ProcStat.ParseCpuTimes(first);
            await Task.Delay(interval, ct).ConfigureAwait(false);
            var second = ProcFile.ReadText(ProcStat.Path);
            seconds = clock.Elapsed.TotalSeconds;
            if (second is null) return null;
            after = ProcStat.ParseCpuTimes(second);
        }

        var info = CpuInfo.Parse(ProcFile.ReadText(CpuInfo.Path) ?? "");
        var onlineText = ProcFile.ReadTrimmed("/sys/devices/system/cpu/online");
        var online = CpuList.Parse(onlineText);
        var present = CpuList.Parse(ProcFile.ReadTrimmed("/sys/devices/system/cpu/present"));
        var onlineCount = online?.Count ?? (info.Processors.Count > 0 ? info.Processors.Count : Environment.ProcessorCount);
        var cores = info.PhysicalCores ?? SysfsCores(online);
        var sockets = info.Sockets;
        var mhz = info.Processors.Where(p => p.Mhz is not null).Select(p => p.Mhz!.Value).DefaultIfEmpty(double.NaN).Average();
        var maxKhz = ProcFile.ReadLong("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");

        CpuUsage? usage = null;
        List<CpuCore>? rows = null;
        if (before is not null && after is not null)
        {
            var total = Delta(before, after, CpuTimes.AllCpus);
            if (total is { } t) usage = ToUsage(seconds, t);
        }
        if (perCpu)
        {
            rows = [];
            var cpus = info.Processors.Count > 0 ? info.Processors.Select(p => p.Processor) : online ?? Enumerable.Range(0, onlineCount);
            foreach (var cpu in cpus)
            {
                var p = info.Processors.FirstOrDefault(x => x.Processor == cpu);
                var d = before is null || after is null ? null : Delta(before, after, cpu);
                var u = d is { } dd ? ToUsage(seconds, dd) : null;
                rows.Add(new CpuCore(cpu, p.PhysicalId, p.CoreId, p.Mhz is { } m ? Math.Round(m, 1) : null,
                    u?.UsagePercent, u?.UserPercent, u?.SystemPercent, u?.IowaitPercent, u?.StealPercent, u?.IdlePercent));
            }
        }

        return new CpuResult(
            info.Model, info.Vendor, Uname.Read()?.Machine ?? "unknown",
            present?.Count ?? onlineCount, onlineCount, onlineText,
            cores, sockets, cores is > 0 ? (int)Math.Round((double)onlineCount / cores.Value) : null,
            double.IsNaN(mhz) ? null : Math.Round(mhz, 1),
            maxKhz is > 0 ? Math.Round(maxKhz.Value / 1000.0, 1) : null,
            info.CacheBytes,
            CgroupLimits.Read(memory: false, cpu: true)?.CpuLimit,
            usage, rows);
    }

    /// <summary>Cores from sysfs topology where /proc/cpuinfo does not name them (ARM).</summary>
    static int? SysfsCores(List<int>? online)
    {
        if (online is null || online.Count == 0) return null;
        var pairs = new HashSet<(long, long)>();
        foreach (var cpu in online)
        {
            var dir = $"/sys/devices/system/cpu/cpu{cpu}/topology/";
            var package = ProcFile.ReadLong(dir + "physical_package_id");
            var core = ProcFile.ReadLong(dir + "core_id");
            if (package is null || core is null) return null;
            pairs.Add((package.Value, core.Value));
        }
        return pairs.Count;
    }

    static CpuTimes? Delta(List<CpuTimes> before, List<CpuTimes> after, int cpu)
    {
        CpuTimes? a = null, b = null;
        foreach (var t in before) if (t.Cpu == cpu) { a = t; break; }
        foreach (var t in after) if (t.Cpu == cpu) { b = t; break; }
        if (a is not { } x || b is not { } y) return null;
        // Counters can step back when a CPU goes offline and returns; clamp so no state goes negative.
        return new CpuTimes(cpu, Pos(y.User - x.User), Pos(y.Nice - x.Nice), Pos(y.System - x.System), Pos(y.Idle - x.Idle),
            Pos(y.IoWait - x.IoWait), Pos(y.Irq - x.Irq), Pos(y.SoftIrq - x.SoftIrq), Pos(y.Steal - x.Steal));
    }

    static long Pos(long v) => Math.Max(0, v);

    public static CpuUsage ToUsage(double seconds, CpuTimes d)
    {
        double total = d.Total;
        return new CpuUsage(Math.Round(seconds, 3),
            SystemText.Percent(d.Total - d.IdleAll, total),
            SystemText.Percent(d.User, total),
            SystemText.Percent(d.Nice, total),
            SystemText.Percent(d.System, total),
            SystemText.Percent(d.IoWait, total),
            SystemText.Percent(d.Irq + d.SoftIrq, total),
            SystemText.Percent(d.Steal, total),
            total <= 0 ? 100 : SystemText.Percent(d.Idle, total));
    }
}
