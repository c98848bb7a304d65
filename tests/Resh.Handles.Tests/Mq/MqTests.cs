using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mq;

/// <summary>
/// Issue 16, mq:// with the embedded backend: messages cross processes, delivery is at least once (a consumer killed
/// before its ack gets its message delivered again), concurrent publishers and consumers see every message exactly once
/// when all ack, and a message that keeps failing ends in the dead-letter queue.
/// </summary>
public sealed class MqTests : MqTestBase
{
    [Fact]
    public void A_message_published_by_one_process_is_consumed_by_another_with_its_key_and_headers()
    {
        var pub = Ok(Resh("mq:///jobs.publish(body=hello)", "key=order-7", "headers:={\"trace\":\"ab12\"}"));
        Assert.Equal(0, pub["seq"]!.GetValue<long>());
        Assert.True(pub["durable"]!.GetValue<bool>());
        Ok(ReshIn("from stdin\n", "mq:///jobs.publish", "body=@-"));
        var file = Dir.File("job.json", "{\"n\":1}");
        Ok(Resh("mq:///jobs.publish", "file=" + file));
        Ok(ReshBinary.Run(["mq:///jobs.publish", "body=@-", "--format", "json"], stdinBytes: [0xff, 0x00, 0xfe], env: Env));
        Assert.Equal(4, Stats("jobs")["depth"]!.GetValue<long>());

        // The exact call of the issue.
        var first = Ok(Resh("mq:///jobs.consume", "count=1"))["messages"]![0]!;
        Assert.Equal("hello", first["body"]!.GetValue<string>());
        Assert.Equal("order-7", first["key"]!.GetValue<string>());
        Assert.Equal("ab12", first["headers"]!["trace"]!.GetValue<string>());
        Assert.Equal(0, first["redeliveries"]!.GetValue<int>());

        var rest = Ok(Resh("mq:///jobs.consume", "count=10"))["messages"]!.AsArray();
        Assert.Equal(3, rest.Count);
        Assert.Equal("from stdin\n", rest[0]!["body"]!.GetValue<string>());
        Assert.Equal("{\"n\":1}", rest[1]!["body"]!.GetValue<string>());
        Assert.Equal("base64", rest[2]!["encoding"]!.GetValue<string>());
        Assert.Equal(new byte[] { 0xff, 0x00, 0xfe }, Convert.FromBase64String(rest[2]!["body"]!.GetValue<string>()));

        // Auto ack: gone for good.
        var empty = Resh("mq:///jobs.consume");
        Assert.Equal(0, empty.ExitCode);
        Assert.False(empty.Changed);
        Assert.Empty(empty.Result!["messages"]!.AsArray());
        var queues = Ok(Resh("mq://.queues"))["queues"]!.AsArray();
        Assert.Equal(0, queues.Single(q => q!["name"]!.GetValue<string>() == "jobs")!["depth"]!.GetValue<long>());
    }

    [Fact]
    public void A_consumer_killed_before_its_ack_gets_its_message_delivered_again_after_the_visibility_timeout()
    {
        Ok(Resh("mq:///work.publish", "body=task-1"));
        var output = Dir["consumed.json"];
        var resh = Shell.Q(ReshBinary.Path);
        // The consumer takes the message (manual ack), then would ack it much later: it is killed first.
        var script = $"{resh} mq:///work.consume ack=manual visibility=3s --format json > {Shell.Q(output)}; sleep 120";
        var psi = new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false };
        psi.Environment["RESH_HOME"] = Home;
        using var consumer = Process.Start(psi)!;
        try
        {
            for (var i = 0; i < 200 && !(File.Exists(output) && new FileInfo(output).Length > 0 && File.ReadAllText(output).EndsWith('\n')); i++) Thread.Sleep(50);
            var taken = JsonNode.Parse(File.ReadAllText(output))!["result"]!["messages"]![0]!;
            Assert.Equal("task-1", taken["body"]!.GetValue<string>());
            Assert.NotNull(taken["receipt"]);
        }
        finally
        {
            Shell.Run($"pkill -9 -P {consumer.Id}; kill -9 {consumer.Id}");
            consumer.WaitForExit();
        }
        // Leased: nobody else gets it before the visibility timeout ends.
        Assert.Empty(Ok(Resh("mq:///work.consume", "ack=manual"))["messages"]!.AsArray());
        Assert.Equal(1, Stats("work")["in_flight"]!.GetValue<long>());

        var again = Ok(Resh("mq:///work.consume", "ack=manual", "wait=10s"))["messages"]![0]!;
        Assert.Equal("task-1", again["body"]!.GetValue<string>());
        Assert.Equal(1, again["redeliveries"]!.GetValue<int>());
        Assert.Equal(2, again["deliveries"]!.GetValue<int>());

        // The dead consumer's receipt no longer acks; the new one does, once.
        var stale = JsonNode.Parse(File.ReadAllText(output))!["result"]!["messages"]![0]!["receipt"]!.GetValue<string>();
        var staleAck = Resh("mq:///work.ack", stale);
        Assert.Equal(5, staleAck.ExitCode);
        Assert.Equal("conflict", staleAck.ErrorCode);
        var receipt = again["receipt"]!.GetValue<string>();
        Assert.True(Resh("mq:///work.ack", receipt).Changed);
        Assert.False(Resh("mq:///work.ack", receipt).Changed);
        var stats = Stats("work");
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
        Assert.Equal(1, stats["redelivered"]!.GetValue<long>());
    }

    [Fact]
    public async Task Ten_concurrent_publishers_and_three_consumers_see_every_message_exactly_once()
    {
        const int publishers = 10, each = 50;
        var publishing = Enumerable.Range(0, publishers).Select(p => Task.Run(() =>
            Batch(Enumerable.Range(0, each).Select(i => Publish("orders", $"p{p}-m{i}"))))).ToArray();
        var seen = new ConcurrentDictionary<string, int>();
        var done = 0;
        var consumers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            while (Volatile.Read(ref done) < publishers * each && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                var run = Resh("mq:///orders.consume", "ack=manual", "count=25", "visibility=2m");
                if (run.ExitCode == 3) { Thread.Sleep(50); continue; } // not created yet
                var messages = Ok(run)["messages"]!.AsArray();
                if (messages.Count == 0) { Thread.Sleep(50); continue; }
                foreach (var m in messages) seen.AddOrUpdate(m!["body"]!.GetValue<string>(), 1, (_, n) => n + 1);
                var ack = Resh(["mq:///orders.ack", .. messages.Select(m => m!["receipt"]!.GetValue<string>())]);
                Assert.Equal(messages.Count, Ok(ack)["acked"]!.AsArray().Count);
                Interlocked.Add(ref done, messages.Count);
            }
        })).ToArray();
        var published = await Task.WhenAll(publishing);
        Assert.All(published, envelopes =>
        {
            Assert.Equal(each, envelopes.Count);
            Assert.All(envelopes, e => Assert.True(e["ok"]!.GetValue<bool>(), e.ToJsonString()));
        });
        await Task.WhenAll(consumers);

        Assert.Equal(publishers * each, seen.Count);
        Assert.All(seen, kv => Assert.True(kv.Value == 1, $"{kv.Key} was consumed {kv.Value} times"));
        var seqs = published.SelectMany(b => b.Select(e => e["result"]!["seq"]!.GetValue<long>())).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, publishers * each).Select(i => (long)i), seqs);
        var stats = Stats("orders");
        Assert.Equal(0, stats["depth"]!.GetValue<long>());
        Assert.Equal(0, stats["in_flight"]!.GetValue<long>());
        Assert.Equal(publishers * each, stats["acked"]!.GetValue<long>());
    }

    [Fact]
    public void A_message_delivered_max_deliveries_times_without_an_ack_goes_to_the_dead_letter_queue()
    {
        Assert.True(Ok(Resh("mq:///flaky.create", "max_deliveries=2"))["created"]!.GetValue<bool>());
        Ok(Resh("mq:///flaky.publish", "body=poison", "key=p1"));
        for (var i = 1; i <= 2; i++)
        {
            var m = Ok(Resh("mq:///flaky.consume", "ack=manual", "visibility=1s", "wait=5s"))["messages"]![0]!;
            Assert.Equal(i, m["deliveries"]!.GetValue<int>());
            Thread.Sleep(1100);
        }
        var third = Ok(Resh("mq:///flaky.consume", "ack=manual", "visibility=1s"));
        Assert.Empty(third["messages"]!.AsArray());
        Assert.Equal(1, third["dead_lettered"]!.GetValue<int>());

        var dead = Ok(Resh("mq:///flaky.dlq.consume"))["messages"]![0]!;
        Assert.Equal("poison", dead["body"]!.GetValue<string>());
        Assert.Equal("p1", dead["key"]!.GetValue<string>());
        Assert.Equal("flaky", dead["origin"]!["queue"]!.GetValue<string>());
        Assert.Equal("max_deliveries", dead["origin"]!["reason"]!.GetValue<string>());
        Assert.Equal(2, dead["origin"]!["deliveries"]!.GetValue<int>());
        var stats = Stats("flaky");
        Assert.Equal(1, stats["dead_lettered"]!.GetValue<long>());
        Assert.Equal(0, stats["depth"]!.GetValue<long>());

        // nack: put back (one more redelivery), or straight to the dead-letter queue.
        Ok(Resh("mq:///flaky.publish", "body=second"));
        var r1 = Ok(Resh("mq:///flaky.consume", "ack=manual"))["messages"]![0]!["receipt"]!.GetValue<string>();
        Assert.Single(Ok(Resh("mq:///flaky.nack", r1))["requeued"]!.AsArray());
        Assert.Equal(5, Resh("mq:///flaky.ack", r1).ExitCode);
        var back = Ok(Resh("mq:///flaky.consume", "ack=manual"))["messages"]![0]!;
        Assert.Equal(1, back["redeliveries"]!.GetValue<int>());
        Assert.Single(Ok(Resh("mq:///flaky.nack", back["receipt"]!.GetValue<string>(), "dead_letter=true"))["dead_lettered"]!.AsArray());
        Assert.Equal("nack", Ok(Resh("mq:///flaky.dlq.peek"))["messages"]![0]!["origin"]!["reason"]!.GetValue<string>());
        Assert.Equal(2, Resh("mq:///flaky.dlq.nack", back["receipt"]!.GetValue<string>(), "dead_letter=true").ExitCode);
    }

    [Fact]
    public void Peek_subscribe_purge_and_delete_do_what_they_say()
    {
        Batch(Enumerable.Range(0, 5).Select(i => Publish("feed", $"m{i}")));
        var peek = Ok(Resh("mq:///feed.peek", "count=2"));
        Assert.Equal(["m0", "m1"], peek["messages"]!.AsArray().Select(m => m!["body"]!.GetValue<string>()));
        Assert.Equal(5, peek["depth"]!.GetValue<long>());

        var sub = ReshBinary.Run(["mq:///feed.subscribe", "count=3", "--format", "ndjson"], env: Env);
        Assert.True(sub.ExitCode == 0, sub.ToString());
        var events = sub.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["m0", "m1", "m2"], events.Where(e => e["event"]?.GetValue<string>() == "message").Select(e => e["body"]!.GetValue<string>()));
        Assert.Equal("count", events[^1]["result"]!["ended"]!.GetValue<string>());

        // Until --timeout: the two left, then a normal end.
        var timed = ReshBinary.Run(["mq:///feed.subscribe", "--timeout", "1s", "--format", "ndjson"], env: Env);
        Assert.True(timed.ExitCode == 0, timed.ToString());
        Assert.Equal(2, timed.Stdout.Split('\n').Count(l => l.Contains("\"event\":\"message\"")));

        Batch(Enumerable.Range(0, 3).Select(i => Publish("feed", $"n{i}")));
        var purge = Resh("mq:///feed.purge");
        Assert.Equal(5, purge.ExitCode);
        Assert.NotNull(purge.Envelope["error"]!["hint"]);
        Assert.Equal(3, Ok(Resh("mq:///feed.purge", "force=true"))["purged"]!.GetValue<long>());
        Assert.Equal(0, Stats("feed")["depth"]!.GetValue<long>());
        Assert.Equal(8, Ok(Resh("mq:///feed.publish", "body=after"))["seq"]!.GetValue<long>());

        Assert.Equal(5, Resh("mq:///feed.delete").ExitCode);
        Assert.True(Directory.Exists(QueueDir("feed")));
        Assert.True(Ok(Resh("mq:///feed.delete", "force=true"))["deleted"]!.GetValue<bool>());
        Assert.False(Directory.Exists(QueueDir("feed")));
        Assert.False(Resh("mq:///feed.delete").Changed);
        Assert.Equal(3, Resh("mq:///feed.consume").ExitCode);
    }

    [Fact]
    public void A_batch_of_publishes_shares_fsyncs_and_fully_consumed_segments_are_deleted()
    {
        // 20 bodies of 1 MB: more than one 16 MiB segment.
        var body = Dir.File("big.bin", new string('x', 1_000_000));
        var requests = Enumerable.Range(0, 20).Select(i => new JsonObject
        {
            ["id"] = i, ["stage"] = "mq:///bulk", ["verb"] = "publish", ["args"] = new JsonObject { ["file"] = body, ["key"] = $"k{i}" },
        });
        var answers = Batch(requests);
        Assert.Equal(20, answers.Count);
        Assert.All(answers, a => Assert.True(a["ok"]!.GetValue<bool>(), a.ToJsonString()));
        Assert.Equal(Enumerable.Range(0, 20), answers.Select(a => a["id"]!.GetValue<int>()));
        Assert.Equal(2, Stats("bulk")["segments"]!.GetValue<int>());

        for (var i = 0; i < 20; i += 5) Assert.Equal(5, Ok(Resh("mq:///bulk.consume", "count=5"))["count"]!.GetValue<int>());
        var stats = Stats("bulk");
        Assert.Equal(1, stats["segments"]!.GetValue<int>());
        Assert.True(stats["disk_bytes"]!.GetValue<long>() < 16L * 1024 * 1024, stats.ToJsonString());
        Assert.Single(Directory.GetFiles(QueueDir("bulk"), "*.seg"));
    }

    [Fact]
    public async Task A_batch_answers_a_publish_at_once_when_no_further_line_is_waiting()
    {
        // Group commit holds answers only while more input is already there: a caller that waits for each answer
        // must get it without sending the next line.
        var psi = new ProcessStartInfo(ReshBinary.Path, ["batch"]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["RESH_HOME"] = Home;
        using var batch = Process.Start(psi)!;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                await batch.StandardInput.WriteLineAsync(Publish("chat", $"line-{i}").ToJsonString());
                await batch.StandardInput.FlushAsync();
                var read = batch.StandardOutput.ReadLineAsync();
                Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20))) == read, $"no answer to line {i} while the batch waits for more input");
                var env = JsonNode.Parse((await read)!)!;
                Assert.True(env["ok"]!.GetValue<bool>(), env.ToJsonString());
                Assert.Equal(i, env["result"]!["seq"]!.GetValue<long>());
            }
            // A read in the same batch after publishes sees them (their fsync ran before it).
            await batch.StandardInput.WriteLineAsync(new JsonObject { ["id"] = "s", ["stage"] = "mq:///chat", ["verb"] = "stats" }.ToJsonString());
            batch.StandardInput.Close();
            var stats = JsonNode.Parse((await batch.StandardOutput.ReadLineAsync())!)!;
            Assert.Equal(3, stats["result"]!["depth"]!.GetValue<long>());
            Assert.True(batch.WaitForExit(20_000));
            Assert.Equal(0, batch.ExitCode);
        }
        finally
        {
            if (!batch.HasExited) batch.Kill();
        }
    }
}
