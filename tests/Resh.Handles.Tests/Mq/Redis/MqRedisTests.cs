using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.Cache;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Mq.Nats.NatsAssert;

namespace Resh.Handles.Tests.Mq.Redis;

/// <summary>
/// Issue 16, mq:// on Redis Streams against the real redis-server of the cache tests (requirepass, loopback): messages
/// crossing processes with key and headers, manual acks and receipts bound to their queue, at-least-once delivery (a
/// consumer SIGKILLed before its ack gets its message redelivered once its lease ends), nack requeue and dead-letter,
/// max_deliveries, purge and delete refused without force, pipelined batch publishes, the password from env: never
/// shown, a server that is down answered at once, and hostile queue names that never reach the keyspace.
/// </summary>
[Collection("cache")]
public sealed class MqRedisTests : IDisposable
{
    const string PasswordVar = "RESH_TEST_MQ_REDIS_PW";
    readonly CacheBackend _redis;
    readonly TempDir _dir = new("mqredis");
    readonly Dictionary<string, string> _env;

    public MqRedisTests(CacheBackend redis)
    {
        _redis = redis;
        var home = _dir["home"];
        Directory.CreateDirectory(home);
        var config = _dir.File("config.toml", $"""
            [mq.rq]
            url = "redis://127.0.0.1:{redis.RedisPort}"
            password = "env:{PasswordVar}"
            timeout = "20s"

            [mq.tls]
            url = "rediss://127.0.0.1:{redis.TlsPort}"
            ca = "{redis.Ca}"
            password = "env:{PasswordVar}"

            [mq.wrong]
            url = "redis://127.0.0.1:{redis.RedisPort}"
            password = "env:RESH_TEST_MQ_REDIS_WRONG"
            """);
        _env = new Dictionary<string, string>
        {
            ["RESH_HOME"] = home, ["RESH_CONFIG"] = config, [PasswordVar] = CacheBackend.Password, ["RESH_TEST_MQ_REDIS_WRONG"] = "not-" + CacheBackend.Password,
        };
    }

    public void Dispose() => _dir.Dispose();

    static string Q() => "q" + Guid.NewGuid().ToString("N")[..10];

    ReshRun Resh(params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: _env, wait: TimeSpan.FromSeconds(90));

    static void NoPassword(ReshRun run) => Assert.DoesNotContain(CacheBackend.Password, run.Stdout + run.Stderr, StringComparison.Ordinal);

    [Fact]
    public void The_profile_form_publishes_and_consumes_across_processes_with_key_headers_and_binary_bodies()
    {
        var q = Q();
        var first = Resh($"mq://rq/{q}.publish(body=hello)", "key=order-7", "headers:={\"trace\":\"ab12\"}");
        Assert.Equal(1, Ok(first)["seq"]!.GetValue<long>());
        Assert.True(first.Result!["durable"]!.GetValue<bool>());
        NoPassword(first);
        Ok(ReshBinary.Run([$"mq://rq/{q}.publish", "body=@-", "--format", "json"], stdinBytes: [0xff, 0x00, 0xfe], env: _env));
        // The stream and its group, under the prefix.
        Assert.Equal("stream", _redis.Cli("TYPE", $"resh:mq:{q}"));
        Assert.Equal("2", _redis.Cli("XLEN", $"resh:mq:{q}"));
        Assert.Contains("resh", _redis.Cli("XINFO", "GROUPS", $"resh:mq:{q}"));

        var peek = Ok(Resh($"mq://rq/{q}.peek", "count=5"));
        Assert.Equal(2, peek["depth"]!.GetValue<long>());
        Assert.Equal([1L, 2L], peek["messages"]!.AsArray().Select(m => m!["seq"]!.GetValue<long>()));

        var got = Ok(Resh($"mq://rq/{q}.consume"))["messages"]![0]!;
        Assert.Equal("hello", got["body"]!.GetValue<string>());
        Assert.Equal("order-7", got["key"]!.GetValue<string>());
        Assert.Equal("ab12", got["headers"]!["trace"]!.GetValue<string>());
        Assert.Equal(1, got["deliveries"]!.GetValue<int>());
        Assert.Null(got["receipt"]);
        var bin = Ok(Resh($"mq://rq/{q}.consume", "count=5"))["messages"]![0]!;
        Assert.Equal("base64", bin["encoding"]!.GetValue<string>());
        Assert.Equal(new byte[] { 0xff, 0x00, 0xfe }, Convert.FromBase64String(bin["body"]!.GetValue<string>()));

        // ack=auto: done means gone, and the call's consumer left the group.
        Assert.Equal("0", _redis.Cli("XLEN", $"resh:mq:{q}"));
        var empty = Resh($"mq://rq/{q}.consume", "wait=1s");
        Assert.Equal(0, empty.ExitCode);
        Assert.False(empty.Changed);
        var stats = Ok(Resh($"mq://rq/{q}.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(2, stats["published"]!.GetValue<long>());
        Assert.Equal(0, stats["consumers"]!.GetValue<int>());
        var queues = Ok(Resh("mq://rq/.queues"))["queues"]!.AsArray();
        Assert.Contains(queues, x => x!["name"]!.GetValue<string>() == q && x["published"]!.GetValue<long>() == 2);

        // A wrong password (from env: too) is refused, named by its table, and never shown.
        var wrong = Resh($"mq://wrong/{q}.publish(body=x)");
        Fails(wrong, "permission_denied", 4);
        Assert.Contains("[mq.wrong]", wrong.Envelope["error"]!["hint"]!.GetValue<string>());
        NoPassword(wrong);
    }

    [Fact]
    public void A_rediss_profile_speaks_tls_with_its_ca_and_shares_the_queue()
    {
        var q = Q();
        var sent = Resh($"mq://tls/{q}.publish(body=over-tls)");
        Assert.Equal(1, Ok(sent)["seq"]!.GetValue<long>());
        NoPassword(sent);
        // The same server through its plain port sees the message: one stream, two ways in.
        Assert.Equal("over-tls", Ok(Resh($"mq://rq/{q}.consume"))["messages"]![0]!["body"]!.GetValue<string>());
    }

    [Fact]
    public void Manual_acks_take_receipts_that_carry_their_queue_and_a_stale_or_foreign_receipt_is_refused()
    {
        var q = Q();
        Ok(Resh($"mq://rq/{q}.publish", "body=a"));
        Ok(Resh($"mq://rq/{q}.publish", "body=b"));
        var taken = Ok(Resh($"mq://rq/{q}.consume", "ack=manual", "count=2"))["messages"]!.AsArray();
        Assert.Equal(2, taken.Count);
        var receipts = taken.Select(m => m!["receipt"]!.GetValue<string>()).ToArray();
        Assert.All(receipts, r => Assert.StartsWith($"{q}/", r));
        Assert.NotNull(taken[0]!["lease_until"]);
        var stats = Ok(Resh($"mq://rq/{q}.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(2, stats["in_flight"]!.GetValue<long>());
        Assert.Equal(1, stats["consumers"]!.GetValue<int>());
        // Leased: nobody else gets them meanwhile.
        Assert.Empty(Ok(Resh($"mq://rq/{q}.consume", "ack=manual"))["messages"]!.AsArray());

        var other = Q();
        Ok(Resh($"mq://rq/{other}.create"));
        Fails(Resh($"mq://rq/{other}.ack", receipts[0]), "usage", 2);
        Fails(Resh($"mq://rq/{q}.ack", "17.3f9c0a1b2c3d4e5f"), "usage", 2);
        Fails(Resh($"mq://rq/{q}.ack", $"{q}/1/1/v30000.zzzzzzzzzzzz"), "usage", 2);
        // Same seq, another consumer: stale, and nothing was acked.
        Fails(Resh($"mq://rq/{q}.ack", $"{q}/1/1/v30000.0123456789ab"), "conflict", 5);
        Assert.Equal("2", _redis.Cli("XLEN", $"resh:mq:{q}"));

        var acked = Ok(Resh($"mq://rq/{q}.ack", receipts[0], receipts[1]));
        Assert.Equal([1L, 2L], acked["acked"]!.AsArray().Select(n => n!.GetValue<long>()));
        var twice = Ok(Resh($"mq://rq/{q}.ack", receipts[0]));
        Assert.Equal(1, twice["already_done"]!.AsArray().Single()!.GetValue<long>());
        Assert.Equal("0", _redis.Cli("XLEN", $"resh:mq:{q}"));
        stats = Ok(Resh($"mq://rq/{q}.stats"));
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
        Assert.Equal(0, stats["consumers"]!.GetValue<int>()); // a consumer holding nothing leaves the group
    }

    [Fact]
    public void A_consumer_killed_before_its_ack_gets_its_message_redelivered_after_its_lease()
    {
        var q = Q();
        Ok(Resh($"mq://rq/{q}.publish", "body=task-1"));
        var output = Path.Combine(_dir.Path, "consumed-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        var script = $"{Shell.Q(ReshBinary.Path)} mq://rq/{q}.consume ack=manual visibility=4s --format json > {Shell.Q(output)}; sleep 120";
        var psi = new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false };
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        using var consumer = Process.Start(psi)!;
        string firstReceipt;
        var taken = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < 400 && !(File.Exists(output) && File.ReadAllText(output).EndsWith('\n')); i++) Thread.Sleep(50);
            var message = JsonNode.Parse(File.ReadAllText(output))!["result"]!["messages"]![0]!;
            Assert.Equal("task-1", message["body"]!.GetValue<string>());
            firstReceipt = message["receipt"]!.GetValue<string>();
        }
        finally
        {
            Shell.Run($"pkill -9 -P {consumer.Id}; kill -9 {consumer.Id}");
            consumer.WaitForExit();
        }
        // Still leased: nobody gets it before the 4 s are over.
        var early = Ok(Resh($"mq://rq/{q}.consume", "ack=manual"));
        if (taken.Elapsed < TimeSpan.FromSeconds(3.5)) Assert.Empty(early["messages"]!.AsArray());

        var again = Ok(Resh($"mq://rq/{q}.consume", "ack=manual", "wait=30s"))["messages"]![0]!;
        Assert.True(taken.Elapsed > TimeSpan.FromSeconds(3.9), taken.Elapsed.ToString());
        Assert.Equal("task-1", again["body"]!.GetValue<string>());
        Assert.Equal(2, again["deliveries"]!.GetValue<int>());
        Assert.Equal(1, again["redeliveries"]!.GetValue<int>());
        var receipt = again["receipt"]!.GetValue<string>();
        Assert.NotEqual(firstReceipt, receipt);
        // The dead consumer's receipt is stale now; the new one acks.
        Fails(Resh($"mq://rq/{q}.ack", firstReceipt), "conflict", 5);
        Assert.True(Resh($"mq://rq/{q}.ack", receipt).Changed);
        var stats = Ok(Resh($"mq://rq/{q}.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
        Assert.Equal(0, stats["consumers"]!.GetValue<int>());
    }

    [Fact]
    public void Nack_requeues_or_dead_letters_with_the_origin_and_max_deliveries_sends_a_message_to_the_dlq()
    {
        var q = Q();
        Ok(Resh($"mq://rq/{q}.publish", "body=poison", "key=k9"));
        var r1 = Ok(Resh($"mq://rq/{q}.consume", "ack=manual"))["messages"]![0]!["receipt"]!.GetValue<string>();
        Assert.Equal([1L], Ok(Resh($"mq://rq/{q}.nack", r1))["requeued"]!.AsArray().Select(n => n!.GetValue<long>()));
        Fails(Resh($"mq://rq/{q}.ack", r1), "conflict", 5); // the receipt stopped working once nacked
        var second = Ok(Resh($"mq://rq/{q}.consume", "ack=manual"))["messages"]![0]!;
        Assert.Equal(2, second["deliveries"]!.GetValue<int>());
        var dead = Ok(Resh($"mq://rq/{q}.nack", second["receipt"]!.GetValue<string>(), "dead_letter=true"));
        Assert.Equal($"{q}.dlq", dead["dead_letter_queue"]!.GetValue<string>());
        Assert.Single(dead["dead_lettered"]!.AsArray());
        var inDlq = Ok(Resh($"mq://rq/{q}.dlq.consume"))["messages"]![0]!;
        Assert.Equal("poison", inDlq["body"]!.GetValue<string>());
        Assert.Equal("k9", inDlq["key"]!.GetValue<string>());
        Assert.Equal(q, inDlq["origin"]!["queue"]!.GetValue<string>());
        Assert.Equal("nack", inDlq["origin"]!["reason"]!.GetValue<string>());
        Assert.Equal(2, inDlq["origin"]!["deliveries"]!.GetValue<long>());
        var stats = Ok(Resh($"mq://rq/{q}.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(1, stats["dead_lettered"]!.GetValue<long>());

        // max_deliveries=2: delivered twice (a nack, an ended lease), the third take moves it to the dlq instead.
        var md = Q();
        Assert.Equal(2, Ok(Resh($"mq://rq/{md}.create", "max_deliveries=2"))["max_deliveries"]!.GetValue<int>());
        Ok(Resh($"mq://rq/{md}.publish", "body=fails"));
        Ok(Resh($"mq://rq/{md}.nack", Ok(Resh($"mq://rq/{md}.consume", "ack=manual"))["messages"]![0]!["receipt"]!.GetValue<string>()));
        Assert.Equal(2, Ok(Resh($"mq://rq/{md}.consume", "ack=manual", "visibility=1s"))["messages"]![0]!["deliveries"]!.GetValue<int>());
        Thread.Sleep(1300);
        var next = Ok(Resh($"mq://rq/{md}.consume", "ack=manual"));
        Assert.Empty(next["messages"]!.AsArray());
        Assert.Equal(1, next["dead_lettered"]!.GetValue<int>());
        var moved = Ok(Resh($"mq://rq/{md}.dlq.peek"))["messages"]![0]!;
        Assert.Equal("max_deliveries", moved["origin"]!["reason"]!.GetValue<string>());
        Assert.Equal("fails", moved["body"]!.GetValue<string>());
        Assert.Equal("0", _redis.Cli("XLEN", $"resh:mq:{md}"));
    }

    [Fact]
    public void Purge_and_delete_refuse_without_force_and_a_missing_queue_is_not_found()
    {
        var q = Q();
        var made = Ok(Resh($"mq://rq/{q}.create", "max_deliveries=3"));
        Assert.True(made["created"]!.GetValue<bool>());
        Assert.False(Resh($"mq://rq/{q}.create", "max_deliveries=3").Changed);
        Assert.True(Resh($"mq://rq/{q}.create", "max_deliveries=4").Changed);
        Assert.Equal(4, Ok(Resh($"mq://rq/{q}.stats"))["max_deliveries"]!.GetValue<int>());
        Ok(Resh($"mq://rq/{q}.publish", "body=1"));
        Ok(Resh($"mq://rq/{q}.publish", "body=2"));
        Ok(Resh($"mq://rq/{q}.consume", "ack=manual")); // one in flight: purge drops it too

        Fails(Resh($"mq://rq/{q}.purge"), "conflict", 5);
        Fails(Resh($"mq://rq/{q}.delete"), "conflict", 5);
        Assert.Equal("2", _redis.Cli("XLEN", $"resh:mq:{q}"));
        Assert.Equal(2, Ok(Resh($"mq://rq/{q}.purge", "force=true"))["purged"]!.GetValue<long>());
        var stats = Ok(Resh($"mq://rq/{q}.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
        Ok(Resh($"mq://rq/{q}.publish", "body=3"));
        Assert.Equal(3, Ok(Resh($"mq://rq/{q}.consume"))["messages"]![0]!["seq"]!.GetValue<long>());
        Assert.True(Ok(Resh($"mq://rq/{q}.delete"))["deleted"]!.GetValue<bool>());
        Assert.False(Ok(Resh($"mq://rq/{q}.delete"))["deleted"]!.GetValue<bool>());
        Assert.Equal("0", _redis.Cli("EXISTS", $"resh:mq:{q}", $"resh:mq:{q}:meta"));
        Fails(Resh($"mq://rq/{q}.stats"), "not_found", 3);
        Fails(Resh($"mq://rq/{q}.consume"), "not_found", 3);
        Fails(Resh($"mq://rq/{q}.peek"), "not_found", 3);

        // A key of that name that is not resh's stream is a conflict, untouched.
        var taken = Q();
        _redis.Cli("SET", $"resh:mq:{taken}", "not a stream");
        Fails(Resh($"mq://rq/{taken}.publish", "body=x"), "conflict", 5);
        Assert.Equal("not a stream", _redis.Cli("GET", $"resh:mq:{taken}"));
        _redis.Cli("DEL", $"resh:mq:{taken}");
        // Request-reply has no Redis Streams equivalent: unsupported, with a hint.
        Fails(Resh($"mq://rq/{q}.request", "body=x"), "unsupported", 8);
    }

    [Fact]
    public void Hostile_queue_names_are_refused_and_no_key_outside_the_prefix_is_made()
    {
        var marker = "hx" + Guid.NewGuid().ToString("N")[..6];
        foreach (var name in new[] { $"{marker}*", $"{marker} x", $"{marker}[a]", $"{marker}?", $"{marker}:meta", $"{marker}\\x", "*", $"{marker}{new string('a', 300)}", $".{marker}" })
        {
            var run = ReshBinary.Run([$"mq://rq/{name}.publish", "body=x", "--format", "json"], env: _env);
            Fails(run, "usage", 2);
            Fails(ReshBinary.Run([$"mq://rq/{name}.consume", "--format", "json"], env: _env), "usage", 2);
        }
        // The widest valid name stays one stream under the prefix.
        var longest = marker + new string('z', 100 - marker.Length);
        Ok(Resh($"mq://rq/{longest}.publish", "body=x"));
        var keys = _redis.Cli("--scan").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"resh:mq:{longest}"], keys.Where(k => k.Contains(marker, StringComparison.Ordinal)));
        // Every key mq made is a stream (or its meta hash) of a valid queue name under resh:mq:.
        foreach (var key in keys.Where(k => k.StartsWith("resh:mq:", StringComparison.Ordinal)))
            Assert.Matches("^resh:mq:[A-Za-z0-9_][A-Za-z0-9._-]{0,103}(:meta)?$", key);
        Ok(Resh($"mq://rq/{longest}.delete", "force=true"));
    }

    [Fact]
    public void Batched_publishes_are_pipelined_and_answered_in_order_with_their_sequence_numbers()
    {
        var q = Q();
        const int n = 2000;
        var input = string.Join('\n', Enumerable.Range(0, n).Select(i =>
            new JsonObject { ["id"] = i, ["stage"] = $"mq://rq/{q}", ["verb"] = "publish", ["args"] = new JsonObject { ["body"] = $"m{i}" } }.ToJsonString())) + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input, env: _env, wait: TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout[..Math.Min(2000, run.Stdout.Length)]);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(n, lines.Count);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(i, lines[i]["id"]!.GetValue<int>());
            Assert.Equal(i + 1, lines[i]["result"]!["seq"]!.GetValue<long>());
            Assert.True(lines[i]["result"]!["durable"]!.GetValue<bool>());
        }
        Assert.Equal(n.ToString(), _redis.Cli("XLEN", $"resh:mq:{q}"));
        var sub = ReshBinary.Run([$"mq://rq/{q}.subscribe", "count=3", "--format", "json"], env: _env, wait: TimeSpan.FromSeconds(60));
        Assert.Equal(0, sub.ExitCode);
        var events = sub.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["m0", "m1", "m2"], events.Where(e => e["event"]?.GetValue<string>() == "message").Select(e => e["body"]!.GetValue<string>()));
        Assert.Equal("count", events[^1]["result"]!["ended"]!.GetValue<string>());
        Assert.Equal(n - 3, Ok(Resh($"mq://rq/{q}.stats"))["depth"]!.GetValue<long>());
        Ok(Resh($"mq://rq/{q}.delete", "force=true"));
    }

    [Fact]
    public void A_publish_Redis_refuses_in_a_batch_fails_its_own_line_and_the_others_are_stored()
    {
        var (good, taken) = (Q(), Q());
        Ok(Resh($"mq://rq/{taken}.create"));
        // Another program's entry with a time-based id: resh's 0-* ids can no longer follow it.
        _redis.Cli("XADD", $"resh:mq:{taken}", "*", "f", "v");
        var input = string.Join('\n', new[] { (good, "a1"), (taken, "b1"), (good, "a2") }.Select((l, i) =>
            new JsonObject { ["id"] = i, ["stage"] = $"mq://rq/{l.Item1}", ["verb"] = "publish", ["args"] = new JsonObject { ["body"] = l.Item2 } }.ToJsonString())) + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input, env: _env, wait: TimeSpan.FromMinutes(1));
        Assert.Equal(9, run.ExitCode); // partial
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal(1, lines[0]["result"]!["seq"]!.GetValue<long>());
        Assert.Equal(2, lines[2]["result"]!["seq"]!.GetValue<long>());
        Assert.False(lines[1]["ok"]!.GetValue<bool>());
        Assert.Equal("conflict", lines[1]["error"]!["code"]!.GetValue<string>());
        Assert.Contains("did not write", lines[1]["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("flushed", lines[1]["error"]!["message"]!.GetValue<string>());
        Assert.Equal("2", _redis.Cli("XLEN", $"resh:mq:{good}"));
        Assert.Equal("1", _redis.Cli("XLEN", $"resh:mq:{taken}"));
        Ok(Resh($"mq://rq/{good}.delete", "force=true"));
        _redis.Cli("DEL", $"resh:mq:{taken}", $"resh:mq:{taken}:meta");
    }

    [Fact]
    public void The_inline_form_works_and_a_server_that_goes_down_is_unavailable_at_once()
    {
        // A throwaway Redis without a password: the inline target carries none.
        var dir = _dir["inline-redis"];
        Directory.CreateDirectory(dir);
        var port = LoopbackPorts.Free(1)[0];
        var up = Shell.Run($"redis-server --bind 127.0.0.1 --port {port} --save '' --appendonly no --daemonize yes --dir {Shell.Q(dir)} --pidfile {Shell.Q(dir + "/redis.pid")} --logfile {Shell.Q(dir + "/redis.log")}");
        Assert.Equal(0, up.ExitCode);
        try
        {
            for (var i = 0; i < 100 && !File.Exists(dir + "/redis.pid"); i++) Thread.Sleep(50);
            var inline = Resh($"mq://127.0.0.1:{port}/jobs.publish(body=hello,backend=redis)");
            Assert.Equal(1, Ok(inline)["seq"]!.GetValue<long>());
            Assert.Equal("hello", Ok(Resh($"mq://127.0.0.1:{port}/jobs.consume", "backend=redis"))["messages"]![0]!["body"]!.GetValue<string>());
            // Inline against the server with a password: refused, with the hint to use a [mq.NAME] table.
            var refused = Resh($"mq://127.0.0.1:{_redis.RedisPort}/jobs.publish", "body=x", "backend=redis");
            Fails(refused, "permission_denied", 4);
            Assert.Contains("[mq.NAME]", refused.Envelope["error"]!["hint"]!.GetValue<string>());
        }
        finally
        {
            if (File.Exists(dir + "/redis.pid")) Shell.Run($"kill {File.ReadAllText(dir + "/redis.pid").Trim()}");
        }
        for (var i = 0; i < 100 && Shell.Run($"redis-cli -p {port} ping").ExitCode == 0; i++) Thread.Sleep(50);
        var clock = Stopwatch.StartNew();
        Fails(Resh($"mq://127.0.0.1:{port}/jobs.publish", "body=1", "backend=redis"), "unavailable", 7);
        Fails(Resh($"mq://127.0.0.1:{port}/jobs.consume", "wait=30s", "backend=redis"), "unavailable", 7);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), clock.Elapsed.ToString());
        Fails(Resh($"mq://127.0.0.1:{port}/jobs.publish", "body=1", "backend=rabbitmq"), "unsupported", 8);
    }
}
