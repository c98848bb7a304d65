using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>svc:// with backend OpenRC (auto-detected from /run/openrc/softlevel) in its sandbox.</summary>
[Collection(OpenRcCollection.Name)]
public sealed class SvcOpenRcTests(OpenRcSandbox rc)
{
    static bool Started(OpenRcSandbox rc, string name) => File.Exists(Path.Combine(rc.Dir, "state", "started", name)) || new FileInfo(Path.Combine(rc.Dir, "state", "started", name)).LinkTarget is not null;

    [Fact]
    public void Start_runs_the_daemon_and_a_second_start_is_unchanged_then_stop()
    {
        var first = rc.Resh("svc://reshorc-ok.start");
        Assert.Equal(0, first.ExitCode);
        Assert.True(first.Changed);
        Assert.Equal("openrc", first.Result!["backend"]!.GetValue<string>());
        Assert.True(Started(rc, "reshorc-ok"));
        var status = rc.Resh("svc://reshorc-ok.status");
        Assert.Equal("active", status.Result!["active_state"]!.GetValue<string>());
        var pid = status.Result!["main_pid"]!.GetValue<int>();
        Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(rc.Run, "reshorc-ok.pid")).Trim());
        // start-stop-daemon writes the pid file before it execs the daemon: wait (bounded) for the exec.
        var comm = "";
        for (var i = 0; i < 100 && comm != "sleep"; i++)
        {
            comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            if (comm != "sleep") Thread.Sleep(20);
        }
        Assert.Equal("sleep", comm);
        Assert.False(rc.Resh("svc://reshorc-ok.start").Changed);
        var stop = rc.Resh("svc://reshorc-ok.stop");
        Assert.True(stop.Changed);
        Assert.False(Started(rc, "reshorc-ok"));
        Assert.False(rc.Resh("svc://reshorc-ok.stop").Changed);
        Assert.Equal("inactive", rc.Resh("svc://reshorc-ok.status").Result!["active_state"]!.GetValue<string>());
    }

    [Fact]
    public void A_service_that_refuses_to_start_is_failed_with_its_output()
    {
        var run = rc.Resh("svc://reshorc-fail.start");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("failed", run.ErrorCode);
        Assert.Contains(run.Envelope["error"]!["details"]!["output"]!.AsArray(), l => l!.GetValue<string>().Contains("refuses to start", StringComparison.Ordinal));
    }

    [Fact]
    public void Enable_adds_the_service_to_the_default_runlevel_once()
    {
        var enable = rc.Resh("svc://reshorc-enable.enable");
        Assert.True(enable.Changed, enable.ToString());
        Assert.NotNull(new FileInfo(Path.Combine(rc.Dir, "runlevels", "default", "reshorc-enable")).LinkTarget);
        Assert.False(rc.Resh("svc://reshorc-enable.enable").Changed);
        Assert.True(rc.Resh("svc://reshorc-enable.is-enabled").Result!["enabled"]!.GetValue<bool>());
        var disable = rc.Resh("svc://reshorc-enable.disable");
        Assert.True(disable.Changed);
        Assert.False(File.Exists(Path.Combine(rc.Dir, "runlevels", "default", "reshorc-enable")));
    }

    [Fact]
    public void An_unknown_service_is_not_found_with_similar_names()
    {
        var run = rc.Resh("svc://reshorc-ko.status");
        Assert.Equal("not_found", run.ErrorCode);
        Assert.Contains(run.Envelope["error"]!["details"]!["similar"]!.AsArray(), s => s!.GetValue<string>() == "reshorc-ok");
    }

    [Fact]
    public void List_shows_the_sandbox_init_scripts()
    {
        var run = rc.Resh("svc://.list");
        Assert.Equal("openrc", run.Result!["backend"]!.GetValue<string>());
        var names = run.Result!["units"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["reshorc-enable", "reshorc-fail", "reshorc-ok"], names);
    }

    [Fact]
    public void Journal_and_masking_are_unsupported_on_openrc()
    {
        Assert.Equal("unsupported", rc.Resh("svc://reshorc-ok.logs").ErrorCode);
        Assert.Equal("unsupported", rc.Resh("svc://reshorc-ok.mask").ErrorCode);
        Assert.Equal("unsupported", rc.Resh("svc://reshorc-ok.create", "--", "/bin/true").ErrorCode);
    }

    [Fact]
    public void Forcing_the_systemd_backend_where_systemd_is_not_running_is_unavailable()
    {
        var run = rc.Resh("svc://reshorc-ok.status(backend=systemd)");
        Assert.Equal(7, run.ExitCode);
        Assert.Equal("unavailable", run.ErrorCode);
    }
}
