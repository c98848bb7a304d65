using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Mq;

namespace Resh.Handles.Mqtt.Mq;

/// <summary>The verbs that work through the queue's persistent session: consume, subscribe, ack, nack, create, delete.</summary>
public sealed partial class MqttMqBackend
{
    const string NoVisibility = "MQTT has no visibility timeout: a message not acked stays with the queue's session and is delivered again by its next consume or subscribe (visibility= is not applied).";

    MqMessage Delivered(MqttSession session, MqttApplicationMessageReceivedEventArgs e, bool manual) =>
        MqttTopicMap.Message(e.ApplicationMessage, e.PacketIdentifier,
            manual && e.ApplicationMessage.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce ? MqttTopicMap.Receipt(session.ClientId, e.ApplicationMessage, e.PacketIdentifier) : null);

    void NewSession(VerbContext ctx, MqttSession session, string queue)
    {
        if (!session.Resumed)
            ctx.Warn($"The session {session.ClientId} of queue {queue} began with this call: the broker keeps messages for it from now on, not the ones published before.");
    }

    public async ValueTask<Outcome<MqConsumeResult>> ConsumeAsync(VerbContext ctx, string queue, MqTake take, TimeSpan wait)
    {
        if (take.Manual && take.VisibilityGiven) ctx.Warn(NoVisibility);
        if (ctx.DryRun)
            return ReshError.Unsupported("A dry run of consume would need to look at messages without taking them, and MQTT has no peek.",
                $"consume ack=manual takes messages without acking them: they are delivered again by the next consume of {queue}.", new JsonObject { ["backend"] = "mqtt" });
        var ackMode = take.Manual ? "manual" : "auto";
        var session = await MqttSession.OpenAsync(ctx, _server, queue, (ushort)Math.Min(take.Count, ushort.MaxValue), subscribe: true).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var messages = new List<MqMessage>();
            var clock = Stopwatch.StartNew();
            while (messages.Count < take.Count)
            {
                var left = wait - clock.Elapsed;
                var e = await session.NextAsync(ctx, messages.Count == 0 && left > MqttSession.Grace ? left : MqttSession.Grace).ConfigureAwait(false);
                if (e is null) break;
                if (!take.Manual) await session.AckAsync(ctx, e).ConfigureAwait(false);
                messages.Add(Delivered(session, e, take.Manual));
            }
            await session.CloseAsync(ctx, drop: false).ConfigureAwait(false);
            NewSession(ctx, session, queue);
            return Outcome.Changed(new MqConsumeResult(queue, ackMode, messages, messages.Count, 0), messages.Count > 0);
        }
    }

    public async ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string queue, long? limit, MqTake take, TimeSpan maxPause)
    {
        if (take.Manual && take.VisibilityGiven) ctx.Warn(NoVisibility);
        if (ctx.DryRun) return Outcome.Changed(new MqSubscribeResult(queue, 0, "dry_run"), false);
        long received = 0;
        MqttSession? session = null;
        try
        {
            // Inside the try: a --timeout that ends during the connect is a normal end too.
            session = await MqttSession.OpenAsync(ctx, _server, queue, (ushort)Math.Min(limit ?? 100, 100), subscribe: true).ConfigureAwait(false);
            NewSession(ctx, session, queue);
            while (limit is null || received < limit)
            {
                var e = await session.NextAsync(ctx, TimeSpan.FromHours(1)).ConfigureAwait(false);
                if (e is null) continue;
                var m = Delivered(session, e, take.Manual);
                ctx.Events.Emit("message", (JsonObject)JsonSerializer.SerializeToNode(m, MqJson.Default.MqMessage)!);
                // Acked once streamed: a subscriber killed before this line leaves the message to the session's next connection.
                if (!take.Manual) await session.AckAsync(ctx, e).ConfigureAwait(false);
                received++;
            }
            await session.CloseAsync(ctx, drop: false).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            return Outcome.Changed(new MqSubscribeResult(queue, received, "timeout"), received > 0);
        }
        catch (ReshException) when (ctx.TimedOut)
        {
            return Outcome.Changed(new MqSubscribeResult(queue, received, "timeout"), received > 0);
        }
        finally
        {
            if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
        }
        return Outcome.Changed(new MqSubscribeResult(queue, received, "count"), received > 0);
    }

    /// <summary>
    /// Reconnects the queue's session: the broker first sends again every message delivered and not yet acked (DUP set,
    /// same packet identifier). Those a receipt names are found; with <paramref name="ack"/> their PUBACK is sent.
    /// The resends end at the first new delivery (no DUP) or after a short quiet look; what is not named stays unacked.
    /// </summary>
    async Task<(List<long> Found, List<long> Gone)> RedeliveredAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts, bool ack)
    {
        var wanted = receipts.Select(r => MqttTopicMap.ParseReceipt(queue, r)).Distinct().ToList();
        var found = new List<long>();
        var session = await MqttSession.OpenAsync(ctx, _server, queue, ushort.MaxValue, subscribe: false).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            if (!session.Resumed)
            {
                // Connecting made an empty session: end it again, so that a later consume subscribes afresh.
                await session.CloseAsync(ctx, drop: true).ConfigureAwait(false);
                ctx.Warn($"The broker has no session {session.ClientId} for queue {queue}: nothing is waiting for an ack there.");
                return (found, wanted.Select(w => (long)w.PacketId).ToList());
            }
            var pending = wanted.ToList();
            while (pending.Count > 0)
            {
                var e = await session.NextAsync(ctx, MqttSession.Grace * 4).ConfigureAwait(false);
                if (e is null || !e.ApplicationMessage.Dup) break;
                var match = pending.FindIndex(w => MqttTopicMap.Matches(w, session.ClientId, e.ApplicationMessage, e.PacketIdentifier));
                if (match < 0) continue;
                if (ack && !ctx.DryRun) await session.AckAsync(ctx, e).ConfigureAwait(false);
                found.Add(e.PacketIdentifier);
                pending.RemoveAt(match);
            }
            await session.CloseAsync(ctx, drop: false).ConfigureAwait(false);
            return (found, pending.Select(w => (long)w.PacketId).ToList());
        }
    }

    public async ValueTask<Outcome<MqAckResult>> AckAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts)
    {
        var (acked, done) = await RedeliveredAsync(ctx, queue, receipts, ack: true).ConfigureAwait(false);
        return Outcome.Changed(new MqAckResult(queue, acked, done), acked.Count > 0);
    }

    public async ValueTask<Outcome<MqNackResult>> NackAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts, bool deadLetter)
    {
        if (deadLetter)
            return NoSuch("dead-letter queue", $"nack without dead_letter leaves the message to the next consume of {queue}; publish it to a queue of your own (e.g. {queue}-failed) to set it aside.");
        var (requeued, gone) = await RedeliveredAsync(ctx, queue, receipts, ack: false).ConfigureAwait(false);
        foreach (var id in gone) ctx.Warn($"Message {id} of {queue} is already done (acked, or its session ended); nothing to nack.");
        return Outcome.Changed(new MqNackResult(queue, requeued, [], ""), requeued.Count > 0);
    }

    public async ValueTask<Outcome<MqCreateResult>> CreateAsync(VerbContext ctx, string queue, MqQueueSettings settings)
    {
        if (settings.MaxDeliveries != MqLimits.DefaultMaxDeliveries)
            ctx.Warn("MQTT keeps no delivery count or dead-letter queue: max_deliveries= is not applied (a message is delivered again until it is acked).");
        if (settings.Visibility is not null) ctx.Warn(NoVisibility);
        if (ctx.DryRun) return Outcome.Changed(new MqCreateResult(queue, true, 0, ""));
        var session = await MqttSession.OpenAsync(ctx, _server, queue, 1, subscribe: true).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            // Leave any delivery the broker sent at connect unacked: it stays in the session for the next consume.
            await session.CloseAsync(ctx, drop: false).ConfigureAwait(false);
            return Outcome.Changed(new MqCreateResult(queue, !session.Resumed, 0, ""), !session.Resumed);
        }
    }

    public async ValueTask<Outcome<MqDeleteResult>> DeleteAsync(VerbContext ctx, string queue, bool force)
    {
        if (!force)
            return ReshError.Conflict($"MQTT cannot tell how many messages the session of {queue} still holds: delete ends the session and drops them all.",
                $"Confirm with force=true: resh mq://SERVER/{queue}.delete force=true", new JsonObject { ["queue"] = queue });
        if (ctx.DryRun) return Outcome.Changed(new MqDeleteResult(queue, true, 0));
        var session = await MqttSession.OpenAsync(ctx, _server, queue, 1, subscribe: false).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            await session.CloseAsync(ctx, drop: true).ConfigureAwait(false);
            if (session.Resumed) ctx.Warn($"The session {session.ClientId} ended with the messages it held; MQTT does not say how many (dropped counts none).");
            return Outcome.Changed(new MqDeleteResult(queue, session.Resumed, 0), session.Resumed);
        }
    }

    public async ValueTask<Outcome<MqRequestResult>> RequestAsync(VerbContext ctx, string queue, MqOutgoing message, TimeSpan timeout)
    {
        var now = DateTimeOffset.UtcNow;
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var correlation = System.Text.Encoding.ASCII.GetBytes(token);
        var replyTopic = "resh/reply/" + token;
        var outgoing = MqttTopicMap.Outgoing(MqttTopicMap.TopicOf(queue), message, now, replyTopic, correlation);
        if (ctx.DryRun) return Outcome.Unchanged(new MqRequestResult(queue, "", "utf-8", 0, null, 0));
        var replies = System.Threading.Channels.Channel.CreateUnbounded<MqttApplicationMessage>();
        var (client, _) = await MqttConnections.ConnectAsync(_server, MqttConnections.Options(_server, "resh-req-" + token[..12], false, 10), e =>
        {
            if (e.ApplicationMessage.CorrelationData is { } c && c.AsSpan().SequenceEqual(correlation)) replies.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        }, ctx.Cancellation).ConfigureAwait(false);
        using (client)
        {
            var sub = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(replyTopic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build();
            var granted = await Call(ctx, ct => client.SubscribeAsync(sub, ct)).ConfigureAwait(false);
            if (granted.Items.FirstOrDefault()?.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
                return ReshError.PermissionDenied($"{_server.Label} does not let this user subscribe to the reply topic {replyTopic}.",
                    "Allow the user to read resh/reply/# in the broker's ACL.", new JsonObject { ["topic"] = replyTopic });
            var clock = Stopwatch.StartNew();
            var sent = await Call(ctx, ct => client.PublishAsync(outgoing, ct)).ConfigureAwait(false);
            if (sent.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers)
                return ReshError.Unavailable($"No responder is subscribed to {queue} on {_server.Label}.",
                    "Start the service that answers on this topic (it replies to the response topic with the correlation data), or check the topic's spelling.",
                    new JsonObject { ["topic"] = queue });
            if (sent.ReasonCode != MqttClientPublishReasonCode.Success)
                return ReshError.Failed($"{_server.Label} refused the request: {sent.ReasonCode}.", "Check the broker's ACL and limits.", new JsonObject { ["topic"] = queue, ["reason"] = sent.ReasonCode.ToString() });
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            cts.CancelAfter(timeout);
            MqttApplicationMessage reply;
            try { reply = await replies.Reader.ReadAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
            {
                return ReshError.Timeout($"No reply on {queue} from {_server.Label} within {Resh.Core.Values.DurationValue.Format(timeout)}.",
                    "The responder may be slow or gone: raise wait=, or check the service subscribed to the topic.", new JsonObject { ["topic"] = queue });
            }
            var m = MqttTopicMap.Message(reply, 0, null);
            try { await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None).WaitAsync(_server.Timeout).ConfigureAwait(false); }
            catch (Exception e) when (MqttErrors.IsCaught(e)) { }
            return Outcome.Changed(new MqRequestResult(queue, m.Body, m.Encoding, m.Bytes, m.Headers, Math.Round(clock.Elapsed.TotalMilliseconds, 3)));
        }
    }
}
