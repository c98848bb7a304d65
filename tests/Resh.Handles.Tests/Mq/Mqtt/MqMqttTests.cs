using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Mq.Nats.NatsAssert;

namespace Resh.Handles.Tests.Mq.Mqtt;

/// <summary>
/// Issue 16, mq:// on MQTT 5 against a real mosquitto: the exact call of the task (inline and profile), messages crossing
/// processes and implementations (mosquitto_pub / mosquitto_sub) with key and headers as user properties, at-least-once
/// delivery through the persistent session (a consumer SIGKILLed before its ack gets its message redelivered), ack and
/// nack by receipt from another process, request-reply with response topic and correlation data, the verbs MQTT has no
/// equivalent for, a broker that is down, and hostile topic names.
/// </summary>
[Collection("mqtt")]
public sealed class MqMqttTests(MosquittoBackend mqtt)
{
    static JsonArray Messages(ReshRun run) => Ok(run)["messages"]!.AsArray();

    [Fact]
    public void The_exact_call_works_inline_and_through_the_profile_and_the_password_never_shows()
    {
        // MQTT keeps messages only for sessions that exist: the queue's session first, then the publishes.
        var made = Ok(mqtt.Resh($"{mqtt.Inline}/exact.create", "backend=mqtt"));
        Assert.True(made["created"]!.GetValue<bool>());
        Assert.False(mqtt.Resh($"{mqtt.Inline}/exact.create", "backend=mqtt").Changed);
        var inline = mqtt.Resh($"{mqtt.Inline}/exact.publish(body=hello,backend=mqtt)");
        Assert.True(Ok(inline)["durable"]!.GetValue<bool>(), inline.ToString());
        var profile = mqtt.Resh("mq://broker/exact.publish(body=again)", "--verbose");
        Assert.True(Ok(profile)["durable"]!.GetValue<bool>(), profile.ToString());

        var got = Messages(mqtt.Resh("mq://broker/exact.consume", "count=5"));
        Assert.Equal(["hello", "again"], got.Select(m => m!["body"]!.GetValue<string>()));
        Assert.Empty(Messages(mqtt.Resh($"{mqtt.Inline}/exact.consume", "backend=mqtt")));

        foreach (var run in new[] { inline, profile })
            Assert.DoesNotContain(mqtt.Password, run.Stdout + run.Stderr);
        // A wrong password (also from env:) is refused, and not shown either.
        var wrong = mqtt.Resh("mq://wrong/exact.publish(body=x)");
        Fails(wrong, "permission_denied", 4);
        Assert.DoesNotContain(mqtt.Password, wrong.Stdout + wrong.Stderr);
    }

    [Fact]
    public void A_publish_no_session_keeps_is_answered_but_not_durable_with_a_warning()
    {
        var run = mqtt.Resh("mq://broker/nobody-listens.publish", "body=lost");
        Assert.False(Ok(run)["durable"]!.GetValue<bool>());
        Assert.Contains("No session is subscribed", run.Envelope["warnings"]!.ToJsonString());
        // persistent=false is QoS 0: answered without the broker's PUBACK.
        Assert.False(Ok(mqtt.Resh("mq://broker/nobody-listens.publish", "body=x", "persistent=false"))["durable"]!.GetValue<bool>());
    }

    [Fact]
    public void A_message_crosses_processes_and_implementations_with_key_headers_and_binary_body()
    {
        Ok(mqtt.Resh("mq://broker/cross.create"));
        Ok(mqtt.Resh("mq://broker/cross.publish(body=hello)", "key=order-7", "headers:={\"trace\":\"ab12\"}"));
        Ok(ReshBinary.Run(["mq://broker/cross.publish", "body=@-", "--format", "json"], stdinBytes: [0xff, 0x00, 0xfe], env: mqtt.Env));
        var pub = mqtt.Client("mosquitto_pub", "-q 1 -t cross -m from-mosquitto -D publish user-property trace cd34");
        Assert.True(pub.ExitCode == 0, pub.ToString());

        var first = Messages(mqtt.Resh("mq://broker/cross.consume"))[0]!;
        Assert.Equal("hello", first["body"]!.GetValue<string>());
        Assert.Equal("order-7", first["key"]!.GetValue<string>());
        Assert.Equal("ab12", first["headers"]!["trace"]!.GetValue<string>());
        Assert.Equal(1, first["deliveries"]!.GetValue<int>());
        Assert.Equal(0, first["redeliveries"]!.GetValue<int>());
        var rest = Messages(mqtt.Resh("mq://broker/cross.consume", "count=5"));
        Assert.Equal(2, rest.Count);
        Assert.Equal("base64", rest[0]!["encoding"]!.GetValue<string>());
        Assert.Equal(new byte[] { 0xff, 0x00, 0xfe }, Convert.FromBase64String(rest[0]!["body"]!.GetValue<string>()));
        Assert.Equal("from-mosquitto", rest[1]!["body"]!.GetValue<string>());
        Assert.Equal("cd34", rest[1]!["headers"]!["trace"]!.GetValue<string>());
        var empty = mqtt.Resh("mq://broker/cross.consume");
        Assert.Equal(0, empty.ExitCode);
        Assert.False(empty.Changed);

        // What resh publishes, mosquitto_sub reads: the topic is the queue's name, the key a user property.
        var sub = Shell.Run($"timeout 20 mosquitto_sub -V mqttv5 -h 127.0.0.1 -p {mqtt.Port} -u resh -P \"$RESH_TEST_MQTT_PW\" -t plain -C 1 -F '%t %p %P' > {Shell.Q(mqtt.Dir)}/sub.out & "
            + $"for i in $(seq 100); do grep -q . {Shell.Q(mqtt.Dir)}/sub.out 2>/dev/null && break; "
            + $"{Shell.Q(ReshBinary.Path)} mq://broker/plain.publish body=seen key=k1 >/dev/null; sleep 0.1; done; wait; cat {Shell.Q(mqtt.Dir)}/sub.out",
            env: mqtt.Env, wait: TimeSpan.FromSeconds(40));
        Assert.StartsWith("plain seen ", sub.Stdout);
        Assert.Contains("Resh-Key:k1", sub.Stdout);
    }

    [Fact]
    public void A_consumer_killed_before_its_ack_gets_its_message_redelivered_on_the_next_session()
    {
        Ok(mqtt.Resh("mq://broker/work.create"));
        Ok(mqtt.Resh("mq://broker/work.publish", "body=task-1"));
        var output = Path.Combine(mqtt.Dir, "consumed-" + Guid.NewGuid().ToString("N")[..8] + ".ndjson");
        var script = $"exec {Shell.Q(ReshBinary.Path)} mq://broker/work.subscribe ack=manual --format json > {Shell.Q(output)}";
        var psi = new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false };
        foreach (var (k, v) in mqtt.Env) psi.Environment[k] = v;
        using var consumer = Process.Start(psi)!;
        try
        {
            for (var i = 0; i < 400 && !(File.Exists(output) && File.ReadAllText(output).Contains("task-1")); i++) Thread.Sleep(50);
            var taken = JsonNode.Parse(File.ReadAllLines(output).First(l => l.Contains("\"message\"")))!;
            Assert.Equal("task-1", taken["body"]!.GetValue<string>());
            Assert.NotNull(taken["receipt"]);
        }
        finally
        {
            consumer.Kill(); // SIGKILL: no DISCONNECT, no PUBACK
            consumer.WaitForExit();
        }
        var again = Messages(mqtt.Resh("mq://broker/work.consume", "wait=10s"))[0]!;
        Assert.Equal("task-1", again["body"]!.GetValue<string>());
        Assert.Equal(2, again["deliveries"]!.GetValue<int>());
        Assert.Equal(1, again["redeliveries"]!.GetValue<int>());
        // Acked by that consume (ack=auto): never again.
        Assert.Empty(Messages(mqtt.Resh("mq://broker/work.consume")));
    }

    [Fact]
    public void Ack_and_nack_by_receipt_work_from_another_process_and_receipts_are_checked()
    {
        Ok(mqtt.Resh("mq://broker/rc.create"));
        Ok(mqtt.Resh("mq://broker/rc.publish", "body=one"));
        Ok(mqtt.Resh("mq://broker/rc.publish", "body=two"));
        var leased = Messages(mqtt.Resh("mq://broker/rc.consume", "ack=manual", "count=2"));
        Assert.Equal(["one", "two"], leased.Select(m => m!["body"]!.GetValue<string>()));
        var r1 = leased[0]!["receipt"]!.GetValue<string>();
        var r2 = leased[1]!["receipt"]!.GetValue<string>();
        Assert.Matches("^[0-9]+\\.[0-9a-f]{12}$", r1);

        Fails(mqtt.Resh("mq://broker/rc.ack", "17.3f9c0a1b2c3d4e5f"), "usage", 2);
        Fails(mqtt.Resh("mq://broker/rc.ack", "$JS.ACK.x.y.1.1.1.1.1"), "usage", 2);
        // A receipt of queue rc names no delivery of another queue's session.
        Ok(mqtt.Resh("mq://broker/rc-other.create"));
        Assert.Empty(Ok(mqtt.Resh("mq://broker/rc-other.ack", r1))["acked"]!.AsArray());

        var acked = Ok(mqtt.Resh("mq://broker/rc.ack", r1));
        Assert.Single(acked["acked"]!.AsArray());
        var requeued = Ok(mqtt.Resh("mq://broker/rc.nack", r2));
        Assert.Single(requeued["requeued"]!.AsArray());
        // one is done; two comes again, marked as a redelivery.
        var next = Messages(mqtt.Resh("mq://broker/rc.consume", "count=5"));
        Assert.Equal(["two"], next.Select(m => m!["body"]!.GetValue<string>()));
        Assert.Equal(1, next[0]!["redeliveries"]!.GetValue<int>());
        var twice = Ok(mqtt.Resh("mq://broker/rc.ack", r1));
        Assert.Empty(twice["acked"]!.AsArray());
        Assert.Single(twice["already_done"]!.AsArray());
    }

    [Fact]
    public void Subscribe_streams_ndjson_until_count_and_ends_normally_at_the_timeout()
    {
        Ok(mqtt.Resh("mq://broker/sub.create"));
        for (var i = 0; i < 3; i++) Ok(mqtt.Resh("mq://broker/sub.publish", $"body=m{i}"));
        var sub = ReshBinary.Run(["mq://broker/sub.subscribe", "count=3", "--format", "json"], env: mqtt.Env, wait: TimeSpan.FromSeconds(30));
        Assert.Equal(0, sub.ExitCode);
        var lines = sub.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["m0", "m1", "m2"], lines.Where(e => e["event"]?.GetValue<string>() == "message").Select(e => e["body"]!.GetValue<string>()));
        Assert.Equal("count", lines[^1]["result"]!["ended"]!.GetValue<string>());
        var timed = ReshBinary.Run(["mq://broker/sub.subscribe", "--timeout", "3s", "--format", "json"], env: mqtt.Env, wait: TimeSpan.FromSeconds(60));
        Assert.Equal(0, timed.ExitCode);
        Assert.Contains("\"ended\":\"timeout\"", timed.Stdout);
        // The verb's own clock (the envelope's duration_ms): a loaded CI machine once took 29 s of wall time around a
        // 3 s run, start-up and exit included; what is asserted is that the subscription ends at its timeout.
        var end = JsonNode.Parse(timed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!;
        var ms = end["duration_ms"]!.GetValue<double>();
        Assert.True(ms is >= 2_900 and < 20_000, $"duration_ms {ms}: {timed.Stdout}");
    }

    [Fact]
    public void Request_gets_the_responders_reply_through_response_topic_and_correlation_data()
    {
        // A responder written with mosquitto's clients: it answers to the response topic with the correlation data.
        var reply = Path.Combine(mqtt.Dir, "responder-" + Guid.NewGuid().ToString("N")[..8]);
        var responder = $"timeout 60 mosquitto_sub -V mqttv5 -h 127.0.0.1 -p {mqtt.Port} -u resh -P \"$RESH_TEST_MQTT_PW\" -t svc.echo -C 1 -F '%R %D %p' > {Shell.Q(reply)}.in; "
            + $"read -r topic corr body < {Shell.Q(reply)}.in; "
            + $"mosquitto_pub -V mqttv5 -h 127.0.0.1 -p {mqtt.Port} -u resh -P \"$RESH_TEST_MQTT_PW\" -q 1 -t \"$topic\" -D publish correlation-data \"$corr\" -m \"pong:$body\"";
        var psi = new ProcessStartInfo("/bin/bash", ["-c", responder]) { UseShellExecute = false };
        foreach (var (k, v) in mqtt.Env) psi.Environment[k] = v;
        using var proc = Process.Start(psi)!;
        try
        {
            ReshRun? answer = null;
            for (var i = 0; i < 50; i++)
            {
                answer = mqtt.Resh("mq://broker/svc.echo.request", "body=ping", "wait=10s");
                if (answer.ErrorCode != "unavailable") break; // the responder has not subscribed yet
                Thread.Sleep(100);
            }
            Assert.Equal("pong:ping", Ok(answer!)["body"]!.GetValue<string>());
            Assert.Equal("svc.echo", answer!.Result!["subject"]!.GetValue<string>());
        }
        finally
        {
            if (!proc.WaitForExit(10_000)) proc.Kill(entireProcessTree: true);
        }
        Fails(mqtt.Resh("mq://broker/svc.nobody.request", "body=x", "wait=2s"), "unavailable", 7);
    }

    [Fact]
    public void What_MQTT_has_no_equivalent_for_answers_unsupported_with_a_hint()
    {
        Ok(mqtt.Resh("mq://broker/un.create"));
        Fails(mqtt.Resh("mq://broker/un.peek"), "unsupported", 8);
        Fails(mqtt.Resh("mq://broker/un.stats"), "unsupported", 8);
        Fails(mqtt.Resh("mq://broker/un.purge", "force=true"), "unsupported", 8);
        Fails(mqtt.Resh("mq://broker/.queues"), "unsupported", 8);
        Fails(mqtt.Resh("mq://broker/un.nack", "1.0123456789ab", "dead_letter=true"), "unsupported", 8);
        Fails(mqtt.Resh("mq://broker/un.consume", "--dry-run"), "unsupported", 8);
        // delete ends the session: refused without force (MQTT cannot count what it holds), done with it.
        Fails(mqtt.Resh("mq://broker/un.delete"), "conflict", 5);
        Assert.True(Ok(mqtt.Resh("mq://broker/un.delete", "force=true"))["deleted"]!.GetValue<bool>());
        Assert.False(Ok(mqtt.Resh("mq://broker/un.delete", "force=true"))["deleted"]!.GetValue<bool>());
    }

    [Fact]
    public void A_second_consumer_name_is_a_session_of_its_own()
    {
        Ok(mqtt.Resh("mq://broker/fan.create"));
        Ok(mqtt.Resh("mq://other/fan.create"));
        Ok(mqtt.Resh("mq://broker/fan.publish", "body=both"));
        Assert.Equal("both", Messages(mqtt.Resh("mq://broker/fan.consume"))[0]!["body"]!.GetValue<string>());
        Assert.Equal("both", Messages(mqtt.Resh("mq://other/fan.consume"))[0]!["body"]!.GetValue<string>());
    }

    [Fact]
    public void A_broker_that_is_down_is_unavailable_at_once()
    {
        var port = LoopbackPorts.Free(1)[0];
        var clock = Stopwatch.StartNew();
        var down = mqtt.Resh($"mq://127.0.0.1:{port}/jobs.publish", "body=1", "backend=mqtt");
        Fails(down, "unavailable", 7);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
        Fails(mqtt.Resh($"mq://127.0.0.1:{port}/jobs.consume", "wait=30s", "backend=mqtt"), "unavailable", 7);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
        Fails(mqtt.Resh($"mq://127.0.0.1:{port}/jobs.subscribe", "backend=mqtt", "--timeout", "30s"), "unavailable", 7);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());

        // A listener that accepts the connection and never answers CONNACK: timeout after the profile's timeout, no hang.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var silentPort = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            clock.Restart();
            Fails(mqtt.Resh($"mq://127.0.0.1:{silentPort}/jobs.consume", "wait=60s", "backend=mqtt"), "timeout", 6);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());
        }
        finally { silent.Stop(); }
    }

    [Fact]
    public void Hostile_topic_names_are_refused_before_anything_reaches_the_broker()
    {
        foreach (var name in new[] { "jobs/+", "jobs/#", "+", "#", "a+b", "x#", "$SYS/broker/uptime", "a/b", new string('q', 300) })
            Fails(mqtt.Resh($"mq://broker/{name}.publish", "body=x"), "usage", 2);
        Fails(mqtt.Resh("mq://broker/sensors.+.request", "body=x"), "usage", 2);
        // NUL and control characters cannot come through argv: through batch's JSON they can.
        var input = string.Join('\n',
            new JsonObject { ["id"] = 1, ["stage"] = "mq://broker/a\u0000b", ["verb"] = "publish", ["args"] = new JsonObject { ["body"] = "x" } }.ToJsonString(),
            new JsonObject { ["id"] = 2, ["stage"] = "mq://broker/a\u001bb", ["verb"] = "subscribe", ["args"] = new JsonObject { ["count"] = 1 } }.ToJsonString()) + "\n";
        var batch = mqtt.ReshIn(input, "batch");
        var lines = batch.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal("usage", l["error"]!["code"]!.GetValue<string>()));
        // A header name resh keeps for itself, or one with a control character, is refused too.
        Fails(mqtt.Resh("mq://broker/h.publish", "body=x", "headers:={\"Resh-Key\":\"forged\"}"), "usage", 2);
        Fails(mqtt.Resh("mq://broker/h.publish", "body=x", "headers:={\"a\\u0001b\":\"v\"}"), "usage", 2);
        // The broker saw no subscription to any of the refused names (its log records every subscription: a good one shows).
        Ok(mqtt.Resh("mq://broker/hostile-ok.create"));
        var log = File.ReadAllText(Path.Combine(mqtt.Dir, "mosquitto.log"));
        Assert.Contains(" hostile-ok", log);
        var subscriptions = log.Split('\n').Where(l => l.Contains(" resh:")).ToList();
        Assert.DoesNotContain(subscriptions, l => l.Contains('+') || l.Contains('#') || l.Contains("$SYS") || l.Contains("a/b"));
    }

    [Fact]
    public void A_subscription_someone_else_added_to_the_session_hands_no_other_topic_to_consume()
    {
        // s33 attacker #2: a client connecting with the queue's session id added `#`; consume returned another topic's message.
        // (A named topic, not `#`: the broker is shared by the class's tests, and `#` would make every publish durable.)
        Ok(mqtt.Resh("mq://broker/inbox33.create"));
        try
        {
            var hijack = mqtt.Client("mosquitto_sub", "-i resh:default:inbox33 -c -x 4294967295 -t billing33 -q 1 -W 1");
            Assert.True(hijack.ExitCode is 0 or 27, hijack.ToString()); // 27: -W timed out, as meant
            Assert.Equal(0, mqtt.Client("mosquitto_pub", "-q 1 -t billing33 -m card-number").ExitCode);
            Ok(mqtt.Resh("mq://broker/inbox33.publish(body=mine)"));
            var got = Messages(mqtt.Resh("mq://broker/inbox33.consume", "count=5", "wait=2s"));
            Assert.Equal(["mine"], got.Select(m => m!["body"]!.GetValue<string>()));
        }
        finally
        {
            mqtt.Resh("mq://broker/inbox33.delete", "force=true"); // the session and its extra subscription end
        }
    }
}
