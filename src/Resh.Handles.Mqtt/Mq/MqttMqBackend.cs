using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Mq;

namespace Resh.Handles.Mqtt.Mq;

/// <summary>
/// mq:// on an MQTT 5 broker (see <see cref="MqttTopicMap"/> for the mapping). Publish is QoS 1 (answered after the
/// broker's PUBACK), or QoS 0 with persistent=false; consume, subscribe, ack and nack work through the queue's
/// persistent session (<see cref="MqttSession"/>); request uses MQTT 5 response topic and correlation data. MQTT keeps
/// no queue the broker could count, list, peek into or purge, and no dead-letter queue: those verbs answer
/// <c>unsupported</c> with a hint, never an imitation.
/// </summary>
public sealed partial class MqttMqBackend : IMqBackend
{
    readonly MqttServer _server;

    MqttMqBackend(MqttServer server) => _server = server;

    public string Kind => "mqtt";
    public string? Server => _server.Display;

    /// <summary>The provider <see cref="MqTarget.MqttProvider"/> calls: resolves the profile; connections are made by the verbs that need them.</summary>
    public static Task<IMqBackend> ConnectAsync(VerbContext ctx, Endpoint endpoint, CancellationToken ct) =>
        Task.FromResult<IMqBackend>(new MqttMqBackend(MqttConnections.ServerOf(ctx, endpoint)));

    /// <summary>Runs one broker call, turning client exceptions into envelopes (and a hang into a timeout).</summary>
    async Task<T> Call<T>(VerbContext ctx, Func<CancellationToken, Task<T>> call, TimeSpan? limit = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(limit ?? _server.Timeout + TimeSpan.FromSeconds(1));
        try { return await call(cts.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is not ReshException && MqttErrors.IsCaught(e) && !ctx.Cancellation.IsCancellationRequested)
        {
            throw MqttErrors.Translate(e, _server, cts.IsCancellationRequested).ToException();
        }
    }

    static ReshError NoSuch(string what, string hint) =>
        ReshError.Unsupported($"MQTT has no {what}: a broker keeps no queue that resh could look into, only the messages each session has still to receive.",
            hint, new JsonObject { ["backend"] = "mqtt" });

    public async ValueTask<Outcome<MqPublishResult>> PublishAsync(VerbContext ctx, string queue, MqOutgoing m)
    {
        var now = DateTimeOffset.UtcNow;
        var message = MqttTopicMap.Outgoing(MqttTopicMap.TopicOf(queue), m, now);
        var result = new MqPublishResult(queue, 0, m.Body.Length, false, MqttTopicMap.Stamp(now));
        if (ctx.DryRun) return Outcome.Changed(result);
        var client = await Call(ctx, ct => MqttConnections.PublisherAsync(_server, ct)).ConfigureAwait(false);
        var answer = await Call(ctx, ct => client.PublishAsync(message, ct)).ConfigureAwait(false);
        if (!m.Persistent) return Outcome.Changed(result);
        switch (answer.ReasonCode)
        {
            case MqttClientPublishReasonCode.Success:
                result.Durable = true;
                break;
            case MqttClientPublishReasonCode.NoMatchingSubscribers:
                ctx.Warn($"No session is subscribed to {queue} on {_server.Label}: the broker accepted the message and kept it for no one. "
                    + $"Make the queue's session first (resh mq://SERVER/{queue}.create, or one consume), then publish.");
                break;
            case MqttClientPublishReasonCode.NotAuthorized:
                return ReshError.PermissionDenied($"{_server.Label} does not let this user publish to {queue}.", "Check the broker's ACL for the user (write access to the topic).",
                    new JsonObject { ["topic"] = queue, ["reason"] = answer.ReasonCode.ToString() });
            default:
                return ReshError.Failed($"{_server.Label} refused the message: {answer.ReasonCode}{(answer.ReasonString is { Length: > 0 } s ? " (" + MqttTopicMap.Clip(s) + ")" : "")}.",
                    "Check the broker's limits (message_size_limit, max_queued_messages) and its log.", new JsonObject { ["topic"] = queue, ["reason"] = answer.ReasonCode.ToString() });
        }
        return Outcome.Changed(result);
    }

    public ValueTask<Outcome<MqPeekResult>> PeekAsync(VerbContext ctx, string queue, int count) =>
        ValueTask.FromResult<Outcome<MqPeekResult>>(NoSuch("peek",
            $"consume ack=manual shows messages without removing them: what is not acked is delivered again by the next consume of {queue}."));

    public ValueTask<Outcome<MqQueuesResult>> QueuesAsync(VerbContext ctx) =>
        ValueTask.FromResult<Outcome<MqQueuesResult>>(NoSuch("list of queues",
            "Topics exist only while someone publishes or subscribes; use the broker's own tools ($SYS topics, its log) to see clients and subscriptions."));

    public ValueTask<Outcome<MqPurgeResult>> PurgeAsync(VerbContext ctx, string queue, bool force) =>
        ValueTask.FromResult<Outcome<MqPurgeResult>>(NoSuch("purge",
            $"delete force=true ends the session of {queue} with everything it still holds; the next create or consume starts an empty one."));

    public ValueTask<Outcome<MqStatsResult>> StatsAsync(VerbContext ctx, string queue) =>
        ValueTask.FromResult<Outcome<MqStatsResult>>(NoSuch("depth or counters per queue",
            "The broker's $SYS/broker/... topics count messages for the whole broker; use the embedded queue or NATS for per-queue stats."));
}
