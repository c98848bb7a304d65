using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemOsTests
{
    static Dictionary<string, string> OsRelease() =>
        File.ReadLines(File.Exists("/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release")
            .Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('"'));

    [Fact]
    public void Os_matches_os_release_and_uname()
    {
        var run = ReshBinary.Run("system://.os");
        Assert.True(run.Ok, run.ToString());
        var r = run.Result!;
        var release = OsRelease();
        Assert.Equal(release["ID"], r["id"]!.GetValue<string>());
        Assert.Equal(release["PRETTY_NAME"], r["pretty_name"]!.GetValue<string>());
        if (release.TryGetValue("VERSION_ID", out var version)) Assert.Equal(version, r["version_id"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("uname", "-s").Trim(), r["kernel"]!["name"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("uname", "-r").Trim(), r["kernel"]!["release"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("uname", "-v").Trim(), r["kernel"]!["version"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("uname", "-m").Trim(), r["architecture"]!.GetValue<string>());
        Assert.Equal(Tools.Ok("hostname").Trim(), r["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void Virtualization_hints_always_say_what_they_are_based_on()
    {
        var v = ReshBinary.Run("system://.os").Result!["virtualization"]!;
        var hints = new[] { v["vm"], v["container"] }.Count(h => h is not null);
        Assert.True(v["evidence"]!.AsArray().Count >= hints);
        // The kernel flags a guest in /proc/cpuinfo; then a vm must be named (x86 CPUID agrees with that flag).
        if (File.ReadAllText("/proc/cpuinfo").Contains(" hypervisor", StringComparison.Ordinal)) Assert.NotNull(v["vm"]);
    }

    [Fact]
    public void Raw_os_is_the_pretty_name()
    {
        var run = ReshBinary.Run("system://.os", "--format", "raw");
        Assert.Equal(OsRelease()["PRETTY_NAME"] + "\n", run.Stdout);
    }
}

public sealed class SystemHostnameTests
{
    [Fact]
    public void Hostname_matches_the_hostname_tool()
    {
        var run = ReshBinary.Run("system://.hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(Tools.Ok("hostname").Trim(), run.Result!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void Hostname_set_in_a_uts_namespace_is_reported_and_raw_prints_it_alone()
    {
        var run = Tools.Run("unshare", ["--uts", "sh", "-ec", "hostname resh-uts-test; exec \"$1\" system://.hostname --format raw", "sh", ReshBinary.Path]);
        Assert.Equal(0, run.Exit);
        Assert.Equal("resh-uts-test\n", run.Stdout);
    }
}
