using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Cache.CacheAssert;

namespace Resh.Handles.Tests.Cache;

/// <summary>
/// Logins against real ACL users. StackExchange.Redis logs a failed AUTH and carries on as the default user; when that
/// user has no password (nopass, the Redis default) a wrong password would silently run every command as default.
/// </summary>
[Collection("cache")]
public sealed class CacheRedisLoginTests(CacheBackend cache)
{
    static string P() => "t" + Guid.NewGuid().ToString("N")[..10] + ":";

    /// <summary>A redis-server of this test alone whose default user has no password (nopass), stopped by its PID.</summary>
    sealed class OpenRedis : IDisposable
    {
        readonly Process _process;
        public int Port { get; }
        public string Uri(string? user = null) => $"cache://{(user is null ? "" : user + "@")}127.0.0.1:{Port}";

        public OpenRedis()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            Port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
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

    static ReshRun WithPassword(string password, params string[] args) =>
        ReshBinary.Run([.. args, "password=env:RESH_TEST_PW"], env: new Dictionary<string, string> { ["RESH_TEST_PW"] = password });

    [Fact]
    public void A_wrong_password_fails_and_nothing_runs_as_the_passwordless_default_user()
    {
        using var redis = new OpenRedis();
        redis.Cli("ACL", "SETUSER", "ro2", "on", ">pw2", "~*", "+@all");
        redis.Cli("SET", "k", "secret-value");
        redis.Cli("ACL", "LOG", "RESET");
        redis.Cli("CONFIG", "RESETSTAT");

        var user = WithPassword("nottheone", $"{redis.Uri("ro2")}.get", "key=k");
        Fails(user, "permission_denied");
        Assert.Contains("authentication failed for user ro2", user.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(user.Envelope["error"]!["hint"]?.GetValue<string>()));
        Assert.DoesNotContain("secret-value", user.Stdout);

        // AUTH of the default user with a password it does not have.
        var dflt = WithPassword("nottheone", $"{redis.Uri()}.get", "key=k");
        Fails(dflt, "permission_denied");
        Assert.DoesNotContain("secret-value", dflt.Stdout);
        // Neither login ran a command: the server counted no GET.
        Assert.DoesNotContain("cmdstat_get:", redis.Cli("INFO", "commandstats"));

        // The right password works, and the user's own commands run.
        var right = WithPassword("pw2", $"{redis.Uri("ro2")}.get", "key=k");
        Assert.Equal("secret-value", Ok(right)["value"]!.GetValue<string>());
    }

    [Fact]
    public void A_wrong_password_of_an_acl_user_fails_over_tls()
    {
        var user = "u" + Guid.NewGuid().ToString("N")[..8];
        cache.Cli("ACL", "SETUSER", user, "on", ">right-pw", "~*", "+@all");
        try
        {
            var tls = $"cache://{user}@127.0.0.1:{cache.TlsPort}";
            var run = WithPassword("not-it", $"{tls}.get", "key=k", "tls=on", $"ca={cache.Ca}");
            Fails(run, "permission_denied");
            Assert.Contains($"authentication failed for user {user}", run.Envelope["error"]!["message"]!.GetValue<string>());
            Ok(WithPassword("right-pw", $"{tls}.get", "key=k", "tls=on", $"ca={cache.Ca}"));
        }
        finally { cache.Cli("ACL", "DELUSER", user); }
    }

    [Fact]
    public void A_least_privilege_acl_user_connects_and_a_refused_command_is_permission_denied()
    {
        var user = "u" + Guid.NewGuid().ToString("N")[..8];
        var k = P() + "ro";
        cache.Cli("SET", k, "v1");
        cache.Cli("ACL", "SETUSER", user, "on", ">pw123", "~*", "+get", "+hello", "+ping", "+client", "+auth");
        try
        {
            var uri = $"cache://{user}@127.0.0.1:{cache.RedisPort}";
            Ok(WithPassword("pw123", $"{uri}.ping"));
            // get asks TYPE first, which this user may not run: the envelope names the command.
            var get = WithPassword("pw123", $"{uri}.get", $"key={k}");
            Fails(get, "permission_denied");
            Assert.Contains("'type'", get.Envelope["error"]!["message"]!.GetValue<string>());
            var set = WithPassword("pw123", $"{uri}.set", $"key={k}", "value=v2");
            Fails(set, "permission_denied");
            Assert.Contains("'set'", set.Envelope["error"]!["message"]!.GetValue<string>());
            Assert.Equal("v1", cache.Cli("GET", k));
            var mget = WithPassword("pw123", $"{uri}.mget", $"keys={k}");
            Fails(mget, "permission_denied");
        }
        finally { cache.Cli("ACL", "DELUSER", user); }
    }

    [Fact]
    public void Persist_on_a_key_without_an_expiry_changes_nothing()
    {
        var k = P() + "p";
        Ok(cache.R("set", $"key={k}", "value=v", "ttl=1h"));
        var first = cache.R("expire", $"key={k}", "persist=true");
        Ok(first);
        Assert.True(first.Changed);
        Assert.Equal("-1", cache.Cli("TTL", k));
        var again = cache.R("expire", $"key={k}", "persist=true");
        Ok(again);
        Assert.False(again.Changed);
        Fails(cache.R("expire", $"key={P()}absent", "persist=true"), "not_found");
    }
}
