using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mq;

/// <summary>
/// Which backend and queue a target names (SPEC §9). <c>mq://QUEUE</c> (no slash) is the embedded queue, as always;
/// <c>mq:///QUEUE</c> is <c>[mq.default]</c> when the config has one, else embedded; <c>mq://HOST:PORT/QUEUE</c> is a
/// server named inline, NATS unless <c>backend=</c> says otherwise (<c>backend=redis</c>: Redis Streams; no password
/// inline: use a profile); <c>mq://PROFILE/QUEUE</c> is the <c>[mq.PROFILE]</c> table (url = "nats://HOST:4222" or
/// "tls://...", or "redis://HOST:6379[/DB]" or "rediss://..." for Redis; user, password (secret-typed), tls, ca, timeout;
/// backend = "embedded" keeps it on this machine).
/// For queues, which names no queue, the target is only the server: <c>mq://.queues</c>, <c>mq://PROFILE/.queues</c>.
/// </summary>
public static class MqTarget
{
    /// <summary>Connects the NATS backend for an endpoint; set by the CLI's catalog (Resh.Handles.Nats owns the NATS client).</summary>
    public static Func<VerbContext, Endpoint, CancellationToken, Task<IMqBackend>>? NatsProvider { get; set; }

    /// <summary>Connects the Redis Streams backend for an endpoint; set by the CLI's catalog (Resh.Handles.Cache owns the Redis client).</summary>
    public static Func<VerbContext, Endpoint, CancellationToken, Task<IMqBackend>>? RedisProvider { get; set; }
    /// <summary>The MQTT 5 backend for an endpoint (backend=mqtt, url = "mqtt://..." or "mqtts://..."); set by the CLI's catalog (Resh.Handles.Mqtt owns the MQTT client).</summary>
    public static Func<VerbContext, Endpoint, CancellationToken, Task<IMqBackend>>? MqttProvider { get; set; }

    /// <summary>The queue's name (empty when <paramref name="named"/> is false) and its backend.</summary>
    public static async Task<(string Queue, IMqBackend Backend)> OpenAsync(VerbContext ctx, bool named = true)
    {
        var target = ctx.Target;
        var chosen = ctx.Get(MqArgs.Backend);
        string authority, path;
        var slash = target.IndexOf('/');
        if (slash < 0 && (named || target.Length == 0))
            return (named ? MqName.Of(target) : "", Embedded(ctx, chosen, null)); // mq://jobs (or mq://.queues): the embedded queue
        if (slash < 0)
        {
            // mq://PROFILE.queues (or mq://HOST:PORT.queues): the target names only the server, as lock://PROFILE.list does.
            authority = target;
            path = "";
        }
        else
        {
            authority = target[..slash];
            path = target[(slash + 1)..];
        }
        if (!named && path.Trim('/').Length > 0)
            throw ReshError.Usage("queues lists every queue: give no queue name (the target names only the server).",
                "Examples: mq://.queues (embedded), mq://PROFILE.queues, mq://127.0.0.1:4222/.queues").ToException();
        var queue = named ? MqName.Of(path) : "";
        var endpoint = EndpointResolver.Resolve(ctx, "mq", authority);
        if (endpoint is null) return (queue, Embedded(ctx, chosen, null));

        var urlScheme = endpoint.Setting("url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Scheme : null;
        var profileBackend = endpoint.Setting("backend");
        var backend = chosen ?? profileBackend ?? urlScheme switch
        {
            null or "nats" or "tls" => "nats",
            "amqp" or "amqps" => "rabbitmq",
            "redis" or "rediss" => "redis",
            "mqtt" or "mqtts" => "mqtt",
            var other => throw ReshError.Usage($"The url scheme `{other}` of [mq.{endpoint.Profile}] names no mq backend.",
                "Use url = \"nats://HOST:4222\" (or backend = \"embedded\").").ToException(),
        };
        if (chosen is not null && profileBackend is not null && chosen != profileBackend)
            throw ReshError.Usage($"backend={chosen} contradicts backend = \"{profileBackend}\" of [mq.{endpoint.Profile}].",
                "Leave out backend= (the profile says which backend it is).").ToException();
        switch (backend)
        {
            case "embedded" when endpoint.Profile is not null:
                return (queue, new EmbeddedMqBackend(ctx.Runtime.Paths));
            case "embedded":
                throw ReshError.Usage($"backend=embedded names no server, but the target names {endpoint.Display(4222)}.",
                    $"Use mq:///{(queue.Length > 0 ? queue : "QUEUE")} for the embedded queue, or leave out backend= for NATS.").ToException();
            case "nats":
                var provider = NatsProvider ?? throw ReshError.Unsupported("This build of resh has no NATS backend.", "Use the embedded queue: mq:///QUEUE.").ToException();
                return (queue, new GuardedMqBackend(await provider(ctx, endpoint, ctx.Cancellation).ConfigureAwait(false)));
            case "redis":
                var redis = RedisProvider ?? throw ReshError.Unsupported("This build of resh has no Redis backend.", "Use the embedded queue: mq:///QUEUE.").ToException();
                return (queue, new GuardedMqBackend(await redis(ctx, endpoint, ctx.Cancellation).ConfigureAwait(false)));
            case "mqtt":
                var mqtt = MqttProvider ?? throw ReshError.Unsupported("This build of resh has no MQTT backend.", "Use the embedded queue: mq:///QUEUE.").ToException();
                return (queue, new GuardedMqBackend(await mqtt(ctx, endpoint, ctx.Cancellation).ConfigureAwait(false)));
            default:
                throw ReshError.Unsupported($"The {backend} backend of mq:// is not built yet; the embedded queue, NATS JetStream, Redis Streams and MQTT are.",
                    "Use a NATS server (url = \"nats://HOST:4222\"), a Redis server (url = \"redis://HOST:6379\"), an MQTT broker (url = \"mqtt://HOST:1883\") or the embedded queue (mq:///QUEUE).",
                    new JsonObject { ["backend"] = backend }).ToException();
        }
    }

    static EmbeddedMqBackend Embedded(VerbContext ctx, string? chosen, string? _)
    {
        if (chosen is null or "embedded") return new EmbeddedMqBackend(ctx.Runtime.Paths);
        throw ReshError.Usage($"backend={chosen} needs a server, and the target names none.",
            $"Name it in the target (mq://HOST:PORT/QUEUE) or in a [mq.NAME] table (mq://NAME/QUEUE); mq:///QUEUE is the embedded queue.").ToException();
    }
}
