using System.Diagnostics;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Resh.Handles.Tests.Mq.Nats;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Event;

[CollectionDefinition("nats-events")]
public sealed class NatsEventsCollection : ICollectionFixture<NatsBackend>;

/// <summary>
/// Issue 16, event:// on NATS JetStream against a real nats-server (tests/setup/nats.sh, its own server): two "hosts"
/// (two state dirs) emit, a third lists, follows and counts topics; rules run by serve on two hosts at once run once
/// per event; [events] max_age and max_size reach the stream; a server that is down is `unavailable`. Every test uses
/// topics of its own (the stream RESH_EVENTS is shared).
/// </summary>
[Collection("nats-events")]
public sealed class EventNatsTests(NatsBackend nats) : IDisposable
{
    readonly TempDir _dir = new("eventnats");
    readonly string _t = "t" + Guid.NewGuid().ToString("N")[..10];

    public void Dispose() => _dir.Dispose();

    /// <summary>A host: its own state dir and a config whose [events] point at the server (password from the environment).</summary>
    Dictionary<string, string> Host(string name, string extra = "")
    {
        var home = _dir[name];
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = _dir[name + ".toml"];
        File.WriteAllText(config, $"""
            [events]
            backend = "nats"
            url = "nats://127.0.0.1:{nats.Port}"
            user = "resh"
            password = "env:RESH_TEST_NATS_PW"
            tls = "off"
            {extra}
            """);
        return new() { ["RESH_HOME"] = home, ["RESH_CONFIG"] = config, ["RESH_TEST_NATS_PW"] = nats.Password };
    }

    static ReshRun Resh(Dictionary<string, string> host, params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: host, wait: TimeSpan.FromSeconds(60));

    static JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    static Process Start(Dictionary<string, string> host, params string[] args)
    {
        var psi = new ProcessStartInfo(ReshBinary.Path, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment.Remove("RESH_CONFIG");
        foreach (var (k, v) in host) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Two_hosts_emit_and_a_third_lists_follows_and_counts_both_in_order()
    {
        var (a, b, c) = (Host("a"), Host("b"), Host("c"));
        var seqs = new List<long>();
        foreach (var (host, topic, n) in new[] { (a, "deploy.created", 1), (b, "deploy.created", 2), (a, "disk.full", 3), (b, "deploy.done", 4) })
        {
            var emitted = Ok(Resh(host, $"event:///{_t}.{topic}.emit", $"data:={{\"n\":{n}}}", $"source=host-{(host == a ? "a" : "b")}"));
            Assert.True(emitted["durable"]!.GetValue<bool>());
            seqs.Add(emitted["seq"]!.GetValue<long>());
        }
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(4, seqs.Distinct().Count());
        // Nothing went to the hosts' local trails.
        Assert.False(Directory.Exists(Path.Combine(_dir["a"], "events")) && Directory.GetFiles(Path.Combine(_dir["a"], "events"), "*.seg").Length > 0);

        var all = Ok(Resh(c, $"event:///{_t}.>.list"))["events"]!.AsArray();
        Assert.Equal([1, 2, 3, 4], all.Select(e => e!["data"]!["n"]!.GetValue<int>()));
        Assert.Equal(seqs, all.Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal(["host-a", "host-b", "host-a", "host-b"], all.Select(e => e!["source"]!.GetValue<string>()));
        // Wildcards are subject filters; where= and after= filter as on the embedded trail.
        Assert.Equal([1, 2], Ok(Resh(c, $"event:///{_t}.deploy.created.list"))["events"]!.AsArray().Select(e => e!["data"]!["n"]!.GetValue<int>()));
        Assert.Equal([1, 2, 4], Ok(Resh(c, $"event:///{_t}.deploy.*.list"))["events"]!.AsArray().Select(e => e!["data"]!["n"]!.GetValue<int>()));
        Assert.Equal([4], Ok(Resh(c, $"event:///{_t}.>.list", "where=source=host-b", $"after={seqs[1]}"))["events"]!.AsArray().Select(e => e!["data"]!["n"]!.GetValue<int>()));
        var newest = Ok(Resh(c, $"event:///{_t}.>.query", "limit=2"));
        Assert.True(newest["truncated"]!.GetValue<bool>());
        Assert.Equal([3, 4], newest["events"]!.AsArray().Select(e => e!["data"]!["n"]!.GetValue<int>()));
        Assert.Empty(Ok(Resh(c, $"event:///{_t}.>.list", "since=2099-01-01"))["events"]!.AsArray());

        // topics: the stream's per-subject counts.
        var topics = Ok(Resh(c, $"event:///{_t}.>.topics"))["topics"]!.AsArray();
        Assert.Equal([$"{_t}.deploy.created", $"{_t}.deploy.done", $"{_t}.disk.full"], topics.Select(t => t!["topic"]!.GetValue<string>()));
        Assert.Equal([2L, 1L, 1L], topics.Select(t => t!["count"]!.GetValue<long>()));
        Assert.Equal(seqs[1], topics[0]!["last_seq"]!.GetValue<long>());
        Assert.Equal(all[0]!["time"]!.GetValue<string>(), topics[0]!["first"]!.GetValue<string>());

        // follow from the start sees both hosts' events in order.
        var replay = Resh(c, $"event:///{_t}.>.follow", "from=start", "count=4", "--timeout", "30s", "--format", "ndjson");
        var lines = replay.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(seqs, lines.Take(4).Select(l => l["seq"]!.GetValue<long>()));

        // A live follow on the third host gets what both others emit after it started, and stops at count.
        using var follow = Start(c, $"event:///{_t}.live.>.follow", "count=2", "--timeout", "60s", "--format", "ndjson");
        try
        {
            var output = follow.StandardOutput.ReadToEndAsync();
            Thread.Sleep(1500);
            Ok(Resh(a, $"event:///{_t}.live.one.emit", "data:=1"));
            Ok(Resh(c, $"event:///{_t}.other.emit", "data:=0"));
            Ok(Resh(b, $"event:///{_t}.live.two.emit", "data:=2"));
            Assert.True(follow.WaitForExit(60_000), "follow did not end");
            var got = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.Equal(3, got.Count);
            Assert.Equal([$"{_t}.live.one", $"{_t}.live.two"], got.Take(2).Select(l => l["topic"]!.GetValue<string>()));
            Assert.Equal("count", got[2]["result"]!["ended"]!.GetValue<string>());
            Assert.Equal(got[1]["seq"]!.GetValue<long>(), got[2]["result"]!["last_seq"]!.GetValue<long>());
        }
        finally
        {
            if (!follow.HasExited) follow.Kill();
        }

        // An end by --timeout says so (s39 user D5: the nats backend said "count"), also when nothing matched.
        var quiet = Ok(Resh(c, $"event:///{_t}.nomatch.follow", "--timeout", "2s"));
        Assert.Equal("timeout", quiet["ended"]!.GetValue<string>());
        Assert.Equal(0, quiet["received"]!.GetValue<long>());

        // backend=embedded still reaches this host's own trail.
        Ok(Resh(a, $"event:///{_t}.local.emit", "backend=embedded", "data:=5"));
        Assert.Equal(1, Ok(Resh(a, $"event:///{_t}.>.list", "backend=embedded"))["count"]!.GetValue<int>());
        Assert.Empty(Ok(Resh(c, $"event:///{_t}.local.list"))["events"]!.AsArray());
    }

    [Fact]
    public async Task A_rule_served_by_two_hosts_at_once_runs_once_per_event()
    {
        var (a, b) = (Host("a"), Host("b"));
        var log = _dir["runs.log"];
        var name = "s" + _t;
        // Each host appends to a log of its own (two processes appending to one file could lose a line, which is not what is tested here).
        foreach (var (host, side) in new[] { (a, "a"), (b, "b") })
            Ok(Resh(host, $"event:///{_t}.job.rules.add", "name=job-log", $"run=file://{log}.{side}.append", "with:={\"content\":\"{{seq}} {{data.n}}\\n\"}"));
        var seqs = new List<long>();
        for (var i = 1; i <= 8; i++) seqs.Add(Ok(Resh(i % 2 == 0 ? a : b, $"event:///{_t}.job.emit", $"data:={{\"n\":{i}}}"))["seq"]!.GetValue<long>());
        Ok(Resh(a, $"event:///{_t}.other.emit", "data:=0")); // no rule on it

        // Both hosts serve the same name at once: they share one durable consumer (each ends when nothing is left to take).
        using var sa = Start(a, "event://.serve", $"name={name}", "once=true", "--format", "json");
        using var sb = Start(b, "event://.serve", $"name={name}", "once=true", "--format", "json");
        var outA = sa.StandardOutput.ReadToEndAsync();
        var outB = sb.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.True(sa.WaitForExit(120_000) && sb.WaitForExit(120_000), "serve once=true did not end");
        }
        finally
        {
            if (!sa.HasExited) sa.Kill();
            if (!sb.HasExited) sb.Kill();
        }
        var runs = new[] { await outA, await outB }.Select(o => JsonNode.Parse(o.Trim().Split('\n')[^1])!).ToList();
        foreach (var r in runs) Assert.True(r["ok"]!.GetValue<bool>(), r.ToJsonString());
        Assert.Equal(8, runs.Sum(r => r["result"]!["runs"]!.GetValue<long>()));
        string[] Lines() => [.. new[] { log + ".a", log + ".b" }.Where(File.Exists).SelectMany(File.ReadAllLines)];
        var lines = Lines();
        Assert.Equal(seqs.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), lines.Select(l => l.Split(' ')[0]).Order());

        // Handled means acked: a third run of that name finds nothing; a server of another name runs every event again.
        Assert.Equal(0, Ok(Resh(a, "event://.serve", $"name={name}", "once=true"))["runs"]!.GetValue<long>());
        Assert.Equal(8, Ok(Resh(b, "event://.serve", $"name={name}-b", "once=true"))["runs"]!.GetValue<long>());
        Assert.Equal(16, Lines().Length);
    }

    [Fact]
    public async Task Retention_settings_reach_the_stream_and_change_with_the_config()
    {
        var host = Host("r", "max_age = \"2d\"\nmax_size = \"64MiB\"");
        Ok(Resh(host, $"event:///{_t}.retained.emit", "data:=1"));
        var config = await StreamConfig();
        Assert.Equal(TimeSpan.FromDays(2), config.MaxAge);
        Assert.Equal(64L * 1024 * 1024, config.MaxBytes);
        Assert.Equal(NATS.Client.JetStream.Models.StreamConfigRetention.Limits, config.Retention);
        Assert.Equal(["resh.events.>"], config.Subjects);

        host = Host("r", "max_age = \"12h\"\nmax_size = \"32MiB\"");
        Ok(Resh(host, $"event:///{_t}.retained.emit", "data:=2"));
        config = await StreamConfig();
        Assert.Equal(TimeSpan.FromHours(12), config.MaxAge);
        Assert.Equal(32L * 1024 * 1024, config.MaxBytes);
        // Back to the defaults for the other tests.
        Ok(Resh(Host("d"), $"event:///{_t}.retained.emit", "data:=3"));
        Assert.Equal(TimeSpan.FromDays(30), (await StreamConfig()).MaxAge);
    }

    async Task<NATS.Client.JetStream.Models.StreamConfig> StreamConfig()
    {
        await using var client = new NatsConnection(NatsOpts.Default with
        {
            Url = $"nats://127.0.0.1:{nats.Port}", AuthOpts = NatsAuthOpts.Default with { Username = "resh", Password = nats.Password },
        });
        await client.ConnectAsync();
        var js = new NatsJSContext(client);
        return (await js.GetStreamAsync("RESH_EVENTS")).Info.Config;
    }

    [Fact]
    public async Task A_message_that_is_not_an_event_is_skipped_with_a_warning()
    {
        var host = Host("h");
        Ok(Resh(host, $"event:///{_t}.good.emit", "data:=1"));
        await using (var client = new NatsConnection(NatsOpts.Default with
        {
            Url = $"nats://127.0.0.1:{nats.Port}", AuthOpts = NatsAuthOpts.Default with { Username = "resh", Password = nats.Password },
        }))
        {
            await client.ConnectAsync();
            var js = new NatsJSContext(client);
            (await js.PublishAsync($"resh.events.{_t}.bad", "not json \u001b[31m"u8.ToArray(), serializer: NatsRawSerializer<byte[]>.Default)).EnsureSuccess();
        }
        Ok(Resh(host, $"event:///{_t}.good.emit", "data:=2"));
        var run = Resh(host, $"event:///{_t}.>.list");
        Assert.Equal([1, 2], Ok(run)["events"]!.AsArray().Select(e => e!["data"]!.GetValue<int>()));
        Assert.Contains("is not an event", run.Envelope["warnings"]!.ToJsonString());
    }

    [Fact]
    public void A_wrong_password_is_permission_denied_naming_the_events_table_and_never_shown()
    {
        var host = Host("w");
        host["RESH_TEST_NATS_PW"] = "not-" + nats.Password;
        var run = Resh(host, $"event:///{_t}.x.emit", "data:=1");
        Assert.True(run.ErrorCode == "permission_denied" && run.ExitCode != 0, run.ToString());
        Assert.Contains("[events]", run.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.DoesNotContain(nats.Password, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_server_that_is_down_is_unavailable_with_a_hint_and_bad_settings_are_usage_errors()
    {
        var port = LoopbackPorts.Free(1)[0];
        var home = _dir["down"];
        Directory.CreateDirectory(home);
        var config = _dir["down.toml"];
        File.WriteAllText(config, $"[events]\nurl = \"nats://127.0.0.1:{port}\"\ntimeout = \"2s\"\n");
        var env = new Dictionary<string, string> { ["RESH_HOME"] = home, ["RESH_CONFIG"] = config };
        foreach (var verb in new[] { $"event:///{_t}.x.emit", $"event:///{_t}.>.list", "event://.topics", "event://.serve" })
        {
            var clock = Stopwatch.StartNew();
            var run = Resh(env, verb);
            Assert.True(run.ErrorCode == "unavailable" && run.ExitCode != 0, run.ToString());
            Assert.False(string.IsNullOrWhiteSpace(run.Envelope["error"]!["hint"]?.GetValue<string>()), run.ToString());
            Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
        }
        // backend=nats with no url, an unknown backend, and a url that is not NATS: usage errors that say what to write.
        File.WriteAllText(config, "[events]\nmax_age = \"1d\"\n");
        var nourl = Resh(env, $"event:///{_t}.x.emit", "backend=nats");
        Assert.True(nourl.ErrorCode == "usage" && nourl.Stdout.Contains("url"), nourl.ToString());
        File.WriteAllText(config, "[events]\nbackend = \"kafka\"\n");
        Assert.Equal("usage", Resh(env, $"event:///{_t}.x.emit").ErrorCode);
        File.WriteAllText(config, "[events]\nurl = \"http://127.0.0.1:1\"\n");
        Assert.Equal("usage", Resh(env, $"event:///{_t}.x.emit").ErrorCode);
        File.WriteAllText(config, "[events]\nurl = \"nats://resh:hunter2@127.0.0.1:1\"\n");
        var pw = Resh(env, $"event:///{_t}.x.emit");
        Assert.Equal("usage", pw.ErrorCode);
        Assert.DoesNotContain("hunter2", pw.Stdout + pw.Stderr);
    }
}
