using System.Globalization;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemLimitsTests
{
    static JsonNode Limit(ReshRun run, string name) =>
        run.Result!["limits"]!.AsArray().First(l => l!["name"]!.GetValue<string>() == name)!;

    static ulong? Value(string text) => text == "unlimited" ? null : ulong.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void Every_limit_matches_prlimit_run_with_the_same_inheritance()
    {
        // prlimit without --pid shows its own limits, which it inherited from this test process exactly as resh does.
        var prlimit = Tools.Ok("prlimit", "--raw", "--noheadings", "--output", "RESOURCE,SOFT,HARD")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(f => f[0].ToLowerInvariant(), f => (Soft: Value(f[1]), Hard: Value(f[2])));
        var run = ReshBinary.Run("system://.limits");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(16, run.Result!["limits"]!.AsArray().Count);
        foreach (var (name, expected) in prlimit)
        {
            var ours = Limit(run, name);
            Assert.Equal(expected.Soft, ours["soft"]?.GetValue<ulong>());
            Assert.Equal(expected.Hard, ours["hard"]?.GetValue<ulong>());
            Assert.Equal(expected.Soft is null, ours["soft_unlimited"]!.GetValue<bool>());
            Assert.Equal(expected.Hard is null, ours["hard_unlimited"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void Limits_set_by_the_caller_are_reported_and_agree_with_ulimit()
    {
        // bash's ulimit reports -n in files and -s in KiB; resh reports bytes for sizes.
        var run = Tools.Resh(["prlimit", "--nofile=123:456", "--stack=1048576:4194304", "--core=0:unlimited"], "system://.limits");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(123UL, Limit(run, "nofile")["soft"]!.GetValue<ulong>());
        Assert.Equal(456UL, Limit(run, "nofile")["hard"]!.GetValue<ulong>());
        Assert.Equal(1048576UL, Limit(run, "stack")["soft"]!.GetValue<ulong>());
        Assert.True(Limit(run, "core")["hard_unlimited"]!.GetValue<bool>());
        var ulimit = Tools.Ok("prlimit", "--nofile=123:456", "--stack=1048576:4194304", "bash", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Ss; ulimit -Hs")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["123", "456", "1024", "4096"], ulimit);
        Assert.Equal("-n", Limit(run, "nofile")["ulimit_flag"]!.GetValue<string>());
    }

    [Fact]
    public void Limits_of_another_process_come_from_that_process()
    {
        using var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("prlimit", ["--nofile=77:88", "--nproc=500:600", "sleep", "30"]))!;
        try
        {
            // prlimit execs sleep in place, so the PID is the sleeper's once it has started; wait (bounded) until it has.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && !File.ReadAllText($"/proc/{sleeper.Id}/comm").StartsWith("sleep", StringComparison.Ordinal)) Thread.Sleep(20);
            var run = ReshBinary.Run("system://.limits", "pid=" + sleeper.Id);
            Assert.True(run.Ok, run.ToString());
            Assert.Equal(sleeper.Id, run.Result!["pid"]!.GetValue<int>());
            Assert.Equal(77UL, Limit(run, "nofile")["soft"]!.GetValue<ulong>());
            Assert.Equal(88UL, Limit(run, "nofile")["hard"]!.GetValue<ulong>());
            Assert.Equal(500UL, Limit(run, "nproc")["soft"]!.GetValue<ulong>());
            // /proc/PID/limits is the kernel's own text view of the same values.
            var line = File.ReadLines($"/proc/{sleeper.Id}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            Assert.Contains(" 77 ", line);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit(5000);
        }
    }

    [Fact]
    public void Limits_of_a_missing_process_are_not_found()
    {
        var run = ReshBinary.Run("system://.limits", "pid=2000000000");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
    }

    [Theory]
    [InlineData("pid=0")]
    [InlineData("pid=abc")]
    public void A_bad_pid_is_a_usage_error(string arg)
    {
        var run = ReshBinary.Run("system://.limits", arg);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
    }
}
