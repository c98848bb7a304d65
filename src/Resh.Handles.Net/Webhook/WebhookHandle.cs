using Resh.Core.Model;

namespace Resh.Handles.Net.Webhook;

/// <summary>webhook:// — receive signed webhooks (listen) and send them (send).</summary>
public static class WebhookHandle
{
    public static HandleInfo Create() => new("webhook",
        "Webhooks in and out: listen verifies signatures (github, gitlab, generic), refuses replays and big bodies and runs a stage per delivery; send signs, retries and records each attempt.",
        "listen: ADDRESS:PORT[/PATH] (webhook://127.0.0.1:9000/deploy.listen). send: the receiver's URL (webhook://https://hooks.example/x.send).",
        [WebhookListen.Verb, WebhookSend.Verb])
    {
        Notes = "Styles: github signs the body with HMAC-SHA256 (X-Hub-Signature-256: sha256=HEX) and names the delivery in X-GitHub-Delivery; " +
                "gitlab sends the secret itself as X-Gitlab-Token (compared in constant time; nothing is signed, so use HTTPS) and X-Gitlab-Event-UUID; " +
                "generic (resh to resh, the default) signs `TIMESTAMP.BODY` (X-Webhook-Signature: sha256=HEX, X-Webhook-Timestamp: Unix seconds, X-Webhook-Id). " +
                "A replay is refused by its delivery id and by its signature (GitHub does not sign the delivery id, so the same signed body is accepted once); " +
                "generic deliveries older than window= are refused too. The secret is secret-typed (secret:NAME, env:VAR, file:PATH, @-) and never printed: " +
                "not in results, events, answers or dry runs (a gitlab token shows as ***). " +
                "The listener is resh's own bounded HTTP/1.1 server (docs/architecture.md, Transport/Http): one request per connection, limits on head and body size and time, and on connections.",
    };
}
