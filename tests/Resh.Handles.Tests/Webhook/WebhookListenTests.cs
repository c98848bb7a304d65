using System.Net.Sockets;
using System.Text;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Webhook.WebhookKit;

namespace Resh.Handles.Tests.Webhook;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// webhook:// listen on loopback against resh's own send and against requests made by hand: a valid delivery runs
/// its stage exactly once; a tampered signature, a replay (also after a restart), a stale timestamp and an oversized
/// body are refused with the right status and the stage does not run; slow and huge heads are cut off.
/// </summary>
public sealed class WebhookListenTests : IDisposable
{
    readonly TempDir _dir = new("resh-webhook");
    static readonly Dictionary<string, string> Env = new() { ["HOOK_SECRET"] = HookSecret };

    public void Dispose() => _dir.Dispose();

    string State => _dir["state"];

    Listener Listen(int port, string path, params string[] extra) =>
        new(port, State, [$"webhook://127.0.0.1:{port}{path}.listen", "secret=env:HOOK_SECRET", .. extra], Env);

    static ReshRun Send(int port, string path, params string[] args) =>
        ReshBinary.Run([$"webhook://http://127.0.0.1:{port}{path}.send", "secret=env:HOOK_SECRET", "retries=0", .. args], env: Env);

    static void NoSecretIn(params string[] outputs)
    {
        foreach (var o in outputs) Assert.DoesNotContain(HookSecret, o);
    }

    [Fact]
    public void Resh_sends_to_resh_the_stage_runs_once_and_the_replay_is_refused_with_409()
    {
        var log = _dir["deploys.log"];
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}} {{delivery_id}}\\n\"}", "count=2");
        var first = Send(port, "/deploy", "json:={\"ref\":\"main\"}", "id=delivery-1");
        Assert.True(first.Ok, first.ToString());
        Assert.Equal(200, first.Result!["status"]!.GetValue<int>());
        // The answer is the listener's receipt (the action's own envelope stays in the listener's output).
        Assert.Equal("webhook", first.Result!["response"]!["handle"]!.GetValue<string>());
        Assert.Equal("delivery-1", first.Result!["response"]!["result"]!["delivery_id"]!.GetValue<string>());
        Assert.True(first.Result!["response"]!["changed"]!.GetValue<bool>());
        Assert.Equal("main delivery-1\n", File.ReadAllText(log));

        var replay = Send(port, "/deploy", "json:={\"ref\":\"main\"}", "id=delivery-1");
        Assert.Equal("failed", replay.ErrorCode);
        Assert.Equal(409, replay.Envelope["error"]!["details"]!["status"]!.GetValue<int>());
        Assert.Equal("conflict", replay.Envelope["error"]!["details"]!["response"]!["error"]!["code"]!.GetValue<string>());

        var done = l.Finish();
        Assert.True(done.Ok, done.ToString());
        Assert.Equal(1, done.Result!["accepted"]!.GetValue<long>());
        Assert.Equal(1, done.Result!["refused"]!.GetValue<long>());
        Assert.Equal("count", done.Result!["ended"]!.GetValue<string>());
        Assert.Equal([200, 409], Events(done.Stdout, "delivery").Select(e => e["status"]!.GetValue<int>()).ToArray());
        Assert.Equal("main delivery-1\n", File.ReadAllText(log)); // exactly once
        NoSecretIn(first.Stdout, first.Stderr, replay.Stdout, replay.Stderr, done.Stdout, done.Stderr);
    }

    [Fact]
    public void Tampered_stale_unsigned_and_oversized_requests_are_refused_and_the_stage_does_not_run()
    {
        var log = _dir["never.log"];
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "max_body=1KiB", "count=7");
        const string body = "{\"ref\":\"main\"}";

        // Signed for one body, another body sent: 401.
        var tampered = Post(port, "/deploy", "{\"ref\":\"evil\"}", Generic(body, "t-1"));
        Assert.Equal(401, tampered.Status);
        Assert.Contains("\"permission_denied\"", tampered.Body);
        // Signed with another secret: 401.
        Assert.Equal(401, Post(port, "/deploy", body, Generic(body, "t-2", secret: "another-secret-123")).Status);
        // No signature at all: 401.
        Assert.Equal(401, Post(port, "/deploy", body, [("X-Webhook-Id", "t-3")]).Status);
        // Correctly signed but ten minutes old (window 5m): a replay, 409.
        var stale = Post(port, "/deploy", body, Generic(body, "t-4", DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600));
        Assert.Equal(409, stale.Status);
        Assert.Contains("window", stale.Body);
        // Over max_body by its Content-Length: 413 before the body is read.
        var big = new string('x', 4096);
        Assert.Equal(413, Post(port, "/deploy", big, Generic(big, "t-5")).Status);
        // Over max_body with chunked framing (no length up front): 413 once the limit is passed.
        var chunk = new string('y', 800);
        var chunked = Encoding.ASCII.GetBytes($"POST /deploy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n{chunk}\r\n320\r\n{chunk}\r\n0\r\n\r\n");
        Assert.Equal(413, Exchange(port, chunked).Status);
        // Content-Length and Transfer-Encoding together (request smuggling): 400.
        Assert.Equal(400, Exchange(port, Encoding.ASCII.GetBytes("POST /deploy HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).Status);

        var done = l.Finish();
        Assert.True(done.Ok, done.ToString());
        Assert.Equal(0, done.Result!["accepted"]!.GetValue<long>());
        Assert.Equal(7, done.Result!["refused"]!.GetValue<long>());
        Assert.False(File.Exists(log), "a refused request ran the action");
        NoSecretIn(done.Stdout, done.Stderr, tampered.Body);
    }

    [Fact]
    public void A_failed_action_is_a_5xx_the_sender_may_retry_and_its_retry_runs_once_the_action_can()
    {
        // s32 user #1: an action that failed with not_found was answered 404 ("no such route"), which no sender retries.
        var dir = _dir["later"];
        var log = Path.Combine(dir, "hook.log");
        const string body = "{\"ref\":\"r1\"}";
        var headers = Generic(body, "retry-1");
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\",\"create\":true}", "count=3");
        Assert.Equal(502, Post(port, "/deploy", body, headers).Status);   // the directory is missing: the action fails
        Assert.Equal(502, Post(port, "/deploy", body, headers).Status);   // the id was forgotten: the retry is not a replay
        Directory.CreateDirectory(dir);
        Assert.Equal(200, Post(port, "/deploy", body, headers).Status);   // now it can
        Assert.True(l.Finish().Ok);
        Assert.Equal("r1\n", File.ReadAllText(log));
    }

    [Fact]
    public void A_replay_is_refused_after_the_listener_restarts()
    {
        var log = _dir["restart.log"];
        const string body = "{\"ref\":\"v1\"}";
        var headers = Generic(body, "restart-1");
        var port = FreePort();
        using (var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "count=1"))
        {
            Assert.Equal(200, Post(port, "/deploy", body, headers).Status);
            Assert.True(l.Finish().Ok);
        }
        using (var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "count=2"))
        {
            // The very same request (same id, timestamp and signature) again, to a new process: 409.
            var again = Post(port, "/deploy", body, headers);
            Assert.Equal(409, again.Status);
            // The same signed body under a new (unsigned) id is still the same delivery: 409.
            Assert.Equal(409, Post(port, "/deploy", body, headers.Select(h => h.Item1 == "X-Webhook-Id" ? (h.Item1, "forged-id") : h)).Status);
            Assert.True(l.Finish().Ok);
        }
        Assert.Equal("v1\n", File.ReadAllText(log));
        // The store names no delivery id in clear text.
        var store = Directory.GetFiles(Path.Combine(State, "webhook"), "replay-*.log").Single();
        Assert.DoesNotContain("restart-1", File.ReadAllText(store));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store));
    }

    [Fact]
    public void GitHub_and_GitLab_styles_verify_their_headers_and_never_expose_the_token()
    {
        var log = _dir["styles.log"];
        var gh = FreePort();
        using (var l = Listen(gh, "/gh", "style=github", $"action=file://{log}.append", "with:={\"content\":\"{{headers.x-github-event}} {{payload.after}}\\n\"}", "count=3"))
        {
            var sent = Send(gh, "/gh", "style=github", "event=push", "json:={\"after\":\"abc123\"}");
            Assert.True(sent.Ok, sent.ToString());
            Assert.StartsWith("sha256=", sent.Result!["signed"]!["X-Hub-Signature-256"]!.GetValue<string>());
            const string body = "{\"after\":\"def\"}";
            var bad = GitHub(body, "gh-2").Select(h => h.Item1 == "X-Hub-Signature-256" ? (h.Item1, "sha256=" + new string('0', 64)) : h);
            Assert.Equal(401, Post(gh, "/gh", body, bad).Status);
            Assert.Equal(200, Post(gh, "/gh", body, GitHub(body, "gh-3")).Status);
            Assert.True(l.Finish().Ok);
        }
        Assert.Equal("push abc123\npush def\n", File.ReadAllText(log));

        var leak = _dir["leak.log"];
        var gl = FreePort();
        using (var l = Listen(gl, "/gl", "style=gitlab", $"action=file://{leak}.append", "with:={\"content\":\"[{{headers.x-gitlab-token}}] {{payload.ref}}\\n\"}", "count=2"))
        {
            const string body = "{\"ref\":\"main\"}";
            Assert.Equal(401, Post(gl, "/gl", body, [("X-Gitlab-Token", "wrong-token-value"), ("X-Gitlab-Event-UUID", "gl-1")]).Status);
            // The token header is not part of what templates see: the placeholder names a missing field (400), nothing runs.
            var ok = Post(gl, "/gl", body, [("X-Gitlab-Token", HookSecret), ("X-Gitlab-Event-UUID", "gl-2"), ("X-Gitlab-Event", "Push Hook")]);
            Assert.Equal(400, ok.Status);
            Assert.Contains("headers.x-gitlab-token", ok.Body);
            var done = l.Finish();
            NoSecretIn(ok.Body, done.Stdout, done.Stderr);
        }
        Assert.False(File.Exists(leak));
    }

    [Fact]
    public void A_payload_field_is_an_argument_value_never_a_file_to_read_or_a_stage()
    {
        var log = _dir["hostile.log"];
        var port = FreePort();
        using var l = Listen(port, "/deploy", $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "count=1");
        var sent = Send(port, "/deploy", "json:={\"ref\":\"@/etc/hostname\"}");
        Assert.True(sent.Ok, sent.ToString());
        Assert.True(l.Finish().Ok);
        Assert.Equal("@/etc/hostname\n", File.ReadAllText(log));

        var refused = ReshBinary.Run(["webhook://127.0.0.1:1/x.listen", "secret=env:HOOK_SECRET", "action=file:///tmp/{{payload.path}}.write"], env: Env);
        Assert.Equal("usage", refused.ErrorCode);
    }

    [Fact]
    public void A_slow_head_times_out_with_408_and_huge_heads_are_refused()
    {
        var port = FreePort();
        using var l = Listen(port, "/deploy", "header_timeout=1s", "count=4");
        using (var slow = new TcpClient())
        {
            slow.Connect("127.0.0.1", port);
            slow.ReceiveTimeout = 10_000;
            var s = slow.GetStream();
            var started = DateTime.UtcNow;
            s.Write("POST /deploy HTTP/1.1\r\nHost: x\r\n"u8);
            // A header line every 300 ms, never the end of the head: the deadline is for the whole head.
            for (int i = 0; i < 6 && slow.Client.Poll(300_000, SelectMode.SelectRead) == false; i++)
            {
                try { s.Write(Encoding.ASCII.GetBytes($"X-Slow-{i}: y\r\n")); } catch (IOException) { break; }
            }
            var (status, _) = ReadAnswer(s);
            Assert.Equal(408, status);
            Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.8, 5);
        }
        var huge = $"POST /deploy HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 40_000)}\r\nContent-Length: 0\r\n\r\n";
        Assert.Equal(431, Exchange(port, Encoding.ASCII.GetBytes(huge)).Status);
        var many = new StringBuilder("POST /deploy HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 150; i++) many.Append($"X-H{i}: v\r\n");
        Assert.Equal(431, Exchange(port, Encoding.ASCII.GetBytes(many.Append("\r\n").ToString())).Status);
        Assert.Equal(414, Exchange(port, Encoding.ASCII.GetBytes($"POST /{new string('p', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n")).Status);
        var done = l.Finish();
        Assert.Equal(4, done.Result!["refused"]!.GetValue<long>());
        Assert.Equal([408, 431, 431, 414], Events(done.Stdout, "delivery").Select(e => e["status"]!.GetValue<int>()).ToArray());
    }

    [Fact]
    public void Unknown_paths_and_methods_and_bad_arguments_get_envelopes()
    {
        var port = FreePort();
        using (var l = Listen(port, "/deploy", "count=2"))
        {
            const string body = "{}";
            var nf = Post(port, "/other", body, Generic(body, "n-1"));
            Assert.Equal(404, nf.Status);
            Assert.Contains("\"not_found\"", nf.Body);
            var get = Exchange(port, "GET /deploy HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.Equal(405, get.Status);
            Assert.True(l.Finish().Ok);
        }
        Assert.Equal("usage", ReshBinary.Run(["webhook://127.0.0.1:9/x.listen"], env: Env).ErrorCode); // no secret
        Assert.Equal("usage", ReshBinary.Run(["webhook://127.0.0.1/x.listen", "secret=env:HOOK_SECRET"], env: Env).ErrorCode); // no port
        Assert.Equal("usage", ReshBinary.Run(["webhook://127.0.0.1:9/x.listen", "secret=short"], env: Env).ErrorCode); // too short
        using var busy = new TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var taken = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        var inUse = ReshBinary.Run([$"webhook://127.0.0.1:{taken}/x.listen", "secret=env:HOOK_SECRET"], env: Env);
        Assert.Equal("conflict", inUse.ErrorCode);
    }

    [Fact]
    public void Routes_from_the_config_are_served_by_one_listener()
    {
        var a = _dir["a.log"];
        var b = _dir["b.log"];
        var config = _dir.File("config.toml", $$"""
            [webhook.alpha]
            path = "/alpha"
            secret = "env:HOOK_SECRET"
            action = "file://{{a}}.append"
            args = { content = "alpha {{"{{"}}payload.n{{"}}"}}\n" }

            [webhook.beta]
            path = "/beta"
            secret = "env:BETA_SECRET"
            style = "github"
            action = "file://{{b}}.append"
            args = { content = "beta {{"{{"}}payload.n{{"}}"}}\n" }
            """);
        var port = FreePort();
        var env = new Dictionary<string, string>(Env) { ["RESH_CONFIG"] = config, ["BETA_SECRET"] = "beta-secret-0042" };
        using var l = new Listener(port, State, [$"webhook://127.0.0.1:{port}.listen", "count=3"], env);
        Assert.Equal(200, Post(port, "/alpha", "{\"n\":1}", Generic("{\"n\":1}", "a-1")).Status);
        Assert.Equal(200, Post(port, "/beta", "{\"n\":2}", GitHub("{\"n\":2}", "b-1", secret: "beta-secret-0042")).Status);
        // alpha's secret does not open beta.
        Assert.Equal(401, Post(port, "/beta", "{\"n\":3}", GitHub("{\"n\":3}", "b-2")).Status);
        var done = l.Finish();
        Assert.True(done.Ok, done.ToString());
        Assert.Equal(2, done.Result!["routes"]!.AsArray().Count);
        Assert.Equal("alpha 1\n", File.ReadAllText(a));
        Assert.Equal("beta 2\n", File.ReadAllText(b));
        NoSecretIn(done.Stdout, done.Stderr);
        Assert.DoesNotContain("beta-secret-0042", done.Stdout + done.Stderr);
    }
}
