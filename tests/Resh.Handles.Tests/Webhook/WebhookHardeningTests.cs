using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Webhook.WebhookKit;

namespace Resh.Handles.Tests.Webhook;

using File = System.IO.File;

/// <summary>
/// Issue 16, from the s32 reviews of the webhook listener: a client address cannot hold every connection slot; a body in
/// thousands of tiny chunks is refused before it is read; the sender gets a receipt, not the action's envelope; two
/// listeners of one path run a delivery once; remember= shorter than window= is refused; SIGTERM is a normal end with
/// the counts; the server's own refusals are envelopes; a [webhook.NAME] table takes `with` like the command line.
/// </summary>
public sealed class WebhookHardeningTests : IDisposable
{
    readonly TempDir _dir = new("resh-webhook-hard");
    static readonly Dictionary<string, string> Env = new() { ["HOOK_SECRET"] = HookSecret };

    public void Dispose() => _dir.Dispose();

    string State => _dir["state"];

    Listener Listen(int port, string path, params string[] extra) =>
        new(port, State, [$"webhook://127.0.0.1:{port}{path}.listen", "secret=env:HOOK_SECRET", .. extra], Env);

    static JsonObject Json(string body) => JsonNode.Parse(body)!.AsObject();

    [Fact]
    public void One_client_address_cannot_take_every_connection_slot_and_a_signed_delivery_still_gets_in()
    {
        // s32 attacker #3: 64 sockets from one address, each sending a byte and reconnecting, kept every delivery at 503.
        var log = _dir["slots.log"];
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "max_connections=16", "header_timeout=20s");
        var hogs = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                var c = new TcpClient();
                hogs.Add(c);
                c.Client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                c.Connect("127.0.0.1", port);
                c.ReceiveTimeout = 10_000;
                c.GetStream().Write("P"u8);
            }
            // Past max_per_client (8) the same address is answered 503 at once, with an envelope.
            var (status, body) = ReadAnswer(hogs[^1].GetStream());
            Assert.Equal(503, status);
            Assert.Equal("unavailable", Json(body)["error"]!["code"]!.GetValue<string>());
            Assert.Contains("max_per_client", body);
            // Another client is served although 8 slow connections are open.
            const string payload = "{\"ref\":\"main\"}";
            var real = Post(port, "/deploy", payload, Generic(payload, "slot-1"));
            Assert.Equal(200, real.Status);
            Assert.False(hogs[0].Client.Poll(0, SelectMode.SelectRead), "the first slow connection was cut off before header_timeout");
        }
        finally
        {
            foreach (var c in hogs) c.Dispose();
        }
        Assert.Equal("main\n", File.ReadAllText(log));
        Assert.Equal("usage", ReshBinary.Run(["webhook://127.0.0.1:9/x.listen", "secret=env:HOOK_SECRET", "max_per_client=0", "--dry-run"], env: Env).ErrorCode);
    }

    [Fact]
    public void Slow_requests_from_many_addresses_holding_every_slot_make_room_for_a_delivery()
    {
        // s33 attacker #3: addresses each below max_per_client, together holding every slot with slow heads, kept deliveries at 503.
        var log = _dir["many.log"];
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "max_connections=4", "max_per_client=2", "header_timeout=30s");
        var hogs = new List<TcpClient>();
        try
        {
            foreach (var from in new[] { "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3" })
            {
                var c = new TcpClient();
                hogs.Add(c);
                c.Client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
                c.Connect("127.0.0.1", port);
                c.ReceiveTimeout = 20_000;
                c.GetStream().Write("P"u8);
                Thread.Sleep(100); // hogs[0] is the oldest
            }
            Thread.Sleep(1500); // past the age below which nothing is cut off
            const string payload = "{\"ref\":\"main\"}";
            var real = Post(port, "/deploy", payload, Generic(payload, "room-1"));
            Assert.Equal(200, real.Status);
            // The oldest slow request made the room, answered 408 with why; the others are still open.
            var (status, body) = ReadAnswer(hogs[0].GetStream());
            Assert.Equal(408, status);
            Assert.Contains("slowest to arrive", body);
            Assert.False(hogs[3].Client.Poll(0, SelectMode.SelectRead), "a younger slow connection was cut off too");
        }
        finally
        {
            foreach (var c in hogs) c.Dispose();
        }
        Assert.Equal("main\n", File.ReadAllText(log));
    }

    [Fact]
    public void A_body_in_thousands_of_tiny_chunks_is_refused_and_ordinary_chunking_is_accepted()
    {
        // s32 attacker #8: one-byte chunks were read a byte per system call, all of them before the signature was checked.
        var log = _dir["chunks.log"];
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.n}}\\n\"}", "count=2");
        var tiny = new StringBuilder("POST /deploy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 5000; i++) tiny.Append("1\r\nx\r\n");
        tiny.Append("0\r\n\r\n");
        var refused = Exchange(port, Encoding.ASCII.GetBytes(tiny.ToString()));
        Assert.Equal(413, refused.Status);
        var error = Json(refused.Body)["error"]!;
        Assert.Equal("usage", error["code"]!.GetValue<string>());
        Assert.Contains("4096 chunks", error["message"]!.GetValue<string>());

        // A signed body in 40 chunks of uneven sizes, with a chunk extension and a trailer, read through the buffer.
        var body = "{\"n\":\"" + new string('z', 5000) + "\"}";
        var sb = new StringBuilder();
        foreach (var (k, v) in Generic(body, "chunked-1")) sb.Append(k).Append(": ").Append(v).Append("\r\n");
        var request = new StringBuilder($"POST /deploy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n{sb}\r\n");
        var rest = body;
        for (int i = 1; rest.Length > 0; i++)
        {
            var n = Math.Min(rest.Length, i * 7 % 301 + 1);
            request.Append(n.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append(i == 3 ? ";ext=1" : "").Append("\r\n").Append(rest[..n]).Append("\r\n");
            rest = rest[n..];
        }
        request.Append("0\r\nX-Trailer: t\r\n\r\n");
        var accepted = Exchange(port, Encoding.ASCII.GetBytes(request.ToString()));
        Assert.Equal(200, accepted.Status);
        Assert.True(l.Finish().Ok);
        Assert.Equal(new string('z', 5000) + "\n", File.ReadAllText(log));
    }

    [Fact]
    public void The_sender_gets_a_receipt_and_the_actions_envelope_stays_in_the_listeners_output()
    {
        // s32 attacker #9: the answer carried the action's envelope: the diff of the file it changed (its old content),
        // and local paths in error messages.
        var target = _dir["current.txt"];
        File.WriteAllText(target, "old-private-line\n");
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{target}.write", "with:={\"content\":\"{{payload.v}}\\n\"}", "count=1");
        var sent = ReshBinary.Run([$"webhook://http://127.0.0.1:{port}/deploy.send", "secret=env:HOOK_SECRET", "retries=0", "json:={\"v\":\"new\"}", "id=receipt-1"], env: Env);
        Assert.True(sent.Ok, sent.ToString());
        var response = sent.Result!["response"]!;
        Assert.True(response["ok"]!.GetValue<bool>());
        Assert.True(response["changed"]!.GetValue<bool>());
        Assert.Equal("webhook", response["handle"]!.GetValue<string>());
        Assert.Equal("receipt-1", response["result"]!["delivery_id"]!.GetValue<string>());
        Assert.Equal(200, response["result"]!["status"]!.GetValue<int>());
        Assert.DoesNotContain("old-private-line", sent.Stdout);
        Assert.DoesNotContain(target, sent.Stdout);
        var done = l.Finish();
        Assert.Equal("new\n", File.ReadAllText(target));
        // The listener's own output has the whole envelope of the action.
        var action = Events(done.Stdout, "delivery").Single()["action"]!;
        Assert.Equal("file", action["handle"]!.GetValue<string>());
        Assert.Contains(target, action.ToJsonString());

        // A failed action: its code for the sender, its message (a local path) for the listener's output only.
        var missing = Path.Combine(_dir["nowhere"], "sub", "x.txt");
        var port2 = FreePort();
        using var l2 = Listen(port2, "/deploy", $"action=file://{missing}.write", "with:={\"content\":\"{{payload.v}}\"}", "count=1");
        const string body = "{\"v\":\"x\"}";
        var failed = Post(port2, "/deploy", body, Generic(body, "receipt-2"));
        Assert.Equal(502, failed.Status);
        var error = Json(failed.Body)["error"]!;
        Assert.Equal("receipt-2", error["details"]!["delivery_id"]!.GetValue<string>());
        Assert.DoesNotContain("nowhere", failed.Body);
        var done2 = l2.Finish();
        var logged = Events(done2.Stdout, "delivery").Single()["action"]!;
        Assert.Equal(error["code"]!.GetValue<string>(), logged["error"]!["code"]!.GetValue<string>());
        Assert.Contains("nowhere", logged.ToJsonString());
    }

    [Fact]
    public void Two_listeners_of_one_path_run_a_delivery_sent_to_both_once()
    {
        // s32 attacker #10: both accepted it (each had its own memory of the shared log, written without a lock).
        var log = _dir["both.log"];
        var (p1, p2) = (FreePort(), FreePort());
        string[] action = [$"action=file://{log}.append", "with:={\"content\":\"{{payload.v}} {{delivery_id}}\\n\"}"];
        using var a = Listen(p1, "/deploy", [.. action, "count=3"]);
        using var b = Listen(p2, "/deploy", [.. action, "count=3"]);
        const string body = "{\"v\":\"pay\"}";
        var headers = Generic(body, "both-1");
        Assert.Equal(200, Post(p1, "/deploy", body, headers).Status);
        var second = Post(p2, "/deploy", body, headers);
        Assert.Equal(409, second.Status);
        // Alternating deliveries: each listener sees what the other recorded.
        for (int i = 0; i < 2; i++)
        {
            var (mine, other) = i == 0 ? (p2, p1) : (p1, p2);
            var bi = $"{{\"v\":\"n{i}\"}}";
            var hi = Generic(bi, $"alt-{i}");
            Assert.Equal(200, Post(mine, "/deploy", bi, hi).Status);
            Assert.Equal(409, Post(other, "/deploy", bi, hi).Status);
        }
        Assert.True(a.Finish().Ok);
        Assert.True(b.Finish().Ok);
        Assert.Equal("pay both-1\nn0 alt-0\nn1 alt-1\n", File.ReadAllText(log));

        // Both stopped: a new listener still refuses all three.
        var p3 = FreePort();
        using var c = Listen(p3, "/deploy", [.. action, "count=1"]);
        Assert.Equal(409, Post(p3, "/deploy", "{\"v\":\"n1\"}", Generic("{\"v\":\"n1\"}", "alt-1")).Status);
        Assert.True(c.Finish().Ok);
    }

    [Fact]
    public void A_route_of_another_secret_on_the_same_path_keeps_its_own_replay_log()
    {
        // s33 attacker #7: the log was keyed by the path alone, so ids accepted by another secret's listener refused ours.
        const string other = "another-secret-0123456789";
        var (p1, p2) = (FreePort(), FreePort());
        using var mine = Listen(p1, "/deploy", "count=1");
        using var theirs = new Listener(p2, State, [$"webhook://127.0.0.1:{p2}/deploy.listen", "secret=env:OTHER_SECRET", "count=1"],
            new Dictionary<string, string>(Env) { ["OTHER_SECRET"] = other });
        const string body = "{\"v\":1}";
        Assert.Equal(200, Post(p2, "/deploy", body, Generic(body, "shared-1001", secret: other)).Status);
        Assert.Equal(200, Post(p1, "/deploy", body, Generic(body, "shared-1001")).Status);
        Assert.True(mine.Finish().Ok);
        Assert.True(theirs.Finish().Ok);
    }

    [Fact]
    public void A_second_listener_on_a_port_in_use_is_a_conflict_not_a_shared_port()
    {
        // s33 user #10: SO_REUSEPORT let a second listener take half the connections and answer them 404.
        var port = FreePort();
        using var first = Listen(port, "/a", "count=1");
        var second = ReshBinary.Run([$"webhook://127.0.0.1:{port}/b.listen", "secret=env:HOOK_SECRET", "count=1", "--timeout", "20s", "--format", "json"], env: Env);
        Assert.Equal("conflict", second.ErrorCode);
        const string body = "{\"v\":1}";
        Assert.Equal(200, Post(port, "/a", body, Generic(body, "only-1")).Status);
        Assert.True(first.Finish().Ok);
    }

    [Fact]
    public void The_same_signed_request_under_a_new_id_is_a_replay_and_says_so()
    {
        // s32 user #3: the message named the new id as "already accepted". The signature is still a key: the generic
        // style does not sign the id, so a captured request with a fresh id must not run again inside its window.
        var port = FreePort();
        using var l = Listen(port, "/deploy", "count=2");
        const string body = "{\"v\":1}";
        var headers = Generic(body, "sig-1");
        Assert.Equal(200, Post(port, "/deploy", body, headers).Status);
        var again = Post(port, "/deploy", body, headers.Select(h => h.Item1 == "X-Webhook-Id" ? (h.Item1, "sig-2") : h));
        Assert.Equal(409, again.Status);
        Assert.Contains("same signed request", Json(again.Body)["error"]!["message"]!.GetValue<string>());
        Assert.True(l.Finish().Ok);
    }

    [Fact]
    public void Remember_shorter_than_window_is_refused_for_the_generic_style()
    {
        // s32 attacker #11: remember=2s with window=10m accepted the same request again 3 s later.
        var refused = ReshBinary.Run(["webhook://127.0.0.1:9/x.listen", "secret=env:HOOK_SECRET", "window=10m", "remember=2s", "--dry-run"], env: Env);
        Assert.Equal("usage", refused.ErrorCode);
        Assert.Contains("remember=", refused.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("window", refused.Envelope["error"]!["hint"]!.GetValue<string>());
        var config = _dir.File("remember.toml", "[webhook.g]\npath = \"/g\"\nsecret = \"env:HOOK_SECRET\"\nwindow = \"2h\"\n");
        var fromTable = ReshBinary.Run(["webhook://127.0.0.1:9.listen", "remember=1h", "--dry-run"], env: new Dictionary<string, string>(Env) { ["RESH_CONFIG"] = config });
        Assert.Equal("usage", fromTable.ErrorCode);
        Assert.Contains("[webhook.g]", fromTable.Envelope["error"]!["message"]!.GetValue<string>());
        // github has no timestamp window: remember= alone decides, and is accepted.
        Assert.True(ReshBinary.Run(["webhook://127.0.0.1:9/x.listen", "secret=env:HOOK_SECRET", "style=github", "remember=1m", "--dry-run"], env: Env).Ok);
        Assert.True(ReshBinary.Run(["webhook://127.0.0.1:9/x.listen", "secret=env:HOOK_SECRET", "window=10m", "remember=10m", "--dry-run"], env: Env).Ok);
    }

    [Fact]
    public void SIGTERM_ends_the_listener_normally_with_its_counts_and_Ctrl_C_stays_interrupted()
    {
        // s32 user #5: systemctl stop (SIGTERM) ended it ok:false, status 130, result null.
        var port = FreePort();
        var l = Listen(port, "/deploy");
        ReshRun done;
        try
        {
            const string body = "{\"v\":1}";
            Assert.Equal(200, Post(port, "/deploy", body, Generic(body, "term-1")).Status);
            Assert.Equal(401, Post(port, "/deploy", body, Generic(body, "term-2", secret: "not-the-secret-1")).Status);
            l.Signal("TERM");
            done = l.Finish(TimeSpan.FromSeconds(15));
        }
        finally { l.Dispose(); }
        Assert.True(done.ExitCode == 0, done.ToString());
        var env = Envelope(done.Stdout);
        Assert.True(env["ok"]!.GetValue<bool>());
        Assert.Equal("terminated", env["result"]!["ended"]!.GetValue<string>());
        Assert.Equal(2, env["result"]!["requests"]!.GetValue<long>());
        Assert.Equal(1, env["result"]!["accepted"]!.GetValue<long>());
        Assert.Equal(1, env["result"]!["refused"]!.GetValue<long>());

        var port2 = FreePort();
        using var i = Listen(port2, "/deploy");
        i.Signal("INT");
        var interrupted = i.Finish(TimeSpan.FromSeconds(15));
        Assert.Equal(130, interrupted.ExitCode);
        Assert.Equal("interrupted", Envelope(interrupted.Stdout)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void The_servers_own_refusals_are_error_envelopes_with_the_right_code()
    {
        // s32 user #11: a 413 (and 400, 408, 503) was plain text although the docs promise an error envelope.
        var port = FreePort();
        using var l = Listen(port, "/deploy", "max_body=1KiB", "header_timeout=1s", "count=4");
        var big = new string('x', 4096);
        var tooBig = Post(port, "/deploy", big, Generic(big, "big-1"));
        Assert.Equal(413, tooBig.Status);
        var e413 = Json(tooBig.Body);
        Assert.False(e413["ok"]!.GetValue<bool>());
        Assert.Equal("usage", e413["error"]!["code"]!.GetValue<string>());
        Assert.Equal("/deploy", e413["target"]!.GetValue<string>());
        Assert.NotNull(e413["error"]!["hint"]);

        var malformed = Exchange(port, "GARBAGE\r\n\r\n"u8.ToArray());
        Assert.Equal(400, malformed.Status);
        Assert.Equal("usage", Json(malformed.Body)["error"]!["code"]!.GetValue<string>());

        var badTe = Exchange(port, "POST /deploy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"u8.ToArray());
        Assert.Equal(501, badTe.Status);
        Assert.Equal("unsupported", Json(badTe.Body)["error"]!["code"]!.GetValue<string>());

        using (var slow = new TcpClient())
        {
            slow.Connect("127.0.0.1", port);
            slow.ReceiveTimeout = 10_000;
            slow.GetStream().Write("POST /deploy HTTP/1.1\r\n"u8);
            var (status, body) = ReadAnswer(slow.GetStream());
            Assert.Equal(408, status);
            Assert.Equal("timeout", Json(body)["error"]!["code"]!.GetValue<string>());
        }
        var done = l.Finish();
        // The refusal at a known path names its route (it was null).
        Assert.All(Events(done.Stdout, "delivery").Where(e => e["path"]?.GetValue<string>() == "/deploy"), e => Assert.Equal("/deploy", e["route"]!.GetValue<string>()));
    }

    [Fact]
    public void A_config_route_takes_with_like_the_command_line_and_args_still_works()
    {
        // s32 user #6: `with` in [webhook.NAME] was "an unknown key", with the hint "did you mean `path`?".
        var a = _dir["with.log"];
        var config = _dir.File("config.toml", $$"""
            [webhook.gh]
            path = "/gh"
            secret = "env:HOOK_SECRET"
            style = "github"
            action = "file://{{a}}.append"
            with = { content = "with {{"{{"}}payload.n{{"}}"}}\n" }
            """);
        var port = FreePort();
        var env = new Dictionary<string, string>(Env) { ["RESH_CONFIG"] = config };
        using (var l = new Listener(port, State, [$"webhook://127.0.0.1:{port}.listen", "count=1"], env))
        {
            Assert.Equal(200, Post(port, "/gh", "{\"n\":7}", GitHub("{\"n\":7}", "w-1")).Status);
            Assert.True(l.Finish().Ok);
        }
        Assert.Equal("with 7\n", File.ReadAllText(a));

        File.AppendAllText(config, "\nargs = { content = \"x\" }\n");
        var both = ReshBinary.Run([$"webhook://127.0.0.1:{port}.listen", "--dry-run"], env: env);
        Assert.Equal("usage", both.ErrorCode);
        Assert.Contains("`with`", both.Envelope["error"]!["hint"]!.GetValue<string>());
        var typo = _dir.File("typo.toml", "[webhook.t]\npath = \"/t\"\nsecret = \"env:HOOK_SECRET\"\nwiht = { content = \"x\" }\n");
        var misspelt = ReshBinary.Run([$"webhook://127.0.0.1:{port}.listen", "--dry-run"], env: new Dictionary<string, string>(Env) { ["RESH_CONFIG"] = typo });
        Assert.Equal("usage", misspelt.ErrorCode);
        Assert.Contains("with", misspelt.Envelope["error"]!["hint"]!.GetValue<string>());
    }
}
