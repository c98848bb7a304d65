using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>svc:// against a real systemd 252 running as PID 1 of a container; resh runs inside it.</summary>
[Collection(SystemdCollection.Name)]
public sealed class SvcSystemdTests(SystemdContainer box)
{
    static string Str(JsonNode? n) => n!.GetValue<string>();

    /// <summary>A long-running unit created through resh, unique per test. One process and no children: in this
    /// container systemd does not notice a cgroup emptied by a stray child, so stopping such units would wait 90 s.</summary>
    string Daemon(string name)
    {
        var create = box.Resh($"svc://{name}.create", "--", "/bin/sleep", "100000");
        Assert.True(create.Ok, create.ToString());
        return name + ".service";
    }

    [Fact]
    public void Create_refuses_a_program_that_systemd_would_read_as_an_exec_prefix()
    {
        // s31 attacker #1: systemd unquotes before it reads prefixes, so "+/bin/sh" ran with full privileges despite User=.
        foreach (var program in new[] { "+/bin/sh", "!/bin/sh", "-/bin/sh", "@/bin/sh", ":/bin/sh", "|/bin/sh" })
        {
            var run = box.Resh("svc://reshtest-prefix.create", "user=nobody", "--", program, "-c", "id");
            Assert.True(run.ErrorCode == "usage", program + ": " + run);
        }
        Assert.Equal("usage", box.Resh("svc://reshtest-prefix.create", "command=+/bin/sh -c id").ErrorCode);
    }

    [Fact]
    public void Status_of_a_running_unit_reports_active_state_main_pid_and_enablement()
    {
        var unit = Daemon("reshtest-status");
        Assert.Equal(0, box.Resh("svc://reshtest-status.start").ExitCode);
        var run = box.Resh("svc://reshtest-status.status");
        Assert.Equal(0, run.ExitCode);
        var r = run.Result!;
        Assert.Equal(unit, Str(r["name"]));
        Assert.Equal("systemd", Str(r["backend"]));
        Assert.Equal("active", Str(r["active_state"]));
        Assert.Equal("running", Str(r["sub_state"]));
        Assert.Equal("disabled", Str(r["enabled"]));
        var pid = r["main_pid"]!.GetValue<int>();
        var (_, mainPid, _) = box.Exec("systemctl", "show", "-p", "MainPID", "--value", unit);
        Assert.Equal(mainPid.Trim(), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("/etc/systemd/system/" + unit, Str(r["path"]));
    }

    [Fact]
    public void Starting_an_active_unit_is_unchanged()
    {
        Daemon("reshtest-idem");
        var first = box.Resh("svc://reshtest-idem.start");
        Assert.True(first.Changed);
        Assert.Equal("inactive", Str(first.Result!["before"]));
        Assert.Equal("active", Str(first.Result!["after"]));
        var second = box.Resh("svc://reshtest-idem.start");
        Assert.Equal(0, second.ExitCode);
        Assert.False(second.Changed);
        Assert.Equal("active", box.Exec("systemctl", "is-active", "reshtest-idem").Stdout.Trim());
    }

    [Fact]
    public void A_unit_that_fails_to_start_is_failed_with_its_last_journal_lines()
    {
        Assert.True(box.Resh("svc://reshtest-bad.create(type=oneshot)", "--", "/bin/sh", "-c", "echo about-to-fail; echo boom-reshtest >&2; exit 3").Ok);
        var run = box.Resh("svc://reshtest-bad.start");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("failed", run.ErrorCode);
        var details = run.Envelope["error"]!["details"]!;
        Assert.Equal(3, details["exit_code"]!.GetValue<int>());
        Assert.Contains(details["journal"]!.AsArray(), l => Str(l).Contains("boom-reshtest", StringComparison.Ordinal));
        Assert.Equal("failed", box.Exec("systemctl", "is-active", "reshtest-bad").Stdout.Trim());
        var failed = box.Resh("svc://.list(state=failed)");
        Assert.Contains(failed.Result!["units"]!.AsArray(), u => Str(u!["name"]) == "reshtest-bad.service");
    }

    [Fact]
    public void An_unknown_unit_is_not_found_with_similar_names()
    {
        Daemon("reshtest-alpha");
        var run = box.Resh("svc://reshtest-alpah.status");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
        Assert.Contains(run.Envelope["error"]!["details"]!["similar"]!.AsArray(), s => Str(s) == "reshtest-alpha.service");
        Assert.Equal("not_found", box.Resh("svc://reshtest-alpah.start").ErrorCode);
    }

    [Fact]
    public void The_exact_calls_of_the_issue_answer_with_envelopes()
    {
        var status = box.Resh("svc://nginx.status");
        Assert.Equal("not_found", status.ErrorCode); // no nginx in the container: a clean answer, not a crash
        var restart = box.Resh("svc://nginx", "restart");
        Assert.Equal("restart", Str(restart.Envelope["verb"]));
        Assert.Equal("not_found", restart.ErrorCode);
        var help = box.Resh("help", "svc", "--format", "json");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains(help.Result!["handle"]!["verbs"]!.AsArray(), v => Str(v!["name"]) == "edit.set");
    }

    [Fact]
    public void Stopping_twice_changes_only_once()
    {
        Daemon("reshtest-stop");
        box.Resh("svc://reshtest-stop.start");
        var first = box.Resh("svc://reshtest-stop.stop");
        Assert.True(first.Changed);
        Assert.Equal("inactive", box.Exec("systemctl", "is-active", "reshtest-stop").Stdout.Trim());
        Assert.False(box.Resh("svc://reshtest-stop.stop").Changed);
        Assert.False(box.Resh("svc://reshtest-stop.try-restart").Changed);
    }

    [Fact]
    public void Restart_gives_the_unit_a_new_main_pid()
    {
        Daemon("reshtest-restart");
        var before = box.Resh("svc://reshtest-restart.start").Result!["status"]!["main_pid"]!.GetValue<int>();
        var run = box.Resh("svc://reshtest-restart", "restart");
        Assert.True(run.Changed);
        Assert.NotEqual(before, run.Result!["status"]!["main_pid"]!.GetValue<int>());
    }

    [Fact]
    public void Reload_runs_the_units_reload_command()
    {
        // A shell that logs each HUP (never stopped here: its sleep children would hold the cgroup, see Daemon).
        Assert.True(box.Resh("svc://reshtest-reload.create", "--", "/bin/sh", "-c", "echo started; trap 'echo reloaded' HUP; while :; do sleep 0.1; done").Ok);
        Assert.True(box.Resh("svc://reshtest-reload.edit.set(set=ExecReload=/bin/kill -HUP $MAINPID)").Ok);
        Assert.True(box.Resh("svc://reshtest-reload.start").Ok);
        var run = box.Resh("svc://reshtest-reload.reload");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        Namespaced.WaitUntil(() => box.Resh("svc://reshtest-reload.logs").Result!["lines"]!.AsArray().Any(l => Str(l!["message"]) == "reloaded"),
            TimeSpan.FromSeconds(10), "the unit to log its reload");
    }

    [Fact]
    public void Reload_of_a_unit_without_reload_command_is_unsupported()
    {
        Daemon("reshtest-noreload");
        box.Resh("svc://reshtest-noreload.start");
        var run = box.Resh("svc://reshtest-noreload.reload");
        Assert.Equal("unsupported", run.ErrorCode);
    }

    [Fact]
    public void Enable_with_now_enables_and_starts_and_disable_with_now_undoes_both()
    {
        Daemon("reshtest-enable");
        var enable = box.Resh("svc://reshtest-enable.enable(now=true)");
        Assert.True(enable.Changed);
        Assert.Equal("enabled", box.Exec("systemctl", "is-enabled", "reshtest-enable").Stdout.Trim());
        Assert.Equal("active", box.Exec("systemctl", "is-active", "reshtest-enable").Stdout.Trim());
        Assert.False(box.Resh("svc://reshtest-enable.enable").Changed);
        Assert.True(box.Resh("svc://reshtest-enable.is-enabled").Result!["enabled"]!.GetValue<bool>());
        var disable = box.Resh("svc://reshtest-enable.disable(now=true)");
        Assert.True(disable.Changed);
        Assert.Equal("disabled", box.Exec("systemctl", "is-enabled", "reshtest-enable").Stdout.Trim());
        Assert.Equal("inactive", box.Exec("systemctl", "is-active", "reshtest-enable").Stdout.Trim());
    }

    [Fact]
    public void A_masked_vendor_unit_cannot_be_started_until_unmasked()
    {
        // A runtime unit (/run/systemd/system) stands in for a vendor unit: masking puts /dev/null in /etc above it.
        File.WriteAllText(box.HostPath("/run/systemd/system/reshtest-vendor.service"), "[Service]\nExecStart=/bin/sleep 1000\n");
        box.Exec("systemctl", "daemon-reload");
        var mask = box.Resh("svc://reshtest-vendor.mask");
        Assert.True(mask.Changed, mask.ToString());
        Assert.Equal("masked", box.Exec("systemctl", "is-enabled", "reshtest-vendor").Stdout.Trim());
        Assert.False(box.Resh("svc://reshtest-vendor.mask").Changed);
        Assert.Equal("conflict", box.Resh("svc://reshtest-vendor.start").ErrorCode);
        Assert.True(box.Resh("svc://reshtest-vendor.unmask").Changed);
        Assert.Equal(0, box.Resh("svc://reshtest-vendor.start").ExitCode);
        box.Resh("svc://reshtest-vendor.stop");
    }

    [Fact]
    public void Create_keeps_every_argument_exactly_as_given()
    {
        string[] args = ["two words", "quote\"d", "single'q", "back\\slash", "$HOME", "${USER}", "100%", "%n", ";", "-", "", "tab\there"];
        var create = box.Resh(["svc://reshtest-argv.create(type=oneshot)", "--", "/bin/sh", "-c", "printf '%s\\n' \"$@\" > /tmp/reshtest-argv.txt", "sh", .. args]);
        Assert.True(create.Ok, create.ToString());
        var start = box.Resh("svc://reshtest-argv.start");
        Assert.True(start.Ok, start.ToString());
        var written = File.ReadAllText(box.HostPath("/tmp/reshtest-argv.txt"));
        Assert.Equal(string.Join('\n', args) + "\n", written);
    }

    [Fact]
    public void Create_is_idempotent_and_dry_run_writes_nothing()
    {
        string[] call = ["svc://reshtest-create.create", "description=resh test", "user=nobody", "env=A=1 2", "restart=on-failure", "after=network.target", "--", "/bin/sleep", "1000"];
        var dry = box.Resh(["--dry-run", .. call]);
        Assert.True(dry.Changed);
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/reshtest-create.service")));
        var first = box.Resh(call);
        Assert.True(first.Changed);
        Assert.NotNull(first.Result!["diff"]);
        Assert.False(box.Resh(call).Changed);
        var (_, user, _) = box.Exec("systemctl", "show", "-p", "User", "--value", "reshtest-create");
        Assert.Equal("nobody", user.Trim());
        var (_, env, _) = box.Exec("systemctl", "show", "-p", "Environment", "--value", "reshtest-create");
        Assert.Contains("A=1 2", env);
    }

    [Fact]
    public void Create_refuses_to_overwrite_a_unit_file_resh_did_not_write()
    {
        File.WriteAllText(box.HostPath("/etc/systemd/system/reshtest-foreign.service"), "[Service]\nExecStart=/bin/true\n");
        var run = box.Resh("svc://reshtest-foreign.create", "--", "/bin/sleep", "5");
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Equal("[Service]\nExecStart=/bin/true\n", File.ReadAllText(box.HostPath("/etc/systemd/system/reshtest-foreign.service")));
    }

    [Fact]
    public void Edit_set_writes_a_drop_in_that_systemd_applies()
    {
        Daemon("reshtest-edit");
        var run = box.Resh("svc://reshtest-edit.edit.set(properties:={\"Environment\":[\"FOO=bar\",\"BAZ=q x\"],\"RestartSec\":\"7\"})");
        Assert.True(run.Changed, run.ToString());
        var (_, env, _) = box.Exec("systemctl", "show", "-p", "Environment", "--value", "reshtest-edit");
        Assert.Contains("FOO=bar", env);
        var (_, sec, _) = box.Exec("systemctl", "show", "-p", "RestartUSec", "--value", "reshtest-edit");
        Assert.Equal("7s", sec.Trim());
        Assert.False(box.Resh("svc://reshtest-edit.edit.set(properties:={\"Environment\":[\"FOO=bar\",\"BAZ=q x\"],\"RestartSec\":\"7\"})").Changed);
        var cat = box.Resh("svc://reshtest-edit.cat");
        var files = cat.Result!["files"]!.AsArray();
        Assert.Equal(2, files.Count);
        Assert.EndsWith("/reshtest-edit.service.d/override.conf", Str(files[1]!["path"]));
        Assert.Contains("RestartSec=7", Str(files[1]!["content"]));
    }

    [Fact]
    public void Remove_stops_disables_and_deletes_and_a_second_remove_is_unchanged()
    {
        Daemon("reshtest-remove");
        box.Resh("svc://reshtest-remove.enable(now=true)");
        box.Resh("svc://reshtest-remove.edit.set(set=Restart=always)");
        var run = box.Resh("svc://reshtest-remove.remove");
        Assert.True(run.Changed, run.ToString());
        Assert.True(run.Result!["stopped"]!.GetValue<bool>());
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/reshtest-remove.service")));
        Assert.False(Directory.Exists(box.HostPath("/etc/systemd/system/reshtest-remove.service.d")));
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/multi-user.target.wants/reshtest-remove.service")));
        Assert.NotEqual("active", box.Exec("systemctl", "is-active", "reshtest-remove").Stdout.Trim());
        var again = box.Resh("svc://reshtest-remove.remove");
        Assert.Equal(0, again.ExitCode);
        Assert.False(again.Changed);
    }

    [Fact]
    public void Logs_return_journal_lines_and_follow_streams_them_as_events()
    {
        Assert.True(box.Resh("svc://reshtest-logs.create", "--", "/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.2; done").Ok);
        box.Resh("svc://reshtest-logs.start");
        Namespaced.WaitUntil(() => box.Resh("svc://reshtest-logs.logs(lines=5)").Result!["lines"]!.AsArray().Count(l => Str(l!["message"]).StartsWith("tick-", StringComparison.Ordinal)) >= 3,
            TimeSpan.FromSeconds(10), "tick lines in the journal");
        var some = box.Resh("svc://reshtest-logs.logs(lines=3)");
        Assert.Equal(3, some.Result!["count"]!.GetValue<int>());
        var follow = box.Resh("svc://reshtest-logs.logs(follow=true,lines=0)", "--timeout", "2s");
        Assert.Equal(0, follow.ExitCode);
        Assert.True(follow.Events.Count(e => Str(e["event"]) == "line") >= 2, follow.ToString());
        Assert.All(follow.Events, e => Assert.StartsWith("tick-", Str(e["message"])));
        var warnings = box.Resh("svc://reshtest-logs.logs(priority=err)");
        Assert.Equal(0, warnings.Result!["count"]!.GetValue<int>());
    }

    [Fact]
    public void Wait_returns_when_the_state_is_reached_and_times_out_otherwise()
    {
        Daemon("reshtest-wait");
        var timeout = box.Resh("svc://reshtest-wait.wait(state=active,timeout=300ms)");
        Assert.Equal(6, timeout.ExitCode);
        Assert.Equal("timeout", timeout.ErrorCode);
        box.Resh("svc://reshtest-wait.start");
        var ok = box.Resh("svc://reshtest-wait.wait(state=running,timeout=10s)");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("running", Str(ok.Result!["sub_state"]));
    }

    [Fact]
    public void Is_active_and_is_enabled_answer_false_for_an_unknown_unit()
    {
        var active = box.Resh("svc://reshtest-nothing.is-active");
        Assert.Equal(0, active.ExitCode);
        Assert.False(active.Result!["active"]!.GetValue<bool>());
        Assert.False(active.Result!["exists"]!.GetValue<bool>());
        var enabled = box.Resh("svc://reshtest-nothing.is-enabled");
        Assert.False(enabled.Result!["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public void List_shows_loaded_services_with_their_enablement()
    {
        Daemon("reshtest-list");
        box.Resh("svc://reshtest-list.enable(now=true)");
        var run = box.Resh("svc://.list(pattern=reshtest-list*)");
        var unit = run.Result!["units"]!.AsArray().Single()!;
        Assert.Equal("active", Str(unit["active_state"]));
        Assert.Equal("enabled", Str(unit["enabled"]));
        var all = box.Resh("svc://.list");
        Assert.Contains(all.Result!["units"]!.AsArray(), u => Str(u!["name"]) == "systemd-journald.service");
        box.Resh("svc://reshtest-list.disable(now=true)");
    }

    [Fact]
    public async Task Parallel_edit_sets_of_one_drop_in_all_survive()
    {
        Daemon("reshtest-paredit");
        string[] settings = ["RestartSec=7", "TimeoutStopSec=9", "Nice=5", "LimitNOFILE=4096"];
        var runs = await Task.WhenAll(settings.Select(set => Task.Run(() => box.Resh($"svc://reshtest-paredit.edit.set(set={set})"))));
        foreach (var r in runs) Assert.True(r.Ok, r.ToString());
        var text = File.ReadAllText(box.HostPath("/etc/systemd/system/reshtest-paredit.service.d/override.conf"));
        foreach (var set in settings) Assert.Contains(set + "\n", text);
    }

    [Fact]
    public void Names_outside_the_unit_name_alphabet_are_usage_errors()
    {
        foreach (var name in new[] { "rvü", "rvu-web;id", "rvu web", "a$(id)" })
        {
            var run = box.Resh($"svc://{name}.status");
            Assert.Equal("usage", run.ErrorCode);
            Assert.Equal(2, run.ExitCode);
        }
    }

    [Fact]
    public void Logs_with_a_time_journalctl_cannot_parse_is_a_usage_error()
    {
        Daemon("reshtest-logsince");
        var run = box.Resh("svc://reshtest-logsince.logs(since=garbage)");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Equal(2, run.ExitCode);
    }

    ReshRun AsNobody(params string[] args) => Namespaced.Resh(box.Leader, "-a -S 65534 -G 65534", SystemdContainer.ReshInside, args);

    [Fact]
    public void An_unprivileged_stop_is_permission_denied_with_systemctls_words_and_its_dry_run_warns()
    {
        Daemon("reshtest-nobody");
        Assert.True(box.Resh("svc://reshtest-nobody.start").Ok);
        var stop = AsNobody("svc://reshtest-nobody.stop");
        Assert.Equal("permission_denied", stop.ErrorCode);
        Assert.Equal(4, stop.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(Str(stop.Envelope["error"]!["details"]!["systemctl"])));
        Assert.Equal("active", box.Exec("systemctl", "is-active", "reshtest-nobody").Stdout.Trim());
        var dry = AsNobody("--dry-run", "svc://reshtest-nobody.stop");
        Assert.Contains(dry.Envelope["warnings"]!.AsArray(), w => w!.ToJsonString().Contains("root", StringComparison.Ordinal));
        Assert.True(box.Resh("svc://reshtest-nobody.stop").Ok);
    }
}
