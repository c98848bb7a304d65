using System.Text;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Webhook.WebhookKit;

namespace Resh.Handles.Tests.Webhook;

/// <summary>webhook:// send against a scripted loopback receiver: signatures checked independently, retries with backoff, a record per attempt.</summary>
public sealed class WebhookSendTests
{
    static readonly Dictionary<string, string> Env = new() { ["HOOK_SECRET"] = HookSecret };

    static ReshRun Send(int port, params string[] args) =>
        ReshBinary.Run([$"webhook://http://127.0.0.1:{port}/hook.send", "secret=env:HOOK_SECRET", .. args], env: Env);

    [Fact]
    public void Send_retries_503_twice_then_delivers_with_the_same_id_and_signature()
    {
        using var rx = new ScriptedReceiver((503, "1"), (503, null), (200, null));
        var r = Send(rx.Port, "json:={\"ref\":\"main\"}", "retries=3", "retry_backoff=200ms");
        Assert.True(r.Ok, r.ToString());
        var attempts = r.Result!["attempts"]!.AsArray();
        Assert.Equal([503, 503, 200], attempts.Select(a => a!["status"]!.GetValue<int>()).ToArray());
        Assert.Equal([1, 2, 3], attempts.Select(a => a!["attempt"]!.GetValue<int>()).ToArray());
        Assert.Equal(1000, attempts[0]!["wait_ms"]!.GetValue<double>()); // Retry-After: 1
        Assert.InRange(attempts[1]!["wait_ms"]!.GetValue<double>(), 200, 400); // backoff 200ms doubled, half jittered
        Assert.Equal("HTTP 503 X", attempts[0]!["error"]!.GetValue<string>());
        Assert.Null(attempts[2]!["error"]);
        Assert.True(r.Result!["delivered"]!.GetValue<bool>());

        var seen = rx.Requests.ToArray();
        Assert.Equal(3, seen.Length);
        var id = r.Result!["delivery_id"]!.GetValue<string>();
        foreach (var (h, body) in seen)
        {
            Assert.Equal("{\"ref\":\"main\"}", body);
            Assert.Equal(id, h["X-Webhook-Id"]);
            // The receiver's own check: HMAC-SHA256 over TIMESTAMP.BODY with the shared secret.
            Assert.Equal(Hex(Encoding.UTF8.GetBytes(HookSecret), Encoding.UTF8.GetBytes(h["X-Webhook-Timestamp"] + "." + body)), h["X-Webhook-Signature"]);
        }
        Assert.Single(seen.Select(s => s.Headers["X-Webhook-Signature"]).Distinct());
        Assert.DoesNotContain(HookSecret, r.Stdout + r.Stderr);
    }

    [Fact]
    public void Retries_are_bounded_and_a_client_error_is_not_retried()
    {
        using (var rx = new ScriptedReceiver((500, null)))
        {
            var r = Send(rx.Port, "body=x", "retries=2", "retry_backoff=50ms");
            Assert.Equal("failed", r.ErrorCode);
            Assert.Equal(3, r.Envelope["error"]!["details"]!["attempts"]!.AsArray().Count);
            Assert.Equal(3, rx.Requests.Count);
        }
        using (var rx = new ScriptedReceiver((400, null)))
        {
            var r = Send(rx.Port, "body=x", "retries=5", "retry_backoff=50ms");
            Assert.Equal("failed", r.ErrorCode);
            Assert.Single(rx.Requests);
        }
        var closed = FreePort();
        var refused = Send(closed, "body=x", "retries=2", "retry_backoff=50ms");
        Assert.Equal("unavailable", refused.ErrorCode);
        var tries = refused.Envelope["error"]!["details"]!["attempts"]!.AsArray();
        Assert.Equal(3, tries.Count);
        Assert.All(tries, t => Assert.Equal(0, t!["status"]!.GetValue<int>()));
        Assert.All(tries, t => Assert.Contains("refused", t!["error"]!.GetValue<string>()));
    }

    [Fact]
    public void GitHub_style_is_what_a_GitHub_receiver_checks_and_a_dry_run_sends_nothing_and_shows_no_secret()
    {
        using var rx = new ScriptedReceiver((200, null));
        var r = Send(rx.Port, "style=github", "event=push", "json:={\"after\":\"abc\"}", "header=X-Env: prod");
        Assert.True(r.Ok, r.ToString());
        var (h, body) = rx.Requests.Single();
        Assert.Equal(Hex(Encoding.UTF8.GetBytes(HookSecret), Encoding.UTF8.GetBytes(body)), h["X-Hub-Signature-256"]);
        Assert.Equal("push", h["X-GitHub-Event"]);
        Assert.Equal("prod", h["X-Env"]);
        Assert.Equal(r.Result!["delivery_id"]!.GetValue<string>(), h["X-GitHub-Delivery"]);

        foreach (var style in new[] { "github", "gitlab", "generic" })
        {
            var dry = Send(rx.Port, $"style={style}", "body=hello", "--dry-run");
            Assert.True(dry.Ok, dry.ToString());
            Assert.True(dry.Envelope["dry_run"]!.GetValue<bool>());
            Assert.DoesNotContain(HookSecret, dry.Stdout + dry.Stderr);
            Assert.Empty(dry.Result!["attempts"]!.AsArray());
        }
        Assert.Equal("***", Send(rx.Port, "style=gitlab", "body=hello", "--dry-run").Result!["signed"]!["X-Gitlab-Token"]!.GetValue<string>());
        Assert.Single(rx.Requests); // the dry runs sent nothing
    }

    [Fact]
    public void Bad_send_arguments_are_usage_errors()
    {
        Assert.Equal("usage", Send(9, "--dry-run").ErrorCode); // no payload
        Assert.Equal("usage", Send(9, "body=a", "json:=1", "--dry-run").ErrorCode); // two payloads
        Assert.Equal("usage", Send(9, "body=a", "header=X-A: b\r\nX-B: c", "--dry-run").ErrorCode); // header injection
        Assert.Equal("usage", ReshBinary.Run(["webhook://ftp://h/x.send", "secret=env:HOOK_SECRET", "body=a"], env: Env).ErrorCode);
        Assert.Equal("usage", ReshBinary.Run(["webhook://http://127.0.0.1:9/x.send", "body=a"], env: Env).ErrorCode); // no secret
    }
}
