using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemUptimeTests
{
    static double ProcUptime() => double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);

    [Fact]
    public void Uptime_lies_between_two_reads_of_proc_uptime()
    {
        var before = ProcUptime();
        var run = ReshBinary.Run("system://.uptime");
        var after = ProcUptime();
        Assert.True(run.Ok, run.ToString());
        Assert.InRange(run.Result!["seconds"]!.GetValue<double>(), before, after);
        Assert.False(string.IsNullOrEmpty(run.Result!["human"]!.GetValue<string>()));
    }

    [Fact]
    public void Boot_time_agrees_with_uptime_s()
    {
        var run = ReshBinary.Run("system://.uptime");
        // procps uptime -s prints local time; in UTC it is directly comparable. Both round, so allow 2 s.
        var s = Tools.Run("uptime", ["-s"], env: new Dictionary<string, string> { ["TZ"] = "UTC" }).Stdout.Trim();
        var theirs = DateTimeOffset.ParseExact(s, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var ours = DateTimeOffset.Parse(run.Result!["boot_time"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.InRange((ours - theirs).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(ours.ToUnixTimeSeconds(), run.Result!["boot_time_unix"]!.GetValue<long>());
    }

    [Fact]
    public void Raw_uptime_is_whole_seconds()
    {
        var before = (long)ProcUptime();
        var run = ReshBinary.Run("system://.uptime", "--format", "raw");
        var after = (long)ProcUptime();
        Assert.InRange(long.Parse(run.Stdout.Trim(), CultureInfo.InvariantCulture), before, after);
    }
}

public sealed class SystemLoadTests
{
    [Fact]
    public void Load_matches_proc_loadavg_read_around_it()
    {
        var before = File.ReadAllText("/proc/loadavg").Split(' ');
        var run = ReshBinary.Run("system://.load");
        var after = File.ReadAllText("/proc/loadavg").Split(' ');
        Assert.True(run.Ok, run.ToString());
        var ours = run.Result!["load1"]!.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture);
        // The kernel updates the averages every 5 s; the value resh saw is one of the two around it.
        Assert.Contains(ours, new[] { before[0], after[0] });
        var cpus = int.Parse(Tools.Ok("getconf", "_NPROCESSORS_ONLN").Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(cpus, run.Result!["cpus"]!.GetValue<int>());
        Assert.Equal(Math.Round(run.Result!["load1"]!.GetValue<double>() / cpus, 2), run.Result!["load1_per_cpu"]!.GetValue<double>());
        Assert.True(run.Result!["tasks"]!.GetValue<long>() >= run.Result!["runnable"]!.GetValue<long>());
    }

    [Fact]
    public void Raw_load_is_three_numbers_like_the_start_of_proc_loadavg()
    {
        var run = ReshBinary.Run("system://.load", "--format", "raw");
        var parts = run.Stdout.Trim().Split(' ');
        Assert.Equal(3, parts.Length);
        Assert.All(parts, p => Assert.True(double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _)));
    }
}
