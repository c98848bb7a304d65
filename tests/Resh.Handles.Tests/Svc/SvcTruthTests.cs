using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>svc:// reports what systemd really did: failures that come a moment after a start, stale unit files, quoting.</summary>
[Collection(SystemdCollection.Name)]
public sealed class SvcTruthTests(SystemdContainer box)
{
    static string Str(JsonNode? n) => n!.GetValue<string>();

    void HandWritten(string name, string content)
    {
        File.WriteAllText(box.HostPath($"/etc/systemd/system/{name}.service"), content);
        Assert.Equal(0, box.Exec("systemctl", "daemon-reload").ExitCode);
    }

    [Fact]
    public void Starting_a_simple_unit_whose_user_is_missing_is_failed_with_the_journal_lines()
    {
        HandWritten("reshtest-nouser", "[Service]\nUser=resh-no-such-user\nExecStart=/bin/sleep 1000\n");
        var run = box.Resh("svc://reshtest-nouser.start");
        Assert.Equal("failed", run.ErrorCode);
        var details = run.Envelope["error"]!["details"]!;
        Assert.Equal(217, details["exit_code"]!.GetValue<int>());
        Assert.NotEmpty(details["journal"]!.AsArray());
        Assert.Equal("failed", box.Exec("systemctl", "is-active", "reshtest-nouser").Stdout.Trim());
    }

    [Fact]
    public void A_failed_simple_start_carries_its_journal_lines()
    {
        Assert.True(box.Resh("svc://reshtest-simplefail.create", "--", "/bin/sh", "-c", "echo simple-fail-marker; exit 3").Ok);
        var run = box.Resh("svc://reshtest-simplefail.start");
        Assert.Equal("failed", run.ErrorCode);
        var details = run.Envelope["error"]!["details"]!;
        Assert.Equal(3, details["exit_code"]!.GetValue<int>());
        Assert.Contains(details["journal"]!.AsArray(), l => Str(l).Contains("simple-fail-marker", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_refuses_a_user_that_does_not_exist()
    {
        var run = box.Resh("svc://reshtest-baduser.create", "user=resh-no-such-user", "--", "/bin/sleep", "10");
        Assert.Equal("not_found", run.ErrorCode);
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/reshtest-baduser.service")));
    }

    [Fact]
    public void Edit_set_quotes_an_environment_value_with_spaces_and_warns_a_running_unit()
    {
        Assert.True(box.Resh("svc://reshtest-envq.create", "--", "/bin/sleep", "100000").Ok);
        Assert.True(box.Resh("svc://reshtest-envq.start").Ok);
        var run = box.Resh("svc://reshtest-envq.edit.set(set=Environment=B=two words)");
        Assert.True(run.Ok, run.ToString());
        var (_, env, _) = box.Exec("systemctl", "show", "-p", "Environment", "--value", "reshtest-envq");
        Assert.Contains("B=two words", env);
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => Str(w).Contains("restart", StringComparison.Ordinal));
    }

    [Fact]
    public void Edit_set_keeps_a_secret_looking_environment_value_out_of_the_drop_in_and_the_diff()
    {
        const string secret = "edit-set-s3cret-Zq81";
        Assert.True(box.Resh("svc://reshtest-envsec.create", "--", "/bin/sleep", "100000").Ok);
        var run = box.Resh($"svc://reshtest-envsec.edit.set(set=Environment=DB_PASSWORD={secret})");
        Assert.True(run.Ok, run.ToString());
        Assert.DoesNotContain(secret, run.Stdout + run.Stderr);
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => Str(w).Contains("DB_PASSWORD", StringComparison.Ordinal));
        var dropIn = box.HostPath("/etc/systemd/system/reshtest-envsec.service.d/override.conf");
        Assert.DoesNotContain(secret, File.ReadAllText(dropIn));
        var envFile = Str(run.Result!["environment_file"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(box.HostPath(envFile)));
        Assert.Contains(secret, File.ReadAllText(box.HostPath(envFile)));
        // systemd sees the variable (through EnvironmentFile=).
        Assert.True(box.Resh("svc://reshtest-envsec.restart").Ok);
        var pid = box.Exec("systemctl", "show", "-p", "MainPID", "--value", "reshtest-envsec").Stdout.Trim();
        Assert.Contains($"DB_PASSWORD={secret}", box.Exec("cat", $"/proc/{pid}/environ").Stdout.Replace('\0', '\n'));
    }

    [Fact]
    public void Since_stays_when_a_running_unit_is_reloaded()
    {
        Assert.True(box.Resh("svc://reshtest-since.create", "--", "/bin/sleep", "100000").Ok);
        Assert.True(box.Resh("svc://reshtest-since.edit.set(set=ExecReload=/bin/true)").Ok);
        Assert.True(box.Resh("svc://reshtest-since.start").Ok);
        var before = Str(box.Resh("svc://reshtest-since.status").Result!["since"]);
        Thread.Sleep(50);
        Assert.True(box.Resh("svc://reshtest-since.reload").Ok);
        Assert.Equal(before, Str(box.Resh("svc://reshtest-since.status").Result!["since"]));
    }

    [Fact]
    public void A_unit_file_changed_on_disk_is_warned_and_daemon_reload_applies_it()
    {
        Assert.True(box.Resh("svc://reshtest-stale.create", "--", "/bin/sleep", "100000").Ok);
        Assert.True(box.Resh("svc://reshtest-stale.start").Ok);
        var path = box.HostPath("/etc/systemd/system/reshtest-stale.service");
        File.WriteAllText(path, File.ReadAllText(path).Replace("Description=reshtest-stale", "Description=changed by hand"));

        var status = box.Resh("svc://reshtest-stale.status");
        Assert.True(status.Result!["need_daemon_reload"]!.GetValue<bool>());
        Assert.NotEmpty(status.Envelope["warnings"]!.AsArray());
        var restart = box.Resh("svc://reshtest-stale.restart");
        Assert.True(restart.Ok, restart.ToString());
        Assert.Contains(restart.Envelope["warnings"]!.AsArray(), w => Str(w).Contains("daemon-reload", StringComparison.Ordinal));

        var applied = box.Resh("svc://reshtest-stale.restart(daemon_reload=true)");
        Assert.True(applied.Ok, applied.ToString());
        Assert.Empty(applied.Envelope["warnings"]!.AsArray());
        Assert.False(applied.Result!["status"]!["need_daemon_reload"]!.GetValue<bool>());
        Assert.Equal("changed by hand", Str(applied.Result!["status"]!["description"]));

        File.WriteAllText(path, File.ReadAllText(path).Replace("changed by hand", "changed again"));
        var reload = box.Resh("svc://.daemon-reload");
        Assert.True(reload.Ok, reload.ToString());
        Assert.True(reload.Result!["reloaded"]!.GetValue<bool>());
        Assert.False(box.Resh("svc://reshtest-stale.status").Result!["need_daemon_reload"]!.GetValue<bool>());
    }

    [Fact]
    public void Remove_refuses_a_hand_written_unit_unless_forced()
    {
        HandWritten("reshtest-handrm", "[Service]\nExecStart=/bin/sleep 1000\n");
        var refused = box.Resh("svc://reshtest-handrm.remove");
        Assert.Equal("conflict", refused.ErrorCode);
        Assert.True(File.Exists(box.HostPath("/etc/systemd/system/reshtest-handrm.service")));
        var forced = box.Resh("svc://reshtest-handrm.remove(force=true)");
        Assert.True(forced.Changed, forced.ToString());
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/reshtest-handrm.service")));
    }

    [Fact]
    public void Waiting_for_a_state_that_does_not_exist_is_a_usage_error()
    {
        var run = box.Resh("svc://systemd-journald.wait(state=bogus,timeout=30s)");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Equal(2, run.ExitCode);
    }

    [Fact]
    public void Logs_in_raw_format_print_the_lines_as_text()
    {
        Assert.True(box.Resh("svc://reshtest-rawlog.create(type=oneshot)", "--", "/bin/sh", "-c", "echo raw-line-marker").Ok);
        Assert.True(box.Resh("svc://reshtest-rawlog.start").Ok);
        Namespaced.WaitUntil(() => box.Resh("svc://reshtest-rawlog.logs", "--format", "raw").Stdout.Contains("raw-line-marker", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the line in the journal");
        var raw = box.Resh("svc://reshtest-rawlog.logs", "--format", "raw").Stdout;
        Assert.DoesNotContain("{", raw);
        Assert.Contains(raw.Split('\n'), l => l.EndsWith(": raw-line-marker", StringComparison.Ordinal));
    }

    [Fact]
    public void No_service_manager_is_unavailable_and_not_transient()
    {
        // This machine runs neither systemd nor OpenRC as its init.
        var run = ReshBinary.Run("svc://ssh.status");
        Assert.Equal("unavailable", run.ErrorCode);
        Assert.Null(run.Envelope["error"]!["details"]?["transient"]);
    }

    [Fact]
    public void Secret_env_goes_to_a_0600_environment_file_and_never_into_the_unit_or_the_envelope()
    {
        var secret = "pw-" + Guid.NewGuid().ToString("N")[..12];
        File.WriteAllText(box.HostPath("/tmp/reshtest-secret-source"), secret + "\n");
        string[] call = ["svc://reshtest-secretenv.create(type=oneshot)", "secret_env=DB_PASSWORD=file:/tmp/reshtest-secret-source", "env=API_TOKEN=literal-tok-9876",
            "--", "/bin/sh", "-c", "printf '%s|%s' \"$DB_PASSWORD\" \"$API_TOKEN\" > /tmp/reshtest-secret.out"];
        var create = box.Resh(call);
        Assert.True(create.Ok, create.ToString());
        Assert.DoesNotContain(secret, create.Stdout);
        Assert.DoesNotContain("literal-tok-9876", create.Stdout);
        Assert.Contains("DB_PASSWORD=***", create.Result!["diff"]!.GetValue<string>());
        Assert.Contains(create.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("API_TOKEN", StringComparison.Ordinal));
        var unit = File.ReadAllText(box.HostPath("/etc/systemd/system/reshtest-secretenv.service"));
        Assert.DoesNotContain(secret, unit);
        Assert.DoesNotContain("literal-tok-9876", unit);
        var envFile = Str(create.Result!["environment_file"]);
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(box.HostPath(envFile)));
        Assert.True(box.Resh("svc://reshtest-secretenv.start").Ok);
        Assert.Equal($"{secret}|literal-tok-9876", File.ReadAllText(box.HostPath("/tmp/reshtest-secret.out")));
        Assert.False(box.Resh(call).Changed);
        Assert.True(box.Resh("svc://reshtest-secretenv.remove").Changed);
        Assert.False(File.Exists(box.HostPath(envFile)));
    }
}
