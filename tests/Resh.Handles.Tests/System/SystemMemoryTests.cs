using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemMemoryTests
{
    [Fact]
    public void Memory_total_and_swap_total_equal_free_b()
    {
        var run = ReshBinary.Run("system://.memory");
        Assert.True(run.Ok, run.ToString());
        var free = FreeB();
        var r = run.Result!;
        Assert.Equal(free.MemTotal, r["total"]!.GetValue<long>());
        Assert.Equal(free.SwapTotal, r["swap_total"]!.GetValue<long>());
    }

    [Fact]
    public void Memory_used_available_and_cache_match_free_b_within_what_moves_between_the_two_reads()
    {
        var run = ReshBinary.Run("system://.memory");
        var free = FreeB();
        var r = run.Result!;
        var total = r["total"]!.GetValue<long>();
        // Memory moves between two processes' reads; 3% of RAM is far below any misreading (a kB/byte or field mix-up).
        var tolerance = total * 3 / 100;
        Assert.InRange(r["used"]!.GetValue<long>(), free.Used - tolerance, free.Used + tolerance);
        Assert.InRange(r["available"]!.GetValue<long>(), free.Available - tolerance, free.Available + tolerance);
        Assert.InRange(r["buff_cache"]!.GetValue<long>(), free.BuffCache - tolerance, free.BuffCache + tolerance);
        Assert.InRange(r["shared"]!.GetValue<long>(), free.Shared - tolerance, free.Shared + tolerance);
        Assert.Equal(total - r["available"]!.GetValue<long>(), r["used"]!.GetValue<long>());
        Assert.Equal(r["buffers"]!.GetValue<long>() + r["cached"]!.GetValue<long>(), r["buff_cache"]!.GetValue<long>());
        Assert.Equal(r["swap_total"]!.GetValue<long>() - r["swap_free"]!.GetValue<long>(), r["swap_used"]!.GetValue<long>());
    }

    [Fact]
    public void Memory_total_is_memtotal_of_proc_meminfo_in_bytes()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var run = ReshBinary.Run("system://.memory");
        Assert.Equal(kb * 1024, run.Result!["total"]!.GetValue<long>());
        Assert.InRange(run.Result!["used_percent"]!.GetValue<double>(), 0, 100);
        Assert.False(string.IsNullOrEmpty(run.Result!["human"]!.GetValue<string>()));
    }

    [Fact]
    public void Memory_reports_the_cgroup_limit_set_on_its_own_cgroup()
    {
        // A fresh cgroup with a known limit; resh is started inside it, so its /proc/self/cgroup names it.
        using var group = CgroupFixture.Create("memory", out var limitFile, out var procsFile, out var version);
        File.WriteAllText(limitFile, "268435456");
        var run = Tools.Run("sh", ["-c", "echo $$ > \"$1\" && exec \"$2\" system://.memory", "sh", procsFile, ReshBinary.Path]);
        var env = new ReshRun(run.Exit, run.Stdout, run.Stderr, System.Text.Encoding.UTF8.GetBytes(run.Stdout));
        Assert.True(env.Ok, env.ToString());
        var cgroup = env.Result!["cgroup"]!;
        Assert.Equal(version, cgroup["version"]!.GetValue<string>());
        Assert.Equal(268435456, cgroup["limit"]!.GetValue<long>());
    }

    [Fact]
    public void Memory_takes_no_arguments()
    {
        var run = ReshBinary.Run("system://.memory", "interval=1s");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
    }

    sealed record Free(long MemTotal, long Used, long Available, long BuffCache, long Shared, long SwapTotal);

    static Free FreeB()
    {
        // "Mem:  total used free shared buff/cache available" and "Swap: total used free" (procps 4).
        var lines = Tools.Ok("free", "-b").Split('\n');
        var mem = lines.First(l => l.StartsWith("Mem:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var swap = lines.First(l => l.StartsWith("Swap:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long N(string s) => long.Parse(s, CultureInfo.InvariantCulture);
        return new Free(N(mem[1]), N(mem[2]), N(mem[6]), N(mem[5]), N(mem[4]), N(swap[1]));
    }
}
