using System.Diagnostics;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcTop
{
    static readonly Arg<TimeSpan?> Interval = Arg.Duration("interval", "Time between the two samples.", TimeSpan.FromSeconds(1));
    static readonly Arg<long?> Limit = Arg.Int("limit", "How many processes to return.", 10, min: 1);
    static readonly Arg<string?> Sort = Arg.Enum("sort", "Rank by CPU use over the interval or by resident memory.", ["cpu", "mem"], "cpu");

    public static readonly VerbInfo Verb = VerbInfo.Define("top", Effect.Read,
        "A sampled snapshot: the processes using the most CPU (or memory) over an interval, like one frame of top.",
        [Interval, Limit, Sort], () => ProcJson.Default.ProcTopResult, RunAsync,
        examples: [new("proc://.top", "Busiest 10 processes over 1 s."), new("'proc://.top(interval=3s,limit=5,sort=mem)'", "The five largest, sampled over 3 s.")]);

    static async ValueTask<Outcome<ProcTopResult>> RunAsync(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var interval = ctx.Get(Interval)!.Value;
        var (cpu1, idle1) = CpuTotals();
        var clock = Stopwatch.StartNew();
        var first = target.Resolve(false, false).ToDictionary(e => e.Pid);
        await Task.Delay(interval, ctx.Cancellation).ConfigureAwait(false);
        var second = target.Resolve(withStatus: true, withCmdline: true);
        var elapsed = clock.Elapsed.TotalSeconds;
        var (cpu2, idle2) = CpuTotals();
        var hz = (double)ProcNative.ClockTicks;
        var rows = new ProcRows();
        var entries = new List<ProcTopEntry>();
        foreach (var e in second)
        {
            if (!first.TryGetValue(e.Pid, out var before) || before.StartTicks != e.StartTicks) continue;
            var pct = Math.Round((e.CpuTicks - before.CpuTicks) / hz / elapsed * 100, 1);
            entries.Add(new ProcTopEntry(e.Pid, e.Comm, rows.User(e.Uid), e.State.ToString(), Math.Max(0, pct), e.RssBytes, e.Command));
        }
        var ranked = (ctx.Get(Sort) == "mem" ? entries.OrderByDescending(e => e.RssBytes) : entries.OrderByDescending(e => e.CpuPercent).ThenByDescending(e => e.RssBytes))
            .Take((int)ctx.Get(Limit)!.Value).ToList();
        var busy = (cpu2 - cpu1) - (idle2 - idle1);
        var total = cpu2 - cpu1 > 0 ? Math.Round(100.0 * busy / (cpu2 - cpu1), 1) : 0;
        return new ProcTopResult(Math.Round(elapsed * 1000, 1), total, Environment.ProcessorCount, entries.Count, ranked);
    }

    /// <summary>Total and idle (idle + iowait) jiffies from the first line of /proc/stat.</summary>
    static (long Total, long Idle) CpuTotals()
    {
        var text = ProcFs.ReadText("/proc/stat", 64 * 1024);
        var line = text?.Split('\n')[0];
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return (0, 0);
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.TryParse(x, out var v) ? v : 0).ToArray();
        long total = f.Take(8).Sum();
        long idle = f.Length > 4 ? f[3] + f[4] : 0;
        return (total, idle);
    }
}
