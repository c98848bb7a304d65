using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Resh.Core.Secrets;
using Resh.Core.Transport.Http;

namespace Resh.Handles.Net.Webhook;

/// <summary>
/// The three signing styles, for send (the headers to add) and listen (the check):
/// github: X-Hub-Signature-256 `sha256=HEX`, HMAC-SHA256 of the body with the secret; delivery id X-GitHub-Delivery.
/// gitlab: X-Gitlab-Token is the secret itself (compared in constant time; GitLab signs nothing); id X-Gitlab-Event-UUID.
/// generic: X-Webhook-Signature `sha256=HEX`, HMAC-SHA256 of `TIMESTAMP.BODY`, X-Webhook-Timestamp in Unix seconds
/// (outside the window is a replay), id X-Webhook-Id.
/// </summary>
internal static class WebhookSignature
{
    public const string GitHubSignature = "X-Hub-Signature-256", GitHubDelivery = "X-GitHub-Delivery", GitHubEvent = "X-GitHub-Event";
    public const string GitLabToken = "X-Gitlab-Token", GitLabDelivery = "X-Gitlab-Event-UUID", GitLabEvent = "X-Gitlab-Event";
    public const string GenericSignature = "X-Webhook-Signature", GenericTimestamp = "X-Webhook-Timestamp", GenericDelivery = "X-Webhook-Id", GenericEvent = "X-Webhook-Event";

    public static readonly string[] Styles = ["github", "gitlab", "generic"];

    /// <summary>Headers that carry the secret or a signature: never put into an action's document, an event or a record.</summary>
    public static bool IsCredentialHeader(string name) =>
        name.Equals(GitLabToken, StringComparison.OrdinalIgnoreCase) || name.Equals(GitHubSignature, StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-Hub-Signature", StringComparison.OrdinalIgnoreCase) || name.Equals(GenericSignature, StringComparison.OrdinalIgnoreCase)
        || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase);

    public static string DeliveryHeader(string style) => style switch { "github" => GitHubDelivery, "gitlab" => GitLabDelivery, _ => GenericDelivery };
    public static string EventHeader(string style) => style switch { "github" => GitHubEvent, "gitlab" => GitLabEvent, _ => GenericEvent };

    /// <summary>`sha256=HEX` of HMAC-SHA256(secret, data).</summary>
    public static string Hmac(SecretValue secret, ReadOnlySpan<byte> data) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret.RevealBytes(), data));

    static byte[] GenericSigned(string timestamp, byte[] body)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp + ".");
        var all = new byte[prefix.Length + body.Length];
        prefix.CopyTo(all, 0);
        body.CopyTo(all, prefix.Length);
        return all;
    }

    /// <summary>The headers a sender adds for <paramref name="style"/>: (name, value, shown) where shown is what a dry run or record may print.</summary>
    public static List<(string Name, string Value, string Shown)> Sign(string style, SecretValue secret, byte[] body, string deliveryId, DateTimeOffset now)
    {
        var headers = new List<(string, string, string)>();
        switch (style)
        {
            case "github":
                var gh = Hmac(secret, body);
                headers.Add((GitHubSignature, gh, gh));
                break;
            case "gitlab":
                headers.Add((GitLabToken, secret.Reveal(), SecretRedactor.Mask));
                break;
            default:
                var ts = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                headers.Add((GenericTimestamp, ts, ts));
                var sig = Hmac(secret, GenericSigned(ts, body));
                headers.Add((GenericSignature, sig, sig));
                break;
        }
        headers.Add((DeliveryHeader(style), deliveryId, deliveryId));
        return headers;
    }

    /// <summary>What the check of one request found.</summary>
    public sealed record Verdict(bool Valid, bool Stale, string? Reason, string? DeliveryId, string? SignatureKey);

    /// <summary>Checks a request's signature (constant-time compares) and, for generic, its timestamp against <paramref name="window"/>.</summary>
    public static Verdict Verify(string style, SecretValue secret, HttpRequestHead head, byte[] body, TimeSpan window, DateTimeOffset now)
    {
        var id = head.Header(DeliveryHeader(style));
        if (id is { Length: > 200 }) id = null; // not a plausible id: the signature key still catches a replay
        switch (style)
        {
            case "github":
            {
                var given = head.Header(GitHubSignature);
                if (given is null) return new(false, false, $"The request has no {GitHubSignature} header.", id, null);
                return Same(given, Hmac(secret, body))
                    ? new(true, false, null, id, given)
                    : new(false, false, $"The {GitHubSignature} signature does not match the body.", id, null);
            }
            case "gitlab":
            {
                var given = head.Header(GitLabToken);
                if (given is null) return new(false, false, $"The request has no {GitLabToken} header.", id, null);
                return FixedTimeEquals(Encoding.UTF8.GetBytes(given), secret.RevealBytes())
                    ? new(true, false, null, id, null)
                    : new(false, false, $"The {GitLabToken} does not match.", id, null);
            }
            default:
            {
                var given = head.Header(GenericSignature);
                var ts = head.Header(GenericTimestamp);
                if (given is null || ts is null) return new(false, false, $"The request needs {GenericSignature} and {GenericTimestamp} headers.", id, null);
                if (ts.Length > 12 || !long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    return new(false, false, $"{GenericTimestamp} is not Unix seconds.", id, null);
                if (!Same(given, Hmac(secret, GenericSigned(ts, body))))
                    return new(false, false, $"The {GenericSignature} signature does not match the timestamp and body.", id, null);
                var age = now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
                if (age.Duration() > window)
                    return new(true, true, $"The timestamp is {(long)age.TotalSeconds} s from now, outside the {(long)window.TotalSeconds} s window.", id, given);
                return new(true, false, null, id ?? given, given);
            }
        }
    }

    static bool Same(string given, string expected) =>
        FixedTimeEquals(Encoding.ASCII.GetBytes(given.Trim().ToLowerInvariant()), Encoding.ASCII.GetBytes(expected));

    static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        // Compare digests so the length of the secret does not leak through timing either.
        Span<byte> ha = stackalloc byte[32], hb = stackalloc byte[32];
        SHA256.HashData(a, ha);
        SHA256.HashData(b, hb);
        return CryptographicOperations.FixedTimeEquals(ha, hb);
    }
}
