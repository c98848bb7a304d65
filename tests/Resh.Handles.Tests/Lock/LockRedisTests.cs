using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.Cache;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Lock;

/// <summary>
/// Issue 16, lock:// on Redis, against the real redis-server of the cache tests (requirepass, loopback): runs under one
/// lock never overlap across processes, a holder killed with SIGKILL frees the lock when its TTL ends and not before,
/// tokens guard release, fencing numbers grow, the password comes from a [lock.NAME] table and never shows.
/// </summary>
[Collection("cache")]
public sealed class LockRedisTests : IDisposable
{
    const string PasswordVar = "RESH_TEST_LOCK_PW";
    readonly CacheBackend _redis;
    readonly TempDir _dir = new("lockredis");
    readonly Dictionary<string, string> _env;

    public LockRedisTests(CacheBackend redis)
    {
        _redis = redis;
        var home = _dir["home"];
        Directory.CreateDirectory(home);
        // A generous per-command timeout: twenty resh processes start at once on a small, busy test machine.
        var config = _dir.File("config.toml", $"[lock.shared]\nurl = \"redis://127.0.0.1:{redis.RedisPort}\"\npassword = \"env:{PasswordVar}\"\ntimeout = \"30s\"\n");
        _env = new Dictionary<string, string> { ["RESH_HOME"] = home, ["RESH_CONFIG"] = config, [PasswordVar] = CacheBackend.Password };
    }

    public void Dispose() => _dir.Dispose();

    static string Name() => "t" + Guid.NewGuid().ToString("N")[..10];

    ReshRun Resh(params string[] args) => ReshBinary.Run(WithJson(args), env: _env, wait: TimeSpan.FromSeconds(200));

    /// <summary>--format json before a `--` (after it, words are the command's).</summary>
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

    static void NoPassword(ReshRun run) => Assert.DoesNotContain(CacheBackend.Password, run.Stdout + run.Stderr, StringComparison.Ordinal);

    JsonNode Status(string name) => Ok(Resh($"lock://shared/{name}.status"));

    [Fact]
    public async Task Twenty_concurrent_runs_increment_a_shared_counter_exactly_and_draw_increasing_fences()
    {
        var name = Name();
        var counter = _dir.File("counter", "0");
        // Read, pause, write: without the lock the runs would overwrite each other's increments.
        var script = $"n=$(cat {counter}); sleep 0.02; echo $((n+1)) > {counter}";
        var runs = Enumerable.Range(0, 20).Select(_ => Task.Run(() => Resh($"lock://shared/{name}.run", "wait=180s", "--", "/bin/sh", "-c", script))).ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.All(results, NoPassword);
        Assert.Equal("20", File.ReadAllText(counter).Trim());
        Assert.All(results, r => Assert.Equal("redis", r.Result!["backend"]!.GetValue<string>()));
        var fences = results.Select(r => r.Result!["fence"]!.GetValue<long>()).ToList();
        Assert.Equal(20, fences.Distinct().Count());
        Assert.False(Status(name)["held"]!.GetValue<bool>());
        Assert.Equal("0", _redis.Cli("EXISTS", $"resh:lock:{{{name}}}"));
        Assert.Equal(fences.Max().ToString(), _redis.Cli("GET", $"resh:fence:{{{name}}}"));
    }

    [Fact]
    public async Task A_holder_killed_with_sigkill_keeps_the_lock_until_its_ttl_ends_and_renewal_keeps_a_long_run_alive()
    {
        var name = Name();
        var pidFile = _dir["child.pid"];
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"lock://shared/{name}.run", "ttl=3s", "--", "/bin/sh", "-c", $"echo $$ > {pidFile}; exec sleep 120" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        using var resh = Process.Start(psi)!;
        try
        {
            for (var i = 0; i < 200 && !File.Exists(pidFile); i++) await Task.Delay(50);
            Assert.True(File.Exists(pidFile), "the command did not start");
            // Longer than the TTL: only renewals (every ttl/3) keep it held.
            await Task.Delay(4500);
            var held = Status(name);
            Assert.True(held["held"]!.GetValue<bool>());
            Assert.InRange(held["holder"]!["ttl_left"]!.GetValue<double>(), 0.5, 3.0);
            Assert.Equal(resh.Id, held["holder"]!["pid"]!.GetValue<int>());

            resh.Kill(); // SIGKILL: no release, no more renewals
            await resh.WaitForExitAsync();
            var killed = Stopwatch.StartNew();
            var key = $"resh:lock:{{{name}}}";
            // The last renewal was at most ttl/3 before the kill: the lease lasts at least 2 s more, and ends within 3 s.
            Assert.InRange(long.Parse(_redis.Cli("PTTL", key)), 1000, 3000);
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(0, 1500 - killed.ElapsedMilliseconds)));
            if (killed.ElapsedMilliseconds < 1900) Assert.True(_redis.Cli("EXISTS", key) == "1", "freed before its TTL ended");
            var next = Ok(Resh($"lock://shared/{name}.acquire", "wait=10s", "ttl=5s"));
            Assert.InRange(killed.Elapsed.TotalSeconds, 1.9, 15.0);
            Assert.True(next["waited_ms"]!.GetValue<double>() > 0);
        }
        finally
        {
            if (!resh.HasExited) resh.Kill();
            if (File.Exists(pidFile)) Shell.Run($"kill -9 {File.ReadAllText(pidFile).Trim()}");
        }
    }

    [Fact]
    public void Release_with_a_wrong_token_is_conflict_and_fences_increase_with_every_acquire()
    {
        var name = Name();
        var first = Ok(Resh($"lock://shared/{name}.acquire", "ttl=1m", "note=deploy 1.4"));
        var token = first["token"]!.GetValue<string>();
        var fence1 = first["fence"]!.GetValue<long>();
        Assert.Equal(32, token.Length);
        Assert.StartsWith(token + "\n", _redis.Cli("GET", $"resh:lock:{{{name}}}"));

        var second = Resh($"lock://shared/{name}.acquire");
        Assert.Equal("conflict", second.ErrorCode);
        Assert.Equal("deploy 1.4", second.Envelope["error"]!["details"]!["note"]!.GetValue<string>());
        Assert.Equal(fence1, second.Envelope["error"]!["details"]!["fence"]!.GetValue<long>());
        Assert.Contains($"lock://shared/{name}.status", second.Envelope["error"]!["hint"]!.GetValue<string>());

        var status = Status(name);
        Assert.True(status["held"]!.GetValue<bool>());
        Assert.Equal("redis", status["backend"]!.GetValue<string>());
        Assert.Equal($"127.0.0.1:{_redis.RedisPort}", status["server"]!.GetValue<string>());
        Assert.Equal(fence1, status["holder"]!["fence"]!.GetValue<long>());
        Assert.InRange(status["holder"]!["ttl_left"]!.GetValue<double>(), 50, 60);

        foreach (var wrong in new[] { new string('0', 32), token[..31], token + "x", "a\nb" })
        {
            var release = Resh($"lock://shared/{name}.release", "token=" + wrong);
            Assert.True(release.ErrorCode == "conflict", wrong + ": " + release);
            Assert.NotNull(release.Envelope["error"]!["hint"]);
        }
        Assert.Equal("usage", Resh($"lock://shared/{name}.release").ErrorCode);
        Assert.True(Status(name)["held"]!.GetValue<bool>());
        // The dry run says it would release, and does not.
        Assert.True(Resh($"lock://shared/{name}.release", "token=" + token, "--dry-run").Changed);
        Assert.True(Status(name)["held"]!.GetValue<bool>());

        var released = Resh($"lock://shared/{name}.release", "token=" + token);
        Assert.True(released.Changed, released.ToString());
        Assert.Equal("0", _redis.Cli("EXISTS", $"resh:lock:{{{name}}}"));
        Assert.False(Resh($"lock://shared/{name}.release", "token=" + token).Changed);

        var again = Ok(Resh($"lock://shared/{name}.acquire", "ttl=1m"));
        var fence2 = again["fence"]!.GetValue<long>();
        Assert.True(fence2 > fence1, $"{fence2} after {fence1}");
        var list = Ok(Resh("lock://shared.list"));
        Assert.Contains(list["locks"]!.AsArray(), l => l!["name"]!.GetValue<string>() == name && l["holder"]!["fence"]!.GetValue<long>() == fence2);
        Assert.True(Ok(Resh($"lock://shared/{name}.release", "force=true"))["released"]!.GetValue<bool>());
        Assert.DoesNotContain(Ok(Resh("lock://shared/.list"))["locks"]!.AsArray(), l => l!["name"]!.GetValue<string>() == name);
        var third = Ok(Resh($"lock://shared/{name}.acquire", "ttl=1m"))["fence"]!.GetValue<long>();
        Assert.True(third > fence2);
        Ok(Resh($"lock://shared/{name}.release", "force=true"));
    }

    [Fact]
    public async Task A_lock_broken_while_its_command_runs_is_reported_as_lost_in_the_envelope()
    {
        var name = Name();
        var started = _dir["started"];
        var run = Task.Run(() => Resh($"lock://shared/{name}.run", "ttl=600ms", "--", "/bin/sh", "-c", $"touch {started}; sleep 5"));
        for (var i = 0; i < 400 && !File.Exists(started); i++) await Task.Delay(25);
        Assert.True(File.Exists(started));
        Assert.True(Ok(Resh($"lock://shared/{name}.release", "force=true"))["released"]!.GetValue<bool>());
        var result = await run;
        Assert.Equal(0, result.ExitCode);
        var warnings = result.Envelope["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.Contains("was lost", StringComparison.Ordinal));
    }

    [Fact]
    public void The_password_comes_from_the_profile_and_never_shows_and_a_wrong_one_is_permission_denied()
    {
        var name = Name();
        var ok = Resh($"lock://shared/{name}.acquire", "ttl=10s");
        Ok(ok);
        NoPassword(ok);
        NoPassword(Resh($"lock://shared/{name}.status"));
        NoPassword(Resh("lock://shared.list"));
        NoPassword(Resh("help", "lock"));
        Ok(Resh($"lock://shared/{name}.release", "force=true"));

        var wrongEnv = new Dictionary<string, string>(_env) { [PasswordVar] = "wrong-pw-secret" };
        var wrong = ReshBinary.Run([$"lock://shared/{name}.acquire", "--format", "json"], env: wrongEnv);
        Assert.True(wrong.ErrorCode == "permission_denied", wrong.ToString());
        Assert.Contains("[lock.shared]", wrong.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.DoesNotContain("wrong-pw-secret", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);

        var unset = new Dictionary<string, string>(_env);
        unset.Remove(PasswordVar);
        var missing = ReshBinary.Run([$"lock://shared/{name}.status", "--format", "json"], env: unset);
        Assert.False(missing.Ok, missing.ToString());
        Assert.NotNull(missing.Envelope["error"]!["hint"]);

        // Inline, the target carries no password: the server refuses, and the hint points at a [lock.NAME] table.
        var inline = Resh($"lock://127.0.0.1:{_redis.RedisPort}/{name}.acquire");
        Assert.True(inline.ErrorCode == "permission_denied", inline.ToString());
        Assert.Contains("[lock.NAME]", inline.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.Equal("0", _redis.Cli("EXISTS", $"resh:lock:{{{name}}}"));
    }

    [Fact]
    public void Bad_names_and_unknown_servers_are_refused_with_a_hint_before_anything_is_written()
    {
        var before = _redis.Cli("DBSIZE");
        foreach (var bad in new[] { "lock://shared/a..b.acquire", "lock://shared/a/b.acquire", "lock://shared/../x.acquire", "lock://shared/.acquire",
                     "lock://shared/-x.acquire", "lock://shared/a{b}.acquire", "lock://shared/x.list", "lock:///a/b.status" })
        {
            var run = Resh(bad);
            Assert.True(run.ExitCode == 2 && run.ErrorCode == "usage", bad + ": " + run);
            Assert.NotNull(run.Envelope["error"]!["hint"]);
        }
        var ttl = Resh($"lock://shared/{Name()}.acquire", "ttl=10ms");
        Assert.Equal("usage", ttl.ErrorCode);
        Assert.Equal(before, _redis.Cli("DBSIZE"));

        var unknown = Resh("lock://nosuchprofile/x.status");
        Assert.True(unknown.ErrorCode == "not_found", unknown.ToString());
        Assert.Contains("shared", unknown.Envelope["error"]!["hint"]!.GetValue<string>());

        var down = Resh($"lock://127.0.0.1:{FreePort()}/x.status");
        Assert.True(down.ErrorCode == "unavailable", down.ToString());
        Assert.NotNull(down.Envelope["error"]!["hint"]);

        // etcd:// names the etcd backend (LockEtcdTests); nothing listens on this port.
        var etcd = _dir.File("etcd.toml", $"[lock.e]\nurl = \"etcd://127.0.0.1:{FreePort()}\"\n[lock.odd]\nurl = \"ftp://127.0.0.1\"\n");
        var env = new Dictionary<string, string>(_env) { ["RESH_CONFIG"] = etcd };
        Assert.Equal("unavailable", ReshBinary.Run(["lock://e/x.status", "--format", "json"], env: env).ErrorCode);
        Assert.Equal("usage", ReshBinary.Run(["lock://odd/x.status", "--format", "json"], env: env).ErrorCode);
    }

    [Fact]
    public void Lock_default_moves_triple_slash_names_to_redis_while_lock_name_stays_local()
    {
        var name = Name();
        var config = _dir.File("default.toml", $"[lock.default]\nurl = \"redis://127.0.0.1:{_redis.RedisPort}\"\npassword = \"env:{PasswordVar}\"\n");
        var env = new Dictionary<string, string>(_env) { ["RESH_CONFIG"] = config };
        ReshRun R(params string[] a) => ReshBinary.Run([.. a, "--format", "json"], env: env);

        var onRedis = Ok(R($"lock:///{name}.acquire", "ttl=10s"));
        Assert.Equal("redis", onRedis["backend"]!.GetValue<string>());
        Assert.Equal("1", _redis.Cli("EXISTS", $"resh:lock:{{{name}}}"));
        Assert.Equal("redis", Ok(R("lock:///.list"))["backend"]!.GetValue<string>());
        // lock://NAME is the local lock NAME: free, though the Redis lock of that name is held.
        var local = Ok(R($"lock://{name}.status"));
        Assert.Equal("local", local["backend"]!.GetValue<string>());
        Assert.False(local["held"]!.GetValue<bool>());
        Assert.Equal("local", Ok(R("lock://.list"))["backend"]!.GetValue<string>());
        Ok(R($"lock:///{name}.release", "force=true"));
    }

    [Fact]
    public void An_inline_server_without_a_password_works_as_written()
    {
        using var open = new OpenRedis();
        var name = Name();
        var target = $"lock://127.0.0.1:{open.Port}/{name}";
        var acquire = Ok(Resh($"{target}.acquire", "ttl=30s"));
        Assert.Equal(1, acquire["fence"]!.GetValue<long>());
        Assert.Equal("1", open.Cli("EXISTS", $"resh:lock:{{{name}}}"));
        var list = Ok(Resh($"lock://127.0.0.1:{open.Port}/.list"));
        Assert.Equal(name, list["locks"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("conflict", Resh($"{target}.run", "wait=0s", "--", "/bin/true").ErrorCode);
        Assert.True(Ok(Resh($"{target}.release", $"token={acquire["token"]!.GetValue<string>()}"))["released"]!.GetValue<bool>());
        var ran = Ok(Resh($"{target}.run", "--", "/bin/echo", "hi"));
        Assert.Equal("hi\n", ran["stdout"]!.GetValue<string>());
        Assert.Equal(2, ran["fence"]!.GetValue<long>());
        Assert.Equal("0", open.Cli("EXISTS", $"resh:lock:{{{name}}}"));
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>A redis-server of this test alone without a password, stopped by its PID.</summary>
    sealed class OpenRedis : IDisposable
    {
        readonly Process _process;
        public int Port { get; } = FreePort();

        public OpenRedis()
        {
            _process = Process.Start(new ProcessStartInfo("redis-server")
            {
                ArgumentList = { "--bind", "127.0.0.1", "--port", Port.ToString(), "--save", "", "--appendonly", "no", "--dir", Path.GetTempPath() },
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            _process.OutputDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            for (var i = 0; i < 100; i++)
            {
                try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, Port); return; }
                catch (SocketException) { Thread.Sleep(50); }
            }
            Dispose();
            throw new InvalidOperationException($"redis-server did not open port {Port}");
        }

        public string Cli(params string[] args)
        {
            var run = Shell.Run($"redis-cli -p {Port} {string.Join(' ', args.Select(Shell.Q))}");
            if (run.ExitCode != 0) throw new InvalidOperationException(run.ToString());
            return run.Stdout.Trim();
        }

        public void Dispose()
        {
            try { _process.Kill(); _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}
