using System.Text;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Cache.CacheAssert;

namespace Resh.Handles.Tests.Cache;

/// <summary>
/// Review finding #18: answers a real server never gives (a TTL below -2) are refused as protocol errors, and a key SCAN
/// returns twice (Redis documents this while the table rehashes) is listed once, the limit counting distinct keys.
/// The lying server is a fake on loopback; the ordinary path is real Redis. Finding #5: --verbose never prints a target's password.
/// </summary>
[Collection("cache")]
public sealed class CacheReplyCheckTests(CacheBackend cache)
{
    static Task Send(Stream s, string text, CancellationToken ct) => s.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();

    static string Bulks(params string[] items) => $"*{items.Length}\r\n" + string.Concat(items.Select(i => $"${i.Length}\r\n{i}\r\n"));

    [Theory]
    [InlineData(":-3\r\n")]
    [InlineData(":-9223372036854775808\r\n")]
    public void A_pttl_below_minus_two_is_a_protocol_failure(string reply)
    {
        using var server = FakeCacheServer.Redis(async (cmd, s, ct) =>
        {
            if (cmd[0].ToUpperInvariant() != "PTTL") return false;
            await Send(s, reply, ct);
            return true;
        });
        var run = ReshBinary.Run($"cache://127.0.0.1:{server.Port}.ttl", "key=k", "timeout=5s");
        Fails(run, "failed");
        Assert.Equal("protocol", run.Envelope["error"]!["details"]!["reason"]!.GetValue<string>());
        Assert.Contains("broke the protocol", run.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_memcached_ttl_below_minus_one_is_a_protocol_failure()
    {
        using var server = new FakeCacheServer(async (s, ct) =>
        {
            while (await FakeCacheServer.ReadLineAsync(s, ct) is { } line)
                await Send(s, line.StartsWith("mg ", StringComparison.Ordinal) ? "HD t-7\r\n" : "ERROR\r\n", ct);
        });
        var run = ReshBinary.Run($"cache://127.0.0.1:{server.Port}.ttl", "key=k", "backend=memcached", "timeout=5s");
        Fails(run, "failed");
        Assert.Equal("protocol", run.Envelope["error"]!["details"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Keys_scan_returns_twice_are_listed_once_and_the_limit_counts_distinct_keys()
    {
        // Page 1 (cursor 0 → 7): a, b, a again; page 2 (7 → 0): b again, c, d.
        using var server = FakeCacheServer.Redis(async (cmd, s, ct) =>
        {
            if (cmd[0].ToUpperInvariant() != "SCAN") return false;
            await Send(s, cmd[1] == "0" ? "*2\r\n$1\r\n7\r\n" + Bulks("a", "b", "a") : "*2\r\n$1\r\n0\r\n" + Bulks("b", "c", "d"), ct);
            return true;
        });
        var all = Ok(ReshBinary.Run($"cache://127.0.0.1:{server.Port}.keys", "limit=100", "timeout=5s"));
        Assert.Equal(["a", "b", "c", "d"], all["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Equal(4, all["count"]!.GetValue<int>());
        Assert.False(all["truncated"]!.GetValue<bool>());
        var three = Ok(ReshBinary.Run($"cache://127.0.0.1:{server.Port}.keys", "limit=3", "timeout=5s"));
        Assert.Equal(["a", "b", "c"], three["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.True(three["truncated"]!.GetValue<bool>());
    }

    [Fact]
    public void Real_redis_lists_each_key_once_and_ttls_stay_as_they_were()
    {
        var p = "t" + Guid.NewGuid().ToString("N")[..10] + ":";
        for (int i = 0; i < 25; i++) cache.Cli("SET", p + i, "v");
        cache.Cli("PEXPIRE", p + "0", "60000");
        var keys = Ok(cache.R("keys", $"pattern={p}*", "limit=1000"));
        var names = keys["keys"]!.AsArray().Select(k => k!.GetValue<string>()).ToList();
        Assert.Equal(25, names.Count);
        Assert.Equal(25, names.Distinct().Count());
        var ten = Ok(cache.R("keys", $"pattern={p}*", "limit=10"));
        Assert.Equal(10, ten["count"]!.GetValue<int>());
        Assert.True(ten["truncated"]!.GetValue<bool>());
        Assert.InRange(Ok(cache.R("ttl", $"key={p}0"))["ttl_seconds"]!.GetValue<double>(), 1, 60);
        Assert.True(Ok(cache.R("ttl", $"key={p}1"))["persistent"]!.GetValue<bool>());
        Assert.False(Ok(cache.R("ttl", $"key={p}none"))["exists"]!.GetValue<bool>());
    }

    [Fact]
    public void Verbose_never_prints_the_password_of_a_target()
    {
        const string pw = "Verb0sePassw0rd";
        foreach (var format in new[] { "json", "table", "yaml" })
        {
            var run = ReshBinary.Run($"cache://:{pw}@127.0.0.1:{cache.RedisPort}/", "get", "--key", "k", "--verbose", "--format", format);
            Assert.DoesNotContain(pw, run.Stdout + run.Stderr);
            Assert.Contains(":***@127.0.0.1", run.Stderr); // the verbose line names the target, masked
        }
        var user = ReshBinary.Run($"cache://app:{pw}@127.0.0.1:{cache.RedisPort}/", "get", "--key", "k", "--verbose");
        Assert.DoesNotContain(pw, user.Stdout + user.Stderr);
    }
}
