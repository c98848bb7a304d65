using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Net.Webhook;

/// <summary>The arguments listen and send share, declared once.</summary>
internal static class WebhookArgs
{
    public static readonly Arg<SecretRef?> Secret = Arg.Secret("secret",
        "The shared secret: the HMAC key (github, generic) or the token (gitlab). Never printed, logged or put in a result.");
    public static readonly Arg<string?> Style = Arg.Enum("style",
        "github: X-Hub-Signature-256 (HMAC-SHA256 of the body) and X-GitHub-Delivery; gitlab: X-Gitlab-Token and X-Gitlab-Event-UUID; " +
        "generic: X-Webhook-Signature (HMAC-SHA256 of `TIMESTAMP.BODY`), X-Webhook-Timestamp and X-Webhook-Id.",
        WebhookSignature.Styles, "generic");
}
