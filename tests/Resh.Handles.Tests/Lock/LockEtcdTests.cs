using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Lock;

/// <summary>
/// Issue 16, lock:// on etcd, against a real etcd 3.4 with auth on (tests/setup/etcd.sh): twenty runs under one lock
/// never overlap, fences (create revisions) only grow, a holder killed with SIGKILL frees the lock when its lease ends
/// and not before, tokens guard release, and the password comes from a [lock.NAME] table and never shows.
/// </summary>
[Collection("etcd")]
public sealed class LockEtcdTests : IDisposable
{
    const string PasswordVar = "RESH_TEST_ETCD_PW";
    readonly EtcdBackend _etcd;
    readonly TempDir _dir = new("locketcd");
    readonly Dictionary<string, string> _env;

    public LockEtcdTests(EtcdBackend etcd)
    {
        _etcd = etcd;
        var home = _dir["home"];
        Directory.CreateDirectory(home);
        var config = _dir.File("config.toml",
            $"[lock.et]\nurl = \"http://127.0.0.1:{etcd.Port}\"\nuser = \"root\"\npassword = \"env:{PasswordVar}\"\ntimeout = \"30s\"\n");
        _env = new Dictionary<string, string> { ["RESH_HOME"] = home, ["RESH_CONFIG"] = config, [PasswordVar] = EtcdBackend.Password };
    }

    public void Dispose() => _dir.Dispose();

    static string Name() => "t" + Guid.NewGuid().ToString("N")[..10];

    ReshRun Resh(params string[] args) => ReshBinary.Run(WithJson(args), env: _env, wait: TimeSpan.FromSeconds(200));

    static string[] WithJson(string[] args)
    {
        var dash = Array.IndexOf(args, "--");
        return dash < 0 ? [.. args, "--format", "json"] : [.. args[..dash], "--format", "json", .. args[dash..]];
    }

    static JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    static void NoPassword(ReshRun run) => Assert.DoesNotContain(EtcdBackend.Password, run.Stdout + run.Stderr, StringComparison.Ordinal);

    JsonNode Status(string name) => Ok(Resh($"lock://et/{name}.status"));

    [Fact]
    public async Task Twenty_concurrent_runs_increment_a_shared_counter_exactly_and_draw_increasing_fences()
    {
        var name = Name();
        var counter = _dir.File("counter", "0");
        var script = $"n=$(cat {counter}); sleep 0.02; echo $((n+1)) > {counter}";
        var runs = Enumerable.Range(0, 20).Select(_ => Task.Run(() => Resh($"lock://et/{name}.run", "wait=180s", "--", "/bin/sh", "-c", script))).ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.All(results, NoPassword);
        Assert.Equal("20", File.ReadAllText(counter).Trim());
        Assert.All(results, r => Assert.Equal("etcd", r.Result!["backend"]!.GetValue<string>()));
        var fences = results.Select(r => r.Result!["fence"]!.GetValue<long>()).ToList();
        Assert.Equal(20, fences.Distinct().Count());
        Assert.False(Status(name)["held"]!.GetValue<bool>());
        Assert.Equal("", _etcd.Ctl("get", $"resh/lock/{name}"));
    }

    [Fact]
    public async Task A_holder_killed_with_sigkill_keeps_the_lock_until_its_lease_ends_and_renewal_keeps_a_long_run_alive()
    {
        var name = Name();
        var pidFile = _dir["child.pid"];
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"lock://et/{name}.run", "ttl=3s", "--", "/bin/sh", "-c", $"echo $$ > {pidFile}; exec sleep 120" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        using var resh = Process.Start(psi)!;
        try
        {
            for (var i = 0; i < 200 && !File.Exists(pidFile); i++) await Task.Delay(50);
            Assert.True(File.Exists(pidFile), "the command did not start");
            // Longer than the TTL: only keep-alives (every ttl/3) keep it held.
            await Task.Delay(5000);
            var held = Status(name);
            Assert.True(held["held"]!.GetValue<bool>());
            Assert.Equal(resh.Id, held["holder"]!["pid"]!.GetValue<int>());
            Assert.InRange(held["holder"]!["ttl_left"]!.GetValue<double>(), 0, 3.0);

            resh.Kill(); // SIGKILL: no release, no more keep-alives
            await resh.WaitForExitAsync();
            var killed = Stopwatch.StartNew();
            Assert.Equal("conflict", Resh($"lock://et/{name}.acquire").ErrorCode);
            var next = Ok(Resh($"lock://et/{name}.acquire", "wait=15s", "ttl=5s"));
            Assert.InRange(killed.Elapsed.TotalSeconds, 0.5, 15.0);
            Assert.True(next["waited_ms"]!.GetValue<double>() > 0);
            Ok(Resh($"lock://et/{name}.release", "force=true"));
        }
        finally
        {
            if (!resh.HasExited) resh.Kill();
            if (File.Exists(pidFile)) Shell.Run($"kill -9 {File.ReadAllText(pidFile).Trim()}");
        }
    }

    [Fact]
    public void Release_needs_the_token_and_fences_increase_with_every_acquire()
    {
        var name = Name();
        var first = Ok(Resh($"lock://et/{name}.acquire", "ttl=1m", "note=deploy 1.4"));
        var token = first["token"]!.GetValue<string>();
        var fence1 = first["fence"]!.GetValue<long>();
        Assert.Contains(token, _etcd.Ctl("get", "--print-value-only", $"resh/lock/{name}"));

        var second = Resh($"lock://et/{name}.acquire");
        Assert.Equal("conflict", second.ErrorCode);
        Assert.Equal("deploy 1.4", second.Envelope["error"]!["details"]!["note"]!.GetValue<string>());
        Assert.Equal(fence1, second.Envelope["error"]!["details"]!["fence"]!.GetValue<long>());

        var status = Status(name);
        Assert.True(status["held"]!.GetValue<bool>());
        Assert.Equal("etcd", status["backend"]!.GetValue<string>());
        Assert.Equal($"127.0.0.1:{_etcd.Port}", status["server"]!.GetValue<string>());
        Assert.InRange(status["holder"]!["ttl_left"]!.GetValue<double>(), 50, 60);

        foreach (var wrong in new[] { new string('0', 32), token[..31], token + "x" })
            Assert.Equal("conflict", Resh($"lock://et/{name}.release", "token=" + wrong).ErrorCode);
        Assert.True(Resh($"lock://et/{name}.release", "token=" + token, "--dry-run").Changed);
        Assert.True(Status(name)["held"]!.GetValue<bool>());
        Assert.True(Resh($"lock://et/{name}.release", "token=" + token).Changed);
        Assert.Equal("", _etcd.Ctl("get", $"resh/lock/{name}"));
        Assert.False(Resh($"lock://et/{name}.release", "token=" + token).Changed);

        var fence2 = Ok(Resh($"lock://et/{name}.acquire", "ttl=1m"))["fence"]!.GetValue<long>();
        Assert.True(fence2 > fence1, $"{fence2} after {fence1}");
        Assert.Contains(Ok(Resh("lock://et.list"))["locks"]!.AsArray(), l => l!["name"]!.GetValue<string>() == name);
        Assert.True(Ok(Resh($"lock://et/{name}.release", "force=true"))["released"]!.GetValue<bool>());
        Assert.DoesNotContain(Ok(Resh("lock://et.list"))["locks"]!.AsArray(), l => l!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public void The_password_never_shows_a_wrong_one_is_permission_denied_and_a_dead_server_is_unavailable()
    {
        var name = Name();
        var ok = Resh($"lock://et/{name}.acquire", "ttl=10s");
        Ok(ok);
        NoPassword(ok);
        NoPassword(Resh($"lock://et/{name}.status"));
        Ok(Resh($"lock://et/{name}.release", "force=true"));

        var wrongEnv = new Dictionary<string, string>(_env) { [PasswordVar] = "wrong-pw-secret" };
        var wrong = ReshBinary.Run([$"lock://et/{name}.acquire", "--format", "json"], env: wrongEnv);
        Assert.True(wrong.ErrorCode == "permission_denied", wrong.ToString());
        Assert.DoesNotContain("wrong-pw-secret", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
        Assert.NotNull(wrong.Envelope["error"]!["hint"]);

        // Without the user, auth is on: etcd refuses, and nothing was written.
        var anonymous = _dir.File("anon.toml", $"[lock.et]\nurl = \"http://127.0.0.1:{_etcd.Port}\"\n");
        var refused = ReshBinary.Run([$"lock://et/{name}.acquire", "--format", "json"], env: new Dictionary<string, string>(_env) { ["RESH_CONFIG"] = anonymous });
        Assert.True(refused.ErrorCode == "permission_denied", refused.ToString());
        Assert.Equal("", _etcd.Ctl("get", $"resh/lock/{name}"));

        // Nothing listens on the port: unavailable with a hint, quickly, no hang.
        var dead = _dir.File("dead.toml", "[lock.et]\nurl = \"http://127.0.0.1:9\"\n");
        var down = ReshBinary.Run([$"lock://et/{name}.acquire", "--format", "json"], env: new Dictionary<string, string>(_env) { ["RESH_CONFIG"] = dead }, wait: TimeSpan.FromSeconds(60));
        Assert.True(down.ErrorCode == "unavailable", down.ToString());
        Assert.NotNull(down.Envelope["error"]!["hint"]);
    }

    [Fact]
    public void The_command_gets_the_lock_name_and_its_fence_in_the_environment()
    {
        var name = Name();
        var run = Ok(Resh($"lock://et/{name}.run", "--", "/bin/sh", "-c", "printf '%s %s' \"$RESH_LOCK_NAME\" \"$RESH_LOCK_FENCE\""));
        Assert.Equal($"{name} {run["fence"]!.GetValue<long>()}", run["stdout"]!.GetValue<string>());
    }
}
