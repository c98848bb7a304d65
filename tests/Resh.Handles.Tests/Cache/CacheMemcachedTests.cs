using System.Text;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Cache.CacheAssert;

namespace Resh.Handles.Tests.Cache;

[Collection("cache")]
public sealed class CacheMemcachedTests(CacheBackend cache)
{
    static string P() => "m" + Guid.NewGuid().ToString("N")[..10] + ":";

    /// <summary>memcached's own answer for a key, over its text protocol (bash /dev/tcp), to check resh's effects.</summary>
    string Raw(string command)
    {
        var run = Shell.Run($"exec 3<>/dev/tcp/127.0.0.1/{cache.MemcachedPort}; printf '%s\\r\\nquit\\r\\n' {Shell.Q(command)} >&3; cat <&3");
        return run.Stdout.Replace("\r", "");
    }

    [Fact]
    public void Set_get_and_nx_xx_map_to_set_add_and_replace()
    {
        var k = P() + "k";
        Assert.False(Ok(cache.M("set", $"key={k}", "value=1", "xx=true"))["written"]!.GetValue<bool>());
        Assert.Equal("END\n", Raw("get " + k));
        Assert.True(Ok(cache.M("set", $"key={k}", "value=first", "nx=true"))["written"]!.GetValue<bool>());
        var nx = cache.M("set", $"key={k}", "value=second", "nx=true");
        Assert.False(Ok(nx)["written"]!.GetValue<bool>());
        Assert.False(nx.Changed);
        Assert.Equal($"VALUE {k} 0 5\nfirst\nEND\n", Raw("get " + k));
        Assert.True(Ok(cache.M("set", $"key={k}", "value=third", "xx=true"))["written"]!.GetValue<bool>());
        var get = Ok(cache.M("get", $"key={k}"));
        Assert.Equal("third", get["value"]!.GetValue<string>());
        Assert.Equal("memcached", get["backend"]!.GetValue<string>());
        Assert.True(Ok(cache.M("exists", $"key={k}"))["exists"]!.GetValue<bool>());
        Assert.True(Ok(cache.M("delete", $"key={k}"))["deleted"]!.GetValue<bool>());
        Assert.False(Ok(cache.M("exists", $"key={k}"))["exists"]!.GetValue<bool>());
    }

    [Fact]
    public void A_short_ttl_expires_and_ttl_reads_what_is_left()
    {
        var k = P() + "ttl";
        Ok(cache.M("set", $"key={k}", "value=x", "ttl=3s"));
        var ttl = Ok(cache.M("ttl", $"key={k}"));
        Assert.True(ttl["exists"]!.GetValue<bool>());
        Assert.InRange(ttl["ttl_seconds"]!.GetValue<double>(), 0, 3);
        Eventually(() => Raw("get " + k) == "END\n", "memcached expiry");
        Assert.False(Ok(cache.M("get", $"key={k}"))["exists"]!.GetValue<bool>());
        var p = P() + "persist";
        Ok(cache.M("set", $"key={p}", "value=x"));
        Assert.True(Ok(cache.M("ttl", $"key={p}"))["persistent"]!.GetValue<bool>());
        Ok(cache.M("expire", $"key={p}", "ttl=1h"));
        Assert.InRange(Ok(cache.M("ttl", $"key={p}"))["ttl_seconds"]!.GetValue<double>(), 3500, 3600);
    }

    [Fact]
    public void Binary_values_round_trip_byte_for_byte()
    {
        using var tmp = new TempDir("mcbin");
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Encoding.ASCII.GetBytes("\r\nEND\r\n")).ToArray();
        File.WriteAllBytes(tmp["b"], bytes);
        var k = P() + "bin";
        Ok(cache.M("set", $"key={k}", $"value=@{tmp["b"]}"));
        var get = Ok(cache.M("get", $"key={k}"));
        Assert.Equal("base64", get["encoding"]!.GetValue<string>());
        Assert.Equal(bytes, Convert.FromBase64String(get["value"]!.GetValue<string>()));
        var m = Ok(cache.M("mget", $"keys={k},{P()}none"));
        Assert.Equal(1, m["found"]!.GetValue<int>());
        Assert.Equal(bytes, Convert.FromBase64String(m["items"]![0]!["value"]!.GetValue<string>()));
    }

    [Fact]
    public void Counters_stats_ping_and_what_memcached_cannot_do()
    {
        var k = P() + "c";
        Assert.Equal(3, Ok(cache.M("incr", $"key={k}", "by=3"))["value"]!.GetValue<long>());
        Assert.Equal(10, Ok(cache.M("incr", $"key={k}", "by=7"))["value"]!.GetValue<long>());
        Assert.Equal(9, Ok(cache.M("decr", $"key={k}"))["value"]!.GetValue<long>());
        // memcached's decr keeps the item's length (it pads with spaces): the server's own bytes, shown as they are.
        Assert.Matches($"VALUE {k} 0 \\d+\n9 *\n", Raw("get " + k));
        Ok(cache.M("set", $"key={k}t", "value=text"));
        Fails(cache.M("incr", $"key={k}t"), "conflict");
        var stats = Ok(cache.M("stats"));
        Assert.StartsWith("1.6", stats["version"]!.GetValue<string>());
        Assert.True(stats["keys"]!.GetValue<long>() >= 1);
        Assert.True(stats["fields"]!["pid"]!.GetValue<long>() > 0);
        Assert.StartsWith("1.6", Ok(cache.M("ping"))["version"]!.GetValue<string>());
        Fails(cache.M("keys"), "unsupported");
        Fails(cache.M("get", "key=has space"), "usage");
        Fails(cache.M("get", "key=k", "tls=on"), "unsupported");
    }

    [Fact]
    public void Flush_needs_force_and_then_empties_the_cache()
    {
        var k = P() + "f";
        Ok(cache.M("set", $"key={k}", "value=x"));
        Fails(cache.M("flush"), "usage");
        var dry = cache.M("flush", "--dry-run");
        Assert.True(Ok(dry)["keys"]!.GetValue<long>() >= 1);
        Assert.Contains("VALUE", Raw("get " + k));
        Assert.True(Ok(cache.M("flush", "force=true"))["flushed"]!.GetValue<bool>());
        Assert.Equal("END\n", Raw("get " + k));
    }
}
