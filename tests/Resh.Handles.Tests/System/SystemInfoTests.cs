using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemInfoTests
{
    [Fact]
    public void Info_as_written_in_the_readme_answers_with_every_part()
    {
        var run = ReshBinary.Run("system://.info");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Ok, run.ToString());
        var r = run.Result!;
        foreach (var part in new[] { "hostname", "os", "cpu", "memory", "load", "uptime", "disks", "network", "users", "limits", "time" })
            Assert.True(r.AsObject().ContainsKey(part), part);
        Assert.Equal(Tools.Ok("hostname").Trim(), r["hostname"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("uname", "-r").Trim(), r["os"]!["kernel"]!.GetValue<string>());
        var memTotal = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal(long.Parse(memTotal, CultureInfo.InvariantCulture) * 1024, r["memory"]!["total"]!.GetValue<long>());
        Assert.Contains(r["disks"]!.AsArray(), d => d!["mount_point"]!.GetValue<string>() == "/");
        Assert.Contains(r["network"]!.AsArray(), n => n!["name"]!.GetValue<string>() == "lo");
        Assert.Equal(int.Parse(Tools.Ok("getconf", "_NPROCESSORS_ONLN").Trim(), CultureInfo.InvariantCulture), r["cpu"]!["online_cpus"]!.GetValue<int>());
        // The README's first command stays quiet: a missing utmp is users.file = null, not a warning.
        Assert.Empty(run.Envelope["warnings"]!.AsArray());
        Assert.Equal(ReshBinary.Run("system://.users").Result!["file"]?.GetValue<string>(), r["users"]!["file"]?.GetValue<string>());
    }

    [Fact]
    public void Info_does_not_sample_cpu_usage_by_default_but_does_with_an_interval()
    {
        Assert.Null(ReshBinary.Run("system://.info").Result!["cpu"]!["usage_percent"]);
        var sampled = ReshBinary.Run("system://.info(interval=100ms)");
        Assert.True(sampled.Ok, sampled.ToString());
        Assert.InRange(sampled.Result!["cpu"]!["usage_percent"]!.GetValue<double>(), 0, 100);
    }

    [Fact]
    public void Info_spelled_with_the_verb_as_a_word_is_the_same_verb()
    {
        var run = ReshBinary.Run("system://", "info");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("info", run.Envelope["verb"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("table")]
    [InlineData("yaml")]
    [InlineData("raw")]
    public void Info_renders_in_every_format(string format)
    {
        var run = ReshBinary.Run("system://.info", "--format", format);
        Assert.Equal(0, run.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(run.Stdout));
    }

    [Theory]
    [InlineData("system://.memory")]
    [InlineData("system://.disk")]
    [InlineData("system://.network")]
    [InlineData("system://.limits")]
    [InlineData("system://.cpu(interval=0)")]
    [InlineData("system://.users")]
    public void Every_verb_has_a_table_view(string stage)
    {
        var run = ReshBinary.Run(stage, "--format", "table");
        Assert.Equal(0, run.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(run.Stdout));
    }

    [Fact]
    public void Schema_of_every_system_verb_exports_a_result_schema()
    {
        foreach (var verb in new[] { "info", "os", "hostname", "cpu", "memory", "disk", "network", "uptime", "load", "users", "limits", "time" })
        {
            var run = ReshBinary.Run("schema", "system." + verb);
            Assert.True(run.Ok, run.ToString());
            Assert.NotNull(run.Result!["schemas"]![0]!["result"]!["properties"]);
        }
    }
}
