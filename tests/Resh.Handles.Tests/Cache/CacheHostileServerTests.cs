using System.Text;
using Xunit;

namespace Resh.Handles.Tests.Cache;

/// <summary>
/// Servers resh does not control: a fake memcached or Redis on loopback that declares values of gigabytes, sends
/// endless replies, stops mid-reply or dribbles its reply in small TCP chunks. resh must answer with an envelope,
/// quickly, in small memory (peak RSS by GNU time), never allocate what a server merely declares.
/// </summary>
public sealed class CacheHostileServerTests
{
    /// <summary>resh's own start-up is ~27 MiB; anything that buffered the flood would be hundreds.</summary>
    const long PeakLimitKiB = 80 * 1024;

    static readonly byte[] Zeros = new byte[64 * 1024];

    static void RefusedAsTooLarge((Resh.TestSupport.ReshRun Run, long PeakKiB, TimeSpan Elapsed) m)
    {
        var (run, peak, elapsed) = m;
        Assert.True(run.ErrorCode == "failed", run.ToString());
        var error = run.Envelope["error"]!;
        Assert.Contains("max_value", error["message"]!.GetValue<string>() + error["hint"]!.GetValue<string>());
        Assert.Equal("too_large", error["details"]!["reason"]!.GetValue<string>());
        Assert.True(peak < PeakLimitKiB, $"peak RSS {peak} KiB");
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed} (timeout=60s was given: the refusal must not wait for it)");
    }

    static FakeCacheServer MemcachedAnswering(Func<string, Stream, CancellationToken, Task> answer) => new(async (s, ct) =>
    {
        while (await FakeCacheServer.ReadLineAsync(s, ct) is { } line) await answer(line, s, ct);
    });

    static Task Send(Stream s, string text, CancellationToken ct) => s.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();

    [Theory]
    [InlineData("1500000000")]
    [InlineData("99999999999")]
    public void A_memcached_value_declared_larger_than_max_value_is_refused_before_it_is_read(string declared)
    {
        using var server = MemcachedAnswering(async (line, s, ct) =>
        {
            await Send(s, $"VALUE k 0 {declared}\r\n", ct);
            await FakeCacheServer.FloodAsync(s, Zeros, 300L << 20, ct);
        });
        RefusedAsTooLarge(MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.get", "key=k", "backend=memcached", "timeout=60s"));
    }

    [Fact]
    public void A_memcached_reply_with_endless_values_of_keys_never_asked_for_is_refused()
    {
        using var server = MemcachedAnswering(async (line, s, ct) =>
        {
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 1000).Select(i => $"VALUE x{i} 0 1\r\na\r\n")));
            await FakeCacheServer.FloodAsync(s, chunk, 300L << 20, ct);
        });
        var (run, peak, elapsed) = MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.get", "key=k", "backend=memcached", "timeout=60s");
        Assert.True(run.ErrorCode == "failed", run.ToString());
        Assert.True(peak < PeakLimitKiB, $"peak RSS {peak} KiB");
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");
    }

    [Fact]
    public void A_memcached_server_that_stops_mid_reply_times_out_within_the_calls_timeout()
    {
        using var server = MemcachedAnswering(async (line, s, ct) =>
        {
            await Send(s, "VALUE k 0 10\r\nabc", ct);
            await Task.Delay(TimeSpan.FromSeconds(60), ct);
        });
        var (run, _, elapsed) = MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.get", "key=k", "backend=memcached", "timeout=1s");
        Assert.True(run.ErrorCode == "timeout", run.ToString());
        Assert.True(elapsed < TimeSpan.FromSeconds(8), $"took {elapsed}");
    }

    [Fact]
    public void A_memcached_reply_split_into_one_byte_tcp_chunks_is_read_whole()
    {
        using var server = MemcachedAnswering(async (line, s, ct) =>
        {
            var reply = line.StartsWith("get ", StringComparison.Ordinal) ? "VALUE k 0 11\r\nhello\r\nEND!\r\nEND\r\n" : "ERROR\r\n";
            foreach (var b in Encoding.ASCII.GetBytes(reply))
            {
                await s.WriteAsync(new[] { b }, ct);
                await s.FlushAsync(ct);
                await Task.Delay(2, ct);
            }
        });
        var (run, _, _) = MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.get", "key=k", "backend=memcached", "timeout=30s");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello\r\nEND!", run.Result!["value"]!.GetValue<string>());
    }

    [Fact]
    public void A_redis_bulk_string_declared_larger_than_max_value_is_refused_before_it_is_read()
    {
        using var server = FakeCacheServer.Redis(async (cmd, s, ct) =>
        {
            if (cmd[0].ToUpperInvariant() == "TYPE") { await Send(s, "+string\r\n", ct); return true; }
            if (cmd[0].ToUpperInvariant() != "GET") return false;
            await Send(s, "$2000000000\r\n", ct);
            await FakeCacheServer.FloodAsync(s, Zeros, 300L << 20, ct);
            return true;
        });
        RefusedAsTooLarge(MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.get", "key=k", "timeout=60s"));
    }

    [Fact]
    public void A_redis_server_whose_handshake_replies_are_huge_is_refused_as_too_large()
    {
        using var server = new FakeCacheServer(async (s, ct) =>
        {
            await FakeCacheServer.ReadRedisCommandAsync(s, ct);
            await Send(s, "$2000000000\r\n", ct);
            await FakeCacheServer.FloodAsync(s, Zeros, 300L << 20, ct);
        });
        RefusedAsTooLarge(MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.ping", "timeout=60s"));
    }

    [Fact]
    public void A_redis_array_declaring_billions_of_elements_is_refused_before_it_is_read()
    {
        using var server = FakeCacheServer.Redis(async (cmd, s, ct) =>
        {
            if (cmd[0].ToUpperInvariant() != "SCAN") return false;
            await Send(s, "*2\r\n$1\r\n0\r\n*2000000000\r\n", ct);
            await FakeCacheServer.FloodAsync(s, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("$1\r\nk\r\n", 8192))), 300L << 20, ct);
            return true;
        });
        var m = MeasuredResh.Run($"cache://127.0.0.1:{server.Port}.keys", "limit=10", "timeout=60s");
        RefusedAsTooLarge(m);
    }

    [Fact]
    public void A_redis_server_that_stops_mid_reply_times_out_and_a_dribbled_reply_is_read_whole()
    {
        using var stalled = FakeCacheServer.Redis(async (cmd, s, ct) =>
        {
            if (cmd[0].ToUpperInvariant() == "TYPE") { await Send(s, "+string\r\n", ct); return true; }
            if (cmd[0].ToUpperInvariant() != "GET") return false;
            await Send(s, "$10\r\nabc", ct);
            await Task.Delay(TimeSpan.FromSeconds(60), ct);
            return true;
        });
        var (run, _, elapsed) = MeasuredResh.Run($"cache://127.0.0.1:{stalled.Port}.get", "key=k", "timeout=2s");
        Assert.True(run.ErrorCode == "timeout", run.ToString());
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");

        using var dribble = FakeCacheServer.Redis(async (cmd, s, ct) =>
        {
            var name = cmd[0].ToUpperInvariant();
            if (name is not ("TYPE" or "GET")) return false;
            foreach (var b in Encoding.ASCII.GetBytes(name == "TYPE" ? "+string\r\n" : "$11\r\nhello\r\n$3\r\n\r\n"))
            {
                await s.WriteAsync(new[] { b }, ct);
                await Task.Delay(2, ct);
            }
            return true;
        });
        var (ok, _, _) = MeasuredResh.Run($"cache://127.0.0.1:{dribble.Port}.get", "key=k", "timeout=30s");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("hello\r\n$3\r\n", ok.Result!["value"]!.GetValue<string>());
    }
}
