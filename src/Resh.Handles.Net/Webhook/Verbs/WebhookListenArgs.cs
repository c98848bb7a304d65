using Resh.Core.Model;

namespace Resh.Handles.Net.Webhook;

/// <summary>The arguments of listen.</summary>
internal static class WebhookListenArgs
{
    public static readonly Arg<string?> Action = Arg.String("action",
        "The stage an accepted delivery runs, in this process (file:///srv/last.write, event:///deploy.emit, mq:///jobs.publish). Without it, deliveries are only reported as events.",
        examples: ["file:///tmp/last-deploy.write", "event:///deploy.emit"], role: ArgRole.SideCommand);
    public static readonly Arg<System.Text.Json.Nodes.JsonNode?> ActionArgs = Arg.Json("with",
        "The action's arguments (templates); string values may hold {{payload.FIELD}}, {{headers.NAME}}, {{delivery_id}}, {{event}}, {{route}} (never in the stage, a target or a secret argument).",
        examples: ["{\"content\":\"{{payload.ref}}\"}"]);
    public static readonly Arg<long?> MaxBody = Arg.Size("max_body", "Largest request body; a larger one is answered 413 without being read.", 1024 * 1024);
    public static readonly Arg<TimeSpan?> Window = Arg.Duration("window", "generic style: how far X-Webhook-Timestamp may be from now; older is a replay (409).", TimeSpan.FromMinutes(5));
    public static readonly Arg<TimeSpan?> Remember = Arg.Duration("remember", "How long accepted delivery ids and signatures are remembered (in the state dir, across restarts) to refuse replays; at least window= for a generic route. A github or gitlab delivery (no timestamp) is accepted again after this.", TimeSpan.FromDays(7));
    public static readonly Arg<long?> Count = Arg.Int("count", "Stop after answering this many requests (accepted or refused).", min: 1);
    public static readonly Arg<IReadOnlyList<string>> Route = Arg.List("route", "Serve only these [webhook.NAME] tables of the config (when the target has no path).");
    public static readonly Arg<string?> Cert = Arg.String("cert", "PEM certificate (chain) to serve HTTPS with; key= names its key when the file holds only certificates.", path: PathUse.Read);
    public static readonly Arg<string?> Key = Arg.String("key", "PEM private key of cert=.", path: PathUse.Read);
    public static readonly Arg<long?> MaxConnections = Arg.Int("max_connections", "Connections served at once. When all are taken, the one that has spent longest (over 1 s) still sending its request is cut off with 408 to make room; else more are answered 503.", 64, min: 1, max: 10_000);
    public static readonly Arg<long?> MaxPerClient = Arg.Int("max_per_client", "Connections served at once from one client address (one sender cannot take every slot); more are answered 503.", 8, min: 1, max: 10_000);
    public static readonly Arg<TimeSpan?> HeaderTimeout = Arg.Duration("header_timeout", "The request head (and TLS handshake) must arrive within this of connecting; else 408 (slowloris).", TimeSpan.FromSeconds(10));
    public static readonly Arg<TimeSpan?> BodyTimeout = Arg.Duration("body_timeout", "The body must arrive within this after the head; else 408.", TimeSpan.FromSeconds(30));
}
