using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Event;

public sealed class EventTests : EventTestBase
{
    [Fact]
    public void Events_emitted_by_one_process_are_listed_by_another_with_patterns_filters_and_limits()
    {
        var first = Emit("deploy.created", "{\"version\":\"1.2\",\"env\":\"prod\"}", "source=ci", "correlation=run-7");
        Assert.Equal(1, first["seq"]!.GetValue<long>());
        Assert.True(first["durable"]!.GetValue<bool>());
        Emit("deploy.created.eu", "{\"version\":\"1.3\"}");
        Emit("disk.full", "{\"mount\":\"/srv\"}");
        Emit("deploy.deleted", "{\"version\":\"1.2\",\"env\":\"test\"}");

        var one = List("/deploy.*");
        Assert.Equal(["deploy.created", "deploy.deleted"], one.Select(e => e!["topic"]!.GetValue<string>()));
        var e0 = one[0]!;
        Assert.Equal("ci", e0["source"]!.GetValue<string>());
        Assert.Equal("run-7", e0["correlation"]!.GetValue<string>());
        Assert.Equal("1.2", e0["data"]!["version"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(e0["who"]!.GetValue<string>()));
        Assert.Equal(24, e0["id"]!.GetValue<string>().Length);

        Assert.Equal([1L, 2, 4], List("/deploy.>").Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal([3L], List("/disk.full").Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal(4, List("").Count);
        Assert.Equal([4L], List("/deploy.>", "where=data.version=1.2", "where=env!=prod", "where=data.env!=prod").Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal([1L], List("/deploy.>", "where=data.env=prod").Select(e => e!["seq"]!.GetValue<long>()));

        // limit keeps the newest, listed oldest first.
        var limited = Ok(Resh("event://.list", "limit=2"));
        Assert.Equal([3L, 4], limited["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()));
        Assert.True(limited["truncated"]!.GetValue<bool>());
        Assert.Equal([3L, 4], List("", "after=2").Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal(4, List("", "since=1h").Count);
        Assert.Empty(List("", "until=1h"));
        Assert.Equal(2, Ok(Resh("event:///deploy.*.query"))["count"]!.GetValue<int>());

        var topics = Ok(Resh("event://.topics"));
        Assert.Equal(4, topics["events"]!.GetValue<long>());
        var byName = topics["topics"]!.AsArray().ToDictionary(t => t!["topic"]!.GetValue<string>(), t => t!["count"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["deploy.created"] = 1, ["deploy.created.eu"] = 1, ["deploy.deleted"] = 1, ["disk.full"] = 1 }, byName);
        Assert.Equal(3, Ok(Resh("event:///deploy.>.topics"))["topics"]!.AsArray().Count);

        // Files are private.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(EventsDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Segments.Single()));
        // The call exactly as issue 16 writes it.
        Assert.Equal(5, Ok(ReshBinary.Run(["event:///deploy.emit(data:={\"version\":\"1.2\"})", "--format", "json"], env: Env))["seq"]!.GetValue<long>());
        Assert.Equal("1.2", List("/deploy").Single()!["data"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task Follow_streams_events_emitted_by_other_processes()
    {
        var start = Emit("job.started", "{\"n\":0}")["seq"]!.GetValue<long>();
        var psi = new ProcessStartInfo(ReshBinary.Path, ["event:///job.>.follow", $"after={start}", "count=2", "poll=50ms", "--timeout", "60s", "--format", "ndjson"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        using var follow = Process.Start(psi)!;
        try
        {
            var output = follow.StandardOutput.ReadToEndAsync();
            Thread.Sleep(700);
            Emit("other.topic", "{\"n\":1}");
            Emit("job.done", "{\"n\":2}");
            Thread.Sleep(300);
            Emit("job.failed", "{\"n\":3}");
            Assert.True(follow.WaitForExit(60_000), "follow did not end");
            var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.Equal(3, lines.Count);
            Assert.Equal(["job.done", "job.failed"], lines.Take(2).Select(l => l["topic"]!.GetValue<string>()));
            Assert.Equal("event", lines[0]["event"]!.GetValue<string>());
            Assert.Equal(3, lines[1]["data"]!["n"]!.GetValue<int>());
            var envelope = lines[2];
            Assert.True(envelope["ok"]!.GetValue<bool>(), envelope.ToJsonString());
            Assert.Equal("count", envelope["result"]!["ended"]!.GetValue<string>());
            Assert.Equal(4, envelope["result"]!["last_seq"]!.GetValue<long>());
        }
        finally
        {
            if (!follow.HasExited) follow.Kill();
        }

        // From the end: only what comes later; --timeout is a normal end.
        var quiet = Resh("event:///job.>.follow", "--timeout", "1s");
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("timeout", quiet.Result!["ended"]!.GetValue<string>());
        Assert.Equal(0, quiet.Result!["received"]!.GetValue<long>());
    }

    [Fact]
    public async Task Ten_concurrent_emitters_lose_nothing_and_every_sequence_number_is_unique()
    {
        const int emitters = 10, each = 30;
        var runs = Enumerable.Range(0, emitters).Select(p => Task.Run(() => Batch(Enumerable.Range(0, each).Select(i => new JsonObject
        {
            ["id"] = $"p{p}-{i}", ["stage"] = "event:///load.test", ["verb"] = "emit",
            ["args"] = new JsonObject { ["data"] = new JsonObject { ["p"] = p, ["i"] = i }, ["source"] = $"p{p}" },
        })))).ToArray();
        var answers = (await Task.WhenAll(runs)).SelectMany(a => a).ToList();
        Assert.Equal(emitters * each, answers.Count);
        Assert.All(answers, a => Assert.True(a["ok"]!.GetValue<bool>(), a.ToJsonString()));
        var seqs = answers.Select(a => a["result"]!["seq"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(1, emitters * each).Select(i => (long)i), seqs.Order());

        var listed = List("/load.test", "limit=1000");
        Assert.Equal(emitters * each, listed.Count);
        Assert.Equal(Enumerable.Range(1, emitters * each).Select(i => (long)i), listed.Select(e => e!["seq"]!.GetValue<long>()));
        // Each emitter's own events are in its order.
        for (var p = 0; p < emitters; p++)
            Assert.Equal(Enumerable.Range(0, each), listed.Where(e => e!["source"]!.GetValue<string>() == $"p{p}").Select(e => e!["data"]!["i"]!.GetValue<int>()));
    }

    [Fact]
    public void Retention_drops_whole_old_segments_by_size_and_by_age()
    {
        File.WriteAllText(Config, "[events]\nsegment_size = \"1KiB\"\nmax_size = \"3KiB\"\n");
        for (var i = 0; i < 40; i++) Emit("fill", $"{{\"i\":{i},\"pad\":\"{new string('x', 100)}\"}}");
        var total = Segments.Sum(s => new FileInfo(s).Length);
        Assert.True(total <= 3 * 1024 + 1024, $"{total} bytes in {Segments.Length} segments");
        Assert.True(Segments.Length >= 2);
        var kept = List("/fill", "limit=1000");
        Assert.True(kept.Count is > 5 and < 40, kept.Count.ToString());
        Assert.Equal(40L, kept[^1]!["seq"]!.GetValue<long>());
        Assert.Equal(kept.Count, 40 - (int)kept[0]!["seq"]!.GetValue<long>() + 1); // no hole: only the oldest went

        File.WriteAllText(Config, "[events]\nsegment_size = \"1KiB\"\nmax_age = \"1h\"\n");
        var oldest = Segments.First();
        var second = Segments[1];
        File.SetLastWriteTimeUtc(oldest, DateTime.UtcNow.AddHours(-2));
        var emitted = Emit("fill", "{\"i\":40}");
        Assert.True(emitted["dropped"]!.GetValue<int>() >= 1);
        Assert.False(File.Exists(oldest));
        Assert.True(File.Exists(second));

        Ok(Resh("event:///x.emit"));
        File.WriteAllText(Config, "[events]\nmax_age = \"soon\"\n");
        var bad = Resh("event:///x.emit");
        Assert.Equal("usage", bad.ErrorCode);
        Assert.Contains("max_age", bad.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void With_record_on_every_changed_call_is_an_event_and_with_it_off_none_is()
    {
        var target = Dir["written.txt"];
        Ok(Resh($"file://{target}.write", "content=one"));
        Assert.False(Directory.Exists(EventsDir));

        File.WriteAllText(Config, "[events]\nrecord = true\n");
        Ok(Resh($"file://{target}.write", "content=two"));
        Ok(Resh($"file://{target}.read"));                  // not a change
        Ok(Resh($"file://{target}.write", "content=two"));  // unchanged: same content
        Ok(Resh($"file://{target}.write", "content=three", "--dry-run"));
        Ok(Resh("event:///manual.emit"));                   // event:// itself is not recorded
        var recorded = List("/resh.>");
        var one = Assert.Single(recorded)!;
        Assert.Equal("resh.file.write", one["topic"]!.GetValue<string>());
        Assert.Equal("resh", one["source"]!.GetValue<string>());
        Assert.Equal($"file://{target}", one["data"]!["target"]!.GetValue<string>());
        Assert.Equal("write", one["data"]!["verb"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(one["who"]!.GetValue<string>()));
    }
}
