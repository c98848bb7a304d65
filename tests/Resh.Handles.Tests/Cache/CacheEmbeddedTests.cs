using System.Text;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Cache.CacheAssert;

namespace Resh.Handles.Tests.Cache;

/// <summary>The embedded store (cache:/// with no [cache.default]): a file under $RESH_HOME/cache.</summary>
public sealed class CacheEmbeddedTests
{
    static ReshRun Run(TempDir home, params string[] args) =>
        ReshBinary.Run(args, env: new Dictionary<string, string> { ["RESH_HOME"] = home["state"] });

    [Fact]
    public void The_issue_call_sets_a_key_in_the_embedded_store_with_private_permissions()
    {
        using var home = new TempDir("cacheemb");
        // ./resh cache:/// set key=k value=v
        var set = Run(home, "cache:///", "set", "key=k", "value=v");
        Assert.Equal("embedded", Ok(set)["backend"]!.GetValue<string>());
        Assert.True(set.Changed);
        var get = Ok(Run(home, "cache:///.get", "key=k"));
        Assert.Equal("v", get["value"]!.GetValue<string>());
        var store = home["state/cache/default.store"];
        Assert.Equal(store, get["server"]!.GetValue<string>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home["state/cache"]));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home["state"]));
        // No temporary files are left next to it.
        Assert.Equal(["default.store"], Directory.GetFiles(home["state/cache"]).Select(Path.GetFileName));
    }

    [Fact]
    public void Ttls_expire_and_nx_xx_ttl_expire_and_counters_work_without_a_server()
    {
        using var home = new TempDir("cacheemb");
        Ok(Run(home, "cache:///.set", "key=short", "value=x", "ttl=3s")); // long enough to still exist when ttl is asked on a loaded machine
        Assert.True(Ok(Run(home, "cache:///.ttl", "key=short"))["ttl_seconds"]!.GetValue<double>() <= 3);
        Eventually(() => !Ok(Run(home, "cache:///.exists", "key=short"))["exists"]!.GetValue<bool>(), "embedded expiry");
        Assert.False(Ok(Run(home, "cache:///.get", "key=short"))["exists"]!.GetValue<bool>());

        Assert.False(Ok(Run(home, "cache:///.set", "key=a", "value=1", "xx=true"))["written"]!.GetValue<bool>());
        Assert.True(Ok(Run(home, "cache:///.set", "key=a", "value=1", "nx=true"))["written"]!.GetValue<bool>());
        var again = Run(home, "cache:///.set", "key=a", "value=2", "nx=true");
        Assert.False(Ok(again)["written"]!.GetValue<bool>());
        Assert.False(again.Changed);
        Assert.Equal("1", Ok(Run(home, "cache:///.get", "key=a"))["value"]!.GetValue<string>());
        Assert.Equal(6, Ok(Run(home, "cache:///.incr", "key=a", "by=5"))["value"]!.GetValue<long>());
        Assert.Equal(-4, Ok(Run(home, "cache:///.decr", "key=new", "by=4"))["value"]!.GetValue<long>());
        Ok(Run(home, "cache:///.expire", "key=a", "ttl=1h"));
        Assert.InRange(Ok(Run(home, "cache:///.ttl", "key=a"))["ttl_seconds"]!.GetValue<double>(), 3590, 3600);
        Ok(Run(home, "cache:///.set", "key=t", "value=text"));
        Fails(Run(home, "cache:///.incr", "key=t"), "conflict");
        Fails(Run(home, "cache:///.set", "key=k", "value=v", "password=env:HOME"), "usage");
    }

    [Fact]
    public void Binary_values_mset_mget_keys_with_cursor_and_flush()
    {
        using var home = new TempDir("cacheemb");
        var bytes = new byte[] { 0, 0xfe, 0xff, 10, 13 };
        Ok(Run(home, "cache:///.set", "key=bin", $"value={Convert.ToBase64String(bytes)}", "encoding=base64"));
        var get = Ok(Run(home, "cache:///.get", "key=bin"));
        Assert.Equal("base64", get["encoding"]!.GetValue<string>());
        Assert.Equal(bytes, Convert.FromBase64String(get["value"]!.GetValue<string>()));
        var items = string.Join(',', Enumerable.Range(0, 25).Select(i => $"\"user:{i:D2}\":\"{i}\""));
        Ok(Run(home, "cache:///.mset", $"items:={{{items}}}"));
        var seen = new List<string>();
        var cursor = "0";
        var pages = 0;
        do
        {
            var page = Ok(Run(home, "cache:///.keys", "pattern=user:*", "limit=10", $"cursor={cursor}"));
            Assert.True(page["count"]!.GetValue<int>() <= 10);
            seen.AddRange(page["keys"]!.AsArray().Select(n => n!.GetValue<string>()));
            cursor = page["cursor"]!.GetValue<string>();
            pages++;
        } while (cursor != "0" && pages < 10);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"user:{i:D2}"), seen);
        Assert.Equal(["user:01", "user:11", "user:21"], Ok(Run(home, "cache:///.keys", "pattern=user:?1"))["keys"]!.AsArray().Select(n => n!.GetValue<string>()));
        var m = Ok(Run(home, "cache:///.mget", "keys=user:03,nope"));
        Assert.Equal("3", m["items"]![0]!["value"]!.GetValue<string>());
        Fails(Run(home, "cache:///.flush"), "usage");
        Assert.Equal(26, Ok(Run(home, "cache:///.flush", "--dry-run"))["keys"]!.GetValue<long>());
        Assert.Equal(26, Ok(Run(home, "cache:///.info"))["keys"]!.GetValue<long>());
        Ok(Run(home, "cache:///.flush", "force=true"));
        Assert.Equal(0, Ok(Run(home, "cache:///.info"))["keys"]!.GetValue<long>());
    }

    [Fact]
    public void Concurrent_processes_incrementing_one_key_give_the_exact_total()
    {
        using var home = new TempDir("cacheemb");
        const int processes = 6, each = 8;
        var env = $"RESH_HOME={Shell.Q(home["state"])}";
        var script = string.Join(" ", Enumerable.Range(0, processes).Select(_ =>
            $"( for i in $(seq {each}); do {env} \"$RESH\" cache:///.incr key=n >/dev/null || echo FAIL; done ) &")) + " wait";
        var run = Shell.Run(script, wait: TimeSpan.FromSeconds(240));
        Assert.DoesNotContain("FAIL", run.Stdout);
        Assert.Equal(processes * each, long.Parse(Ok(Run(home, "cache:///.get", "key=n"))["value"]!.GetValue<string>()));
    }

    [Fact]
    public void An_unprivileged_user_cannot_read_or_change_roots_store()
    {
        using var home = new TempDir("cacheemb");
        Ok(Run(home, "cache:///.set", "key=secret", "value=root-only"));
        Assert.Equal(0, Shell.Run($"chmod 755 {Shell.Q(home.Path)}").ExitCode);
        var before = File.ReadAllBytes(home["state/cache/default.store"]);
        foreach (var verb in new[] { "get key=secret", "set key=secret value=pwned", "keys", "flush force=true" })
        {
            var run = Shell.Run($"RESH_HOME={Shell.Q(home["state"])} setpriv --reuid=65534 --regid=65534 --clear-groups \"$RESH\" cache:///.{verb}");
            Assert.True(run.ExitCode == 4, $"{verb}: {run}");
            Assert.Contains("\"permission_denied\"", run.Stdout);
            Assert.DoesNotContain("root-only", run.Stdout + run.Stderr);
        }
        Assert.Equal(before, File.ReadAllBytes(home["state/cache/default.store"]));
        Assert.Equal(["default.store"], Directory.GetFiles(home["state/cache"]).Select(Path.GetFileName));
    }
}
