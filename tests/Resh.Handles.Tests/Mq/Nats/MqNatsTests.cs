using System.Diagnostics;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Mq.Nats.NatsAssert;

namespace Resh.Handles.Tests.Mq.Nats;

/// <summary>
/// Issue 16, mq:// on NATS JetStream against a real nats-server: the exact calls of the task (inline and profile), messages
/// crossing processes with key and headers, at-least-once delivery (a consumer SIGKILLed before its ack gets its message
/// redelivered), nack to the dead-letter queue, receipts bound to their queue, request-reply, batched publishes.
/// </summary>
[Collection("nats")]
public sealed class MqNatsTests(NatsBackend nats)
{
    [Fact]
    public void The_exact_calls_work_inline_and_through_the_profile_and_the_password_never_shows()
    {
        var inline = nats.Resh($"{nats.Inline}/exact.publish(body=hello,backend=nats)");
        Assert.Equal(1, Ok(inline)["seq"]!.GetValue<long>());
        Assert.True(inline.Result!["durable"]!.GetValue<bool>());
        var profile = nats.Resh("mq://events/exact.publish(body=hello)");
        Assert.Equal(2, Ok(profile)["seq"]!.GetValue<long>());
        // Inline with no backend= is NATS too (the one server backend built).
        Assert.Equal(3, Ok(nats.Resh($"{nats.Inline}/exact.publish", "body=again"))["seq"]!.GetValue<long>());

        var stats = Ok(nats.Resh("mq://events/exact.stats"));
        Assert.Equal(3, stats["depth"]!.GetValue<long>());
        Assert.Equal(3, stats["published"]!.GetValue<long>());
        Assert.Equal(1, stats["consumers"]!.GetValue<int>());
        var queues = Ok(nats.Resh("mq://events/.queues"))["queues"]!.AsArray();
        Assert.Contains(queues, q => q!["name"]!.GetValue<string>() == "exact" && q["depth"]!.GetValue<long>() == 3);

        foreach (var run in new[] { inline, profile })
        {
            Assert.DoesNotContain(nats.Password, run.Stdout);
            Assert.DoesNotContain(nats.Password, run.Stderr);
        }
        // A wrong password (also from env:) is refused, and not shown either.
        var wrong = nats.Resh("mq://wrong/exact.publish(body=x)");
        Fails(wrong, "permission_denied", 4);
        Assert.DoesNotContain(nats.Password, wrong.Stdout + wrong.Stderr);
    }

    [Fact]
    public void A_password_never_goes_in_clear_unless_the_profile_says_tls_off()
    {
        // s32 attacker #2: with tls left at auto, a server that offers no TLS would get the password as plain text.
        var refused = nats.Resh("mq://cleartext/clear.publish(body=x)");
        Fails(refused, "unsupported", 8);
        Assert.Contains("tls = \"off\"", refused.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.DoesNotContain(nats.Password, refused.Stdout + refused.Stderr);
        // Nothing was published: the profile that opts out (tls = "off", loopback) sees an empty queue.
        Assert.Equal("not_found", nats.Resh("mq://events/clear.stats").ErrorCode);
    }

    [Fact]
    public void A_profile_lists_its_queues_with_or_without_the_slash()
    {
        // s32 user #7: mq://PROFILE.queues is the server, as lock://PROFILE.list is.
        Ok(nats.Resh("mq://events/listed.publish(body=x)"));
        foreach (var target in new[] { "mq://events.queues", "mq://events/.queues" })
        {
            var queues = Ok(nats.Resh(target))["queues"]!.AsArray();
            Assert.Contains(queues, q => q!["name"]!.GetValue<string>() == "listed");
        }
    }

    [Fact]
    public void A_message_crosses_processes_with_key_headers_and_binary_body_and_auto_ack_removes_it()
    {
        Ok(nats.Resh("mq://events/cross.publish(body=hello)", "key=order-7", "headers:={\"trace\":\"ab12\"}"));
        Ok(ReshBinary.Run(["mq://events/cross.publish", "body=@-", "--format", "json"], stdinBytes: [0xff, 0x00, 0xfe], env: nats.Env));
        var peek = Ok(nats.Resh("mq://events/cross.peek"));
        Assert.Equal(2, peek["depth"]!.GetValue<long>());
        Assert.Equal(2, peek["messages"]!.AsArray().Count);

        var first = Ok(nats.Resh("mq://events/cross.consume"))["messages"]![0]!;
        Assert.Equal("hello", first["body"]!.GetValue<string>());
        Assert.Equal("order-7", first["key"]!.GetValue<string>());
        Assert.Equal("ab12", first["headers"]!["trace"]!.GetValue<string>());
        Assert.Equal(1, first["deliveries"]!.GetValue<int>());
        var second = Ok(nats.Resh("mq://events/cross.consume", "count=5"))["messages"]![0]!;
        Assert.Equal("base64", second["encoding"]!.GetValue<string>());
        Assert.Equal(new byte[] { 0xff, 0x00, 0xfe }, Convert.FromBase64String(second["body"]!.GetValue<string>()));

        var empty = nats.Resh("mq://events/cross.consume");
        Assert.Equal(0, empty.ExitCode);
        Assert.False(empty.Changed);
        var stats = Ok(nats.Resh("mq://events/cross.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
    }

    [Fact]
    public void A_consumer_killed_before_its_ack_gets_its_message_redelivered()
    {
        Ok(nats.Resh("mq://events/work.create", "visibility=10s")); // long enough for the checks below on a loaded machine
        Ok(nats.Resh("mq://events/work.publish", "body=task-1"));
        var output = Path.Combine(nats.Dir, "consumed-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        var script = $"{Shell.Q(ReshBinary.Path)} mq://events/work.consume ack=manual --format json > {Shell.Q(output)}; sleep 120";
        var psi = new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false };
        foreach (var (k, v) in nats.Env) psi.Environment[k] = v;
        using var consumer = Process.Start(psi)!;
        string firstReceipt;
        try
        {
            for (var i = 0; i < 400 && !(File.Exists(output) && File.ReadAllText(output).EndsWith('\n')); i++) Thread.Sleep(50);
            var taken = JsonNode.Parse(File.ReadAllText(output))!["result"]!["messages"]![0]!;
            Assert.Equal("task-1", taken["body"]!.GetValue<string>());
            firstReceipt = taken["receipt"]!.GetValue<string>();
            Assert.StartsWith("$JS.ACK.work.resh.", firstReceipt);
        }
        finally
        {
            Shell.Run($"pkill -9 -P {consumer.Id}; kill -9 {consumer.Id}");
            consumer.WaitForExit();
        }
        // Leased: in flight, nobody else gets it before ack_wait ends.
        Assert.Empty(Ok(nats.Resh("mq://events/work.consume", "ack=manual"))["messages"]!.AsArray());
        Assert.Equal(1, Ok(nats.Resh("mq://events/work.stats"))["in_flight"]!.GetValue<long>());

        var again = Ok(nats.Resh("mq://events/work.consume", "ack=manual", "wait=40s"))["messages"]![0]!;
        Assert.Equal("task-1", again["body"]!.GetValue<string>());
        Assert.Equal(2, again["deliveries"]!.GetValue<int>());
        Assert.Equal(1, again["redeliveries"]!.GetValue<int>());
        var receipt = again["receipt"]!.GetValue<string>();
        Assert.NotEqual(firstReceipt, receipt);
        Assert.True(nats.Resh("mq://events/work.ack", receipt).Changed);
        var twice = Ok(nats.Resh("mq://events/work.ack", receipt));
        Assert.Equal(1, twice["already_done"]!.AsArray().Single()!.GetValue<long>());
        var stats = Ok(nats.Resh("mq://events/work.stats"));
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
    }

    [Fact]
    public void Nack_requeues_or_dead_letters_with_the_origin_and_receipts_are_bound_to_their_queue()
    {
        Ok(nats.Resh("mq://events/nk.publish", "body=poison", "key=k9"));
        var r1 = Ok(nats.Resh("mq://events/nk.consume", "ack=manual"))["messages"]![0]!["receipt"]!.GetValue<string>();
        // A receipt of queue nk is refused by another queue.
        Ok(nats.Resh("mq://events/other.create"));
        Fails(nats.Resh("mq://events/other.ack", r1), "usage", 2);
        Fails(nats.Resh("mq://events/nk.ack", "17.3f9c0a1b2c3d4e5f"), "usage", 2);
        Fails(nats.Resh("mq://events/nk.ack", "$JS.ACK.nk.resh.1.1.1.1.1 x"), "usage", 2);

        Assert.Equal([1L], Ok(nats.Resh("mq://events/nk.nack", r1))["requeued"]!.AsArray().Select(n => n!.GetValue<long>()));
        var second = Ok(nats.Resh("mq://events/nk.consume", "ack=manual", "wait=5s"))["messages"]![0]!;
        Assert.Equal(2, second["deliveries"]!.GetValue<int>());
        var dead = Ok(nats.Resh("mq://events/nk.nack", second["receipt"]!.GetValue<string>(), "dead_letter=true"));
        Assert.Equal("nk.dlq", dead["dead_letter_queue"]!.GetValue<string>());
        Assert.Single(dead["dead_lettered"]!.AsArray());

        var inDlq = Ok(nats.Resh("mq://events/nk.dlq.consume"))["messages"]![0]!;
        Assert.Equal("poison", inDlq["body"]!.GetValue<string>());
        Assert.Equal("k9", inDlq["key"]!.GetValue<string>());
        Assert.Equal("nk", inDlq["origin"]!["queue"]!.GetValue<string>());
        Assert.Equal("nack", inDlq["origin"]!["reason"]!.GetValue<string>());
        Assert.Equal(0, Ok(nats.Resh("mq://events/nk.stats"))["depth"]!.GetValue<long>());
        Assert.Equal(1, Ok(nats.Resh("mq://events/nk.stats"))["dead_lettered"]!.GetValue<long>());
    }

    [Fact]
    public void A_message_delivered_more_than_max_deliveries_goes_to_the_dead_letter_queue()
    {
        Ok(nats.Resh("mq://events/md.create", "max_deliveries=1", "visibility=1s"));
        Ok(nats.Resh("mq://events/md.publish", "body=fails"));
        Assert.Single(Ok(nats.Resh("mq://events/md.consume", "ack=manual"))["messages"]!.AsArray());
        Thread.Sleep(1500); // the lease (ack_wait 1s) ends without an ack
        var next = Ok(nats.Resh("mq://events/md.consume", "ack=manual", "wait=5s"));
        Assert.Empty(next["messages"]!.AsArray());
        Assert.Equal(1, next["dead_lettered"]!.GetValue<int>());
        Assert.Equal("max_deliveries", Ok(nats.Resh("mq://events/md.dlq.consume"))["messages"]![0]!["origin"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Subscribe_streams_ndjson_until_count_and_ends_normally_at_the_timeout()
    {
        for (var i = 0; i < 3; i++) Ok(nats.Resh("mq://events/sub.publish", $"body=m{i}"));
        var sub = ReshBinary.Run(["mq://events/sub.subscribe", "count=3", "--format", "json"], env: nats.Env, wait: TimeSpan.FromSeconds(30));
        Assert.Equal(0, sub.ExitCode);
        var lines = sub.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["m0", "m1", "m2"], lines.Where(e => e["event"]?.GetValue<string>() == "message").Select(e => e["body"]!.GetValue<string>()));
        Assert.Equal("count", lines[^1]["result"]!["ended"]!.GetValue<string>());
        var clock = Stopwatch.StartNew();
        var timed = ReshBinary.Run(["mq://events/sub.subscribe", "--timeout", "3s", "--format", "json"], env: nats.Env, wait: TimeSpan.FromSeconds(30));
        Assert.Equal(0, timed.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
        Assert.Contains("\"ended\":\"timeout\"", timed.Stdout);
    }

    [Fact]
    public async Task Request_gets_the_responders_reply_and_no_responder_or_the_embedded_queue_say_so()
    {
        await using var client = new NatsConnection(NatsOpts.Default with
        {
            Url = $"nats://127.0.0.1:{nats.Port}", AuthOpts = NatsAuthOpts.Default with { Username = "resh", Password = nats.Password },
        });
        await client.ConnectAsync();
        await using var sub = await client.SubscribeCoreAsync<byte[]>("svc.echo", serializer: NatsRawSerializer<byte[]>.Default);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var responder = Task.Run(async () =>
        {
            await foreach (var msg in sub.Msgs.ReadAllAsync(stop.Token))
                await msg.ReplyAsync("pong:"u8.ToArray().Concat(msg.Data ?? []).ToArray(), serializer: NatsRawSerializer<byte[]>.Default);
        });
        await client.PingAsync();
        var reply = Ok(await Task.Run(() => nats.Resh("mq://events/svc.echo.request", "body=ping", "wait=5s")));
        Assert.Equal("pong:ping", reply["body"]!.GetValue<string>());
        Assert.Equal("svc.echo", reply["subject"]!.GetValue<string>());
        await stop.CancelAsync();

        Fails(nats.Resh("mq://events/svc.nobody.request", "body=x", "wait=2s"), "unavailable", 7);
        Fails(nats.Resh("mq:///svc.request", "body=x"), "unsupported", 8);
    }

    [Fact]
    public void Batched_publishes_are_acked_together_in_order_with_their_sequence_numbers()
    {
        const int n = 3000;
        var input = string.Join('\n', Enumerable.Range(0, n).Select(i =>
            new JsonObject { ["id"] = i, ["stage"] = "mq://events/bt", ["verb"] = "publish", ["args"] = new JsonObject { ["body"] = $"m{i}" } }.ToJsonString())) + "\n";
        var run = nats.ReshIn(input, "batch");
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout[..Math.Min(2000, run.Stdout.Length)]);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(n, lines.Count);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(i, lines[i]["id"]!.GetValue<int>());
            Assert.Equal(i + 1, lines[i]["result"]!["seq"]!.GetValue<long>());
            Assert.True(lines[i]["result"]!["durable"]!.GetValue<bool>());
        }
        var stats = Ok(nats.Resh("mq://events/bt.stats"));
        Assert.Equal(n, stats["depth"]!.GetValue<long>());
        var peek = Ok(nats.Resh("mq://events/bt.peek", "count=2"))["messages"]!.AsArray();
        Assert.Equal(["m0", "m1"], peek.Select(m => m!["body"]!.GetValue<string>()));
    }

    [Fact]
    public void Create_delete_and_purge_map_to_the_stream_and_refuse_without_force()
    {
        var made = Ok(nats.Resh("mq://events/adm.x.create", "max_deliveries=3"));
        Assert.True(made["created"]!.GetValue<bool>());
        Assert.False(nats.Resh("mq://events/adm.x.create", "max_deliveries=3").Changed);
        Assert.True(nats.Resh("mq://events/adm.x.create", "max_deliveries=4").Changed);
        Assert.Equal(4, Ok(nats.Resh("mq://events/adm.x.stats"))["max_deliveries"]!.GetValue<int>());
        // a.b and a_b would share the stream name: the second is a conflict, not a silent merge.
        Fails(nats.Resh("mq://events/adm_x.publish", "body=1"), "conflict", 5);

        Ok(nats.Resh("mq://events/adm.x.publish", "body=1"));
        Ok(nats.Resh("mq://events/adm.x.publish", "body=2"));
        Fails(nats.Resh("mq://events/adm.x.purge"), "conflict", 5);
        Fails(nats.Resh("mq://events/adm.x.delete"), "conflict", 5);
        Assert.Equal(2, Ok(nats.Resh("mq://events/adm.x.purge", "force=true"))["purged"]!.GetValue<long>());
        Assert.Equal(0, Ok(nats.Resh("mq://events/adm.x.stats"))["depth"]!.GetValue<long>());
        Assert.True(Ok(nats.Resh("mq://events/adm.x.delete"))["deleted"]!.GetValue<bool>());
        Assert.False(Ok(nats.Resh("mq://events/adm.x.delete"))["deleted"]!.GetValue<bool>());
        Fails(nats.Resh("mq://events/adm.x.stats"), "not_found", 3);
        Fails(nats.Resh("mq://events/adm.x.consume"), "not_found", 3);
    }

    [Fact]
    public void An_oversized_message_is_refused_before_it_is_sent_and_nothing_is_stored()
    {
        Ok(nats.Resh("mq://events/big.create"));
        var body = new string('x', 300 * 1024); // the test server's max_payload is 256KiB
        var run = ReshBinary.Run(["mq://events/big.publish", "body=@-", "--format", "json"], stdin: body, env: nats.Env);
        Fails(run, "usage", 2);
        Assert.Contains("max_payload", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(0, Ok(nats.Resh("mq://events/big.stats"))["published"]!.GetValue<long>());
    }

    [Fact]
    public void A_server_that_is_down_is_unavailable_at_once_and_bad_targets_are_usage_errors()
    {
        var port = LoopbackPorts.Free(1)[0];
        var clock = Stopwatch.StartNew();
        var down = nats.Resh($"mq://127.0.0.1:{port}/jobs.publish", "body=1");
        Fails(down, "unavailable", 7);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
        Fails(nats.Resh($"mq://127.0.0.1:{port}/jobs.consume", "wait=30s"), "unavailable", 7);

        Fails(nats.Resh("mq:///jobs.publish", "body=1", "backend=nats"), "usage", 2);
        Fails(nats.Resh($"{nats.Inline}/jobs.publish", "body=1", "backend=rabbitmq"), "unsupported", 8);
        Fails(nats.Resh($"{nats.Inline}/jobs.publish", "body=1", "backend=embedded"), "usage", 2);
        Fails(nats.Resh("mq://nosuchprofile/jobs.publish", "body=1"), "not_found", 3);
        Fails(nats.Resh($"{nats.Inline}/a/b.publish", "body=1"), "usage", 2);
        Fails(nats.Resh($"{nats.Inline}/jobs/.queues"), "usage", 2);
    }
}
