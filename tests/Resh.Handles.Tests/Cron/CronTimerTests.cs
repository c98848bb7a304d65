using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.Svc;
using Xunit;

namespace Resh.Handles.Tests.Cron;

/// <summary>cron:// with backend=systemd against the real systemd of the shared container.</summary>
[Collection(SystemdCollection.Name)]
public sealed class CronTimerTests(SystemdContainer box)
{
    [Fact]
    public void A_timer_added_through_resh_is_listed_by_systemd_with_the_right_next_elapse()
    {
        var add = box.Resh("cron://nightly.add(schedule=0 3 * * *,backend=systemd,comment=nightly job)", "--", "/bin/sh", "-c", "echo nightly ran 100%");
        Assert.True(add.Ok, add.ToString());
        Assert.True(add.Changed);
        var (code, json, _) = box.Exec("systemctl", "list-timers", "--all", "--output=json");
        Assert.Equal(0, code);
        var timer = JsonNode.Parse(json)!.AsArray().Single(t => t!["unit"]!.GetValue<string>() == "resh-nightly.timer")!;
        Assert.Equal("resh-nightly.service", timer["activates"]!.GetValue<string>());
        // The container shares the host's time zone (nspawn --timezone=copy): the next 03:00 local time.
        var zone = TimeZoneInfo.Local;
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone);
        var expected = new DateTimeOffset(now.Year, now.Month, now.Day, 3, 0, 0, zone.GetUtcOffset(new DateTime(now.Year, now.Month, now.Day, 3, 0, 0)));
        if (expected <= now) expected = expected.AddDays(1);
        Assert.Equal(expected.ToUnixTimeMilliseconds() * 1000, timer["next"]!.GetValue<long>());
        Assert.False(box.Resh("cron://nightly.add(schedule=0 3 * * *,backend=systemd,comment=nightly job)", "--", "/bin/sh", "-c", "echo nightly ran 100%").Changed);

        var listed = box.Resh("cron://.list(backend=systemd)").Result!["entries"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == "nightly")!;
        Assert.True(listed["managed"]!.GetValue<bool>());
        Assert.Equal("0 3 * * *", listed["schedule"]!.GetValue<string>());
        Assert.Equal(expected, DateTimeOffset.Parse(listed["next_runs"]![0]!.GetValue<string>(), CultureInfo.InvariantCulture));

        var run = box.Resh("cron://nightly.run-now");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("nightly ran 100%", run.Result!["stdout"]!.GetValue<string>());

        Assert.True(box.Resh("cron://nightly.disable").Changed);
        Assert.Equal("disabled", box.Exec("systemctl", "is-enabled", "resh-nightly.timer").Stdout.Trim());
        Assert.True(box.Resh("cron://nightly.remove").Changed);
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/resh-nightly.timer")));
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/resh-nightly.service")));
    }

    [Fact]
    public void A_timer_behaves_like_cron_by_default_accurate_to_the_second_and_not_catching_up()
    {
        Assert.True(box.Resh("cron://accurate.add(schedule=*/5 * * * *,backend=systemd)", "--", "/bin/true").Ok);
        Assert.Equal("1s", Show("resh-accurate.timer", "AccuracyUSec"));
        Assert.Equal("no", Show("resh-accurate.timer", "Persistent"));
        var changed = box.Resh("cron://accurate.add(schedule=*/5 * * * *,backend=systemd,accuracy=1m,persistent=true)", "--", "/bin/true");
        Assert.True(changed.Changed, changed.ToString());
        Assert.Equal("1min", Show("resh-accurate.timer", "AccuracyUSec"));
        Assert.Equal("yes", Show("resh-accurate.timer", "Persistent"));
        Assert.Equal("usage", box.Resh("cron://accurate2.add(schedule=@daily,accuracy=1m)", "--", "/bin/true").ErrorCode);
        Assert.True(box.Resh("cron://accurate.remove").Changed);
    }

    string Show(string unit, string property) => box.Exec("systemctl", "show", "-p", property, "--value", unit).Stdout.Trim();
}
