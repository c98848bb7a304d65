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
    public void Counters_are_unsigned_64_bit_past_2_pow_63_and_decr_stops_at_zero()
    {
        var k = P() + "u64";
        Assert.Equal("STORED\n", Raw($"set {k} 0 0 19\r\n9223372036854775806"));
        var inc = cache.M("incr", $"key={k}", "by=3");
        Assert.Equal(9223372036854775809UL, Ok(inc)["value"]!.GetValue<ulong>());
        Assert.Matches($"VALUE {k} 0 19\n9223372036854775809\n", Raw("get " + k));
        var dry = cache.M("incr", $"key={k}", "by=1", "--dry-run");
        Assert.Equal(9223372036854775810UL, Ok(dry)["value"]!.GetValue<ulong>());
        Assert.Equal(18446744073709551615UL, Ok(cache.M("incr", $"key={k}", "by=9223372036854775806"))["value"]!.GetValue<ulong>());
        var z = P() + "zero";
        Ok(cache.M("set", $"key={z}", "value=2"));
        var decr = Ok(cache.M("decr", $"key={z}", "by=5"));
        Assert.Equal(0, decr["value"]!.GetValue<long>());
        Assert.Equal(0, Ok(cache.M("decr", $"key={z}", "--dry-run"))["value"]!.GetValue<long>());
    }

    [Fact]
    public void A_value_larger_than_max_value_is_refused_and_max_value_raises_the_bound()
    {
        var k = P() + "big";
        using var tmp = new TempDir("mcbig");
        File.WriteAllBytes(tmp["v"], Enumerable.Repeat((byte)'x', 5000).ToArray());
        Ok(cache.M("set", $"key={k}", $"value=@{tmp["v"]}"));
        var refused = cache.M("get", $"key={k}", "max_value=4KiB");
        Fails(refused, "failed");
        Assert.Equal("too_large", refused.Envelope["error"]!["details"]!["reason"]!.GetValue<string>());
        Assert.Contains("max_value", refused.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.Equal(5000, Ok(cache.M("get", $"key={k}", "max_value=8KiB"))["length"]!.GetValue<long>());
        // The connection the refusal broke is not reused: a batch goes on with a fresh one.
        var lines = $"{{\"id\":1,\"stage\":\"{cache.Memcached}\",\"verb\":\"get\",\"args\":{{\"key\":\"{k}\",\"backend\":\"memcached\",\"max_value\":\"1KiB\"}}}}\n" +
                    $"{{\"id\":2,\"stage\":\"{cache.Memcached}\",\"verb\":\"get\",\"args\":{{\"key\":\"{k}\",\"backend\":\"memcached\"}}}}\n";
        var batch = ReshBinary.Run(["batch"], stdin: lines);
        var answers = batch.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("\"too_large\"", answers[0]);
        Assert.Contains("\"ok\":true", answers[1]);
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
