using System.Globalization;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemCpuTests
{
    static int Getconf(string name) => int.Parse(Tools.Ok("getconf", name).Trim(), CultureInfo.InvariantCulture);

    [Fact]
    public void Cpu_counts_match_getconf_and_the_model_matches_proc_cpuinfo()
    {
        var run = ReshBinary.Run("system://.cpu", "interval=0");
        Assert.True(run.Ok, run.ToString());
        var r = run.Result!;
        Assert.Equal(Getconf("_NPROCESSORS_ONLN"), r["online_cpus"]!.GetValue<int>());
        Assert.True(r["logical_cpus"]!.GetValue<int>() >= r["online_cpus"]!.GetValue<int>());
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        if (model is not null) Assert.Equal(model, r["model"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("uname", "-m").Trim(), r["architecture"]!.GetValue<string>());
        var cores = r["physical_cores"]!.GetValue<int>();
        Assert.InRange(cores, 1, r["online_cpus"]!.GetValue<int>());
    }

    [Fact]
    public void Cpu_physical_cores_match_the_distinct_core_ids_of_lscpu()
    {
        var run = ReshBinary.Run("system://.cpu", "interval=0");
        // lscpu -p=CORE,SOCKET prints one "core,socket" line per online CPU (util-linux, an independent reader).
        var pairs = Tools.Ok("lscpu", "-p=CORE,SOCKET").Split('\n').Where(l => l.Length > 0 && l[0] != '#').Distinct().Count();
        var sockets = Tools.Ok("lscpu", "-p=SOCKET").Split('\n').Where(l => l.Length > 0 && l[0] != '#').Distinct().Count();
        Assert.Equal(pairs, run.Result!["physical_cores"]!.GetValue<int>());
        Assert.Equal(sockets, run.Result!["sockets"]!.GetValue<int>());
    }

    [Fact]
    public void Cpu_with_interval_0_does_not_sample_and_lists_every_online_cpu()
    {
        var run = ReshBinary.Run("system://.cpu(interval=0)");
        Assert.True(run.Ok, run.ToString());
        Assert.Null(run.Result!["usage"]);
        var rows = run.Result!["per_cpu"]!.AsArray();
        Assert.Equal(Getconf("_NPROCESSORS_ONLN"), rows.Count);
        Assert.All(rows, row => Assert.Null(row!["usage_percent"]));
    }

    [Fact]
    public void Cpu_usage_over_an_interval_adds_up_to_100_percent()
    {
        var run = ReshBinary.Run("system://.cpu", "interval=300ms");
        Assert.True(run.Ok, run.ToString());
        var u = run.Result!["usage"]!;
        Assert.True(u["interval_seconds"]!.GetValue<double>() >= 0.29, u.ToJsonString()); // a timer may fire a little early
        var parts = new[] { "user", "nice", "system", "iowait", "irq", "steal", "idle" }.Sum(n => u[n + "_percent"]!.GetValue<double>());
        Assert.InRange(parts, 99.0, 101.0); // each part is rounded to 0.1
        var busy = u["usage_percent"]!.GetValue<double>();
        Assert.InRange(busy, 100 - u["idle_percent"]!.GetValue<double>() - u["iowait_percent"]!.GetValue<double>() - 0.2,
            100 - u["idle_percent"]!.GetValue<double>() - u["iowait_percent"]!.GetValue<double>() + 0.2);
        foreach (var row in run.Result!["per_cpu"]!.AsArray()) Assert.InRange(row!["usage_percent"]!.GetValue<double>(), 0, 100);
    }

    [Fact]
    public void Cpu_usage_of_a_cpu_kept_busy_is_high()
    {
        // Pin a busy loop to CPU 0 and sample only while it runs; the other CPUs may do anything.
        using var busy = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("taskset", ["-c", "0", "sh", "-c", "while :; do :; done"]))!;
        try
        {
            Thread.Sleep(100);
            var run = ReshBinary.Run("system://.cpu", "interval=500ms");
            var cpu0 = run.Result!["per_cpu"]!.AsArray().First(r => r!["cpu"]!.GetValue<int>() == 0)!;
            Assert.True(cpu0["usage_percent"]!.GetValue<double>() > 50, run.Stdout);
        }
        finally
        {
            busy.Kill();
            busy.WaitForExit(5000);
        }
    }

    [Fact]
    public void Cpu_without_per_cpu_rows_leaves_them_out()
    {
        var run = ReshBinary.Run("system://.cpu(interval=0,per_cpu=false)");
        Assert.True(run.Ok, run.ToString());
        Assert.Null(run.Result!["per_cpu"]);
    }

    [Fact]
    public void Cpu_reports_the_cpu_limit_of_its_cgroup()
    {
        using var group = CgroupFixture.Create("cpu", out var limitFile, out var procsFile, out var version);
        File.WriteAllText(limitFile, version == "v1" ? "50000" : "50000 100000");
        var run = Tools.Run("sh", ["-c", "echo $$ > \"$1\" && exec \"$2\" system://.cpu interval=0", "sh", procsFile, ReshBinary.Path]);
        var env = new ReshRun(run.Exit, run.Stdout, run.Stderr, System.Text.Encoding.UTF8.GetBytes(run.Stdout));
        Assert.True(env.Ok, env.ToString());
        Assert.Equal(0.5, env.Result!["cgroup_limit_cpus"]!.GetValue<double>());
    }

    [Fact]
    public void A_sample_longer_than_the_timeout_ends_as_a_timeout()
    {
        var run = ReshBinary.Run("system://.cpu", "interval=30s", "--timeout", "300ms");
        Assert.Equal(6, run.ExitCode);
        Assert.Equal("timeout", run.ErrorCode);
    }

    [Theory]
    [InlineData("interval=11m")]
    [InlineData("interval=soon")]
    [InlineData("per_cpu=maybe")]
    public void Cpu_with_a_bad_argument_is_a_usage_error(string arg)
    {
        var run = ReshBinary.Run("system://.cpu", arg);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
    }
}
