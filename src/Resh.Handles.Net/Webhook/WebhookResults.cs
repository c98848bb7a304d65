using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Net.Webhook;

[Description("One route a listener served.")]
public sealed record WebhookRouteInfo(
    [property: Description("The [webhook.NAME] table, or the path for a route given on the command line.")] string Name,
    string Path,
    string Style,
    [property: Description("The stage an accepted request runs; null: deliveries are only reported.")] string? Action,
    long MaxBody);

[Description("What a listener did until it stopped.")]
public sealed record WebhookListenResult(
    [property: Description("The URL it listened on (http:// or https://ADDRESS:PORT).")] string Url,
    [property: Resh.Core.Model.NotItems] IReadOnlyList<WebhookRouteInfo> Routes,
    [property: Description("Requests answered (accepted and refused).")] long Requests,
    [property: Description("Requests whose signature was valid and whose action ran (or that were reported, without an action).")] long Accepted,
    [property: Description("Requests refused: bad signature, replay, too big, unknown path, bad request, timeout.")] long Refused,
    [property: Description("Accepted requests whose action failed.")] long ActionFailed,
    [property: Description("count (count= reached), timeout (--timeout) or terminated (SIGTERM): normal ends; Ctrl-C ends the call as interrupted (130).")] string Ended);

[Description("One attempt of a delivery.")]
public sealed record WebhookAttempt(
    int Attempt,
    [property: Description("HTTP status, 0 when no answer came (connection error).")] int Status,
    double DurationMs,
    [property: Description("Why the attempt failed: the connection error or the status; null when it succeeded.")] string? Error,
    [property: Description("The wait before the next attempt, in milliseconds (0 for the last).")] double WaitMs);

[Description("A webhook delivery.")]
public sealed record WebhookSendResult(
    string Url,
    string Style,
    [property: Description("The delivery id sent (X-GitHub-Delivery, X-Gitlab-Event-UUID or X-Webhook-Id): the same on every retry.")] string DeliveryId,
    [property: Description("The signature header sent (never the secret: a gitlab token shows as ***).")] IReadOnlyDictionary<string, string> Signed,
    long BodyBytes,
    [property: Description("The final status (0: no answer).")] int Status,
    [property: Description("The receiver's answer, JSON when it sent JSON (a resh listener answers with a receipt envelope: ok, changed, route, delivery id, status, an error code), else text up to 64 KiB.")] JsonNode? Response,
    [property: Description("One record per attempt, in order.")] IReadOnlyList<WebhookAttempt> Attempts,
    [property: Description("True when a 2xx answer came.")] bool Delivered);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WebhookListenResult))]
[JsonSerializable(typeof(WebhookSendResult))]
[JsonSerializable(typeof(IReadOnlyList<WebhookAttempt>))]
internal sealed partial class WebhookJson : JsonSerializerContext;
