using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

public sealed class SystemTimeTests
{
    static Dictionary<string, string> Tz(string zone) => new() { ["TZ"] = zone };

    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Asia/Kolkata")]
    [InlineData("UTC")]
    public void Zone_offset_and_abbreviation_follow_TZ_as_date_does(string zone)
    {
        var run = ReshBinary.Run(["system://.time"], env: Tz(zone));
        var date = Tools.Run("date", ["+%:z %Z"], env: Tz(zone)).Stdout.Trim().Split(' ');
        Assert.True(run.Ok, run.ToString());
        var r = run.Result!;
        Assert.Equal(zone, r["timezone"]!.GetValue<string>());
        Assert.Equal("TZ", r["timezone_source"]!.GetValue<string>());
        Assert.Equal(date[0], r["utc_offset"]!.GetValue<string>());
        Assert.Equal(date[1], r["abbreviation"]!.GetValue<string>());
        Assert.EndsWith(date[0], r["local"]!.GetValue<string>());
        var local = DateTimeOffset.Parse(r["local"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var utc = DateTimeOffset.Parse(r["utc"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.Equal(utc, local);
    }

    [Fact]
    public void Without_TZ_the_zone_is_the_etc_localtime_link_target()
    {
        var run = Tools.Resh(["env", "-u", "TZ"], "system://.time");
        var link = new FileInfo("/etc/localtime").LinkTarget;
        Assert.NotNull(link); // Debian keeps /etc/localtime as a symlink into /usr/share/zoneinfo
        Assert.Equal(link![(link.IndexOf("zoneinfo/", StringComparison.Ordinal) + 9)..], run.Result!["timezone"]!.GetValue<string>());
        Assert.Equal("/etc/localtime", run.Result!["timezone_source"]!.GetValue<string>());
    }

    [Fact]
    public void An_empty_TZ_means_UTC_as_the_C_library_reads_it()
    {
        var run = ReshBinary.Run(["system://.time"], env: Tz(""));
        Assert.Equal("UTC", run.Result!["timezone"]!.GetValue<string>());
        Assert.Equal("+00:00", run.Result!["utc_offset"]!.GetValue<string>());
    }

    [Fact]
    public void Now_is_close_to_the_test_clock()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var run = ReshBinary.Run("system://.time");
        var after = DateTimeOffset.UtcNow.AddSeconds(1);
        var utc = DateTimeOffset.Parse(run.Result!["utc"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.InRange(utc, before, after);
        Assert.InRange(run.Result!["unix"]!.GetValue<double>(), before.ToUnixTimeSeconds(), after.ToUnixTimeSeconds());
    }

    [Fact]
    public void Ntp_state_equals_what_adjtimex_returns_to_another_reader()
    {
        // perl's syscall() issues adjtimex (159 on x86_64) with modes = 0 and unpacks status (int at offset 40).
        var perl = Tools.Ok("perl", "-e", "my $b = \"\\0\" x 208; my $r = syscall(159, $b); my @f = unpack('L x4 q q q q l', $b); print \"$r $f[5] $f[3]\\n\"")
            .Trim().Split(' ').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var run = ReshBinary.Run("system://.time");
        var ntp = run.Result!["ntp"]!;
        var unsync = (perl[1] & 0x40) != 0;
        Assert.Equal(!unsync && perl[0] != 5, ntp["synchronized"]!.GetValue<bool>());
        Assert.Equal(unsync, ntp["status"]!.AsArray().Any(s => s!.GetValue<string>() == "UNSYNC"));
        // maxerror grows 500 ppm while unsynchronised: it never shrinks between the two reads without a daemon touching it.
        Assert.True(ntp["max_error_us"]!.GetValue<long>() >= 0);
    }

    [Fact]
    public void Clock_source_is_the_kernel_current_clocksource()
    {
        var run = ReshBinary.Run("system://.time");
        var expected = File.ReadAllText("/sys/devices/system/clocksource/clocksource0/current_clocksource").Trim();
        Assert.Equal(expected, run.Result!["clocksource"]!.GetValue<string>());
        Assert.Contains(expected, run.Result!["available_clocksources"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public void Raw_time_is_the_utc_timestamp_alone()
    {
        var run = ReshBinary.Run("system://.time", "--format", "raw");
        Assert.Equal(0, run.ExitCode);
        var text = run.Stdout.Trim();
        Assert.EndsWith("Z", text);
        Assert.True(DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out _), text);
    }
}
