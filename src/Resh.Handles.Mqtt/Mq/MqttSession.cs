using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mqtt.Mq;

/// <summary>
/// One connection of a queue's persistent session (clean start false, a session that never expires, client id
/// <c>resh-CONSUMER-QUEUE</c>). Deliveries are not acknowledged by the client library (AutoAcknowledge off): resh sends
/// the PUBACK itself once a message is done, so a message whose consumer dies first stays in the session and the
/// broker delivers it again (DUP set) when the session next connects. At most <c>receiveMaximum</c> unacked messages
/// are in flight (MQTT 5 Receive Maximum): the broker keeps the rest queued.
/// </summary>
sealed class MqttSession : IAsyncDisposable
{
    readonly Channel<MqttApplicationMessageReceivedEventArgs> _inbox = Channel.CreateUnbounded<MqttApplicationMessageReceivedEventArgs>();
    readonly MqttServer _server;
    IMqttClient? _client;

    MqttSession(MqttServer server, string clientId)
    {
        _server = server;
        ClientId = clientId;
    }

    public string ClientId { get; }
    /// <summary>False when the broker had no session of this client id (a first consume, or one the broker lost).</summary>
    public bool Resumed { get; private set; }

    /// <summary>A short look after the subscription is confirmed: deliveries the broker sent at connect are all in by then.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(50);

    public static async Task<MqttSession> OpenAsync(VerbContext ctx, MqttServer server, string queue, ushort receiveMaximum, bool subscribe)
    {
        var session = new MqttSession(server, MqttTopicMap.ClientIdOf(server.Consumer, queue));
        var options = MqttConnections.Options(server, session.ClientId, persistent: true, receiveMaximum);
        var topic = MqttTopicMap.TopicOf(queue);
        var (client, result) = await MqttConnections.ConnectAsync(server, options, e =>
        {
            e.AutoAcknowledge = false;
            // Only the queue's own topic is a message of the queue: a subscription someone else added to this session
            // (another client connecting with its id) must not hand other topics' messages to this consume (s33 attacker #2).
            // They are acknowledged, so the session does not keep them for ever.
            if (!string.Equals(e.ApplicationMessage.Topic, topic, StringComparison.Ordinal))
                return e.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? Task.CompletedTask : e.AcknowledgeAsync(CancellationToken.None);
            session._inbox.Writer.TryWrite(e);
            return Task.CompletedTask;
        }, ctx.Cancellation).ConfigureAwait(false);
        session._client = client;
        client.DisconnectedAsync += _ => { session._inbox.Writer.TryComplete(); return Task.CompletedTask; };
        session.Resumed = result.IsSessionPresent;
        if (subscribe)
        {
            var sub = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(f => f.WithTopic(MqttTopicMap.TopicOf(queue))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly))
                .Build();
            var answer = await session.Call(ctx, ct => client.SubscribeAsync(sub, ct)).ConfigureAwait(false);
            var code = answer.Items.FirstOrDefault()?.ResultCode;
            if (code is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            {
                await session.DisposeAsync().ConfigureAwait(false);
                var details = new System.Text.Json.Nodes.JsonObject { ["server"] = server.Display, ["topic"] = queue, ["reason"] = code?.ToString() };
                throw (code == MqttClientSubscribeResultCode.NotAuthorized
                    ? ReshError.PermissionDenied($"{server.Label} does not let this user subscribe to {queue}.", "Check the broker's ACL for the user (read access to the topic).", details)
                    : ReshError.Failed($"{server.Label} refused the subscription to {queue}: {code}.", "resh needs QoS 1 subscriptions; check the broker's configuration (max_qos).", details)).ToException();
            }
        }
        return session;
    }

    /// <summary>The next delivery, or null when none comes within <paramref name="wait"/>.</summary>
    public async Task<MqttApplicationMessageReceivedEventArgs?> NextAsync(VerbContext ctx, TimeSpan wait)
    {
        if (_inbox.Reader.TryRead(out var ready)) return ready;
        if (_client is not { IsConnected: true })
            throw ReshError.Unavailable($"{_server.Label} closed the session's connection.", "Check the broker's log (another consumer with the same client id takes the session over).").ToException();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(wait);
        try
        {
            if (await _inbox.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
                return _inbox.Reader.TryRead(out var next) ? next : null;
        }
        catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested) { return null; }
        throw ReshError.Unavailable($"{_server.Label} closed the session's connection.", "Check the broker's log (another consumer with the same client id takes the session over).").ToException();
    }

    /// <summary>Sends the PUBACK: the broker drops the message from the session.</summary>
    public Task AckAsync(VerbContext ctx, MqttApplicationMessageReceivedEventArgs e) =>
        e.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce
            ? Task.CompletedTask
            : Call(ctx, async ct => { await e.AcknowledgeAsync(ct).ConfigureAwait(false); return 0; });

    /// <summary>
    /// Ends the session's connection (DISCONNECT keeps the session); <paramref name="drop"/> then ends the session itself:
    /// a second connection with clean start and session expiry 0 makes the broker discard it with what it held.
    /// </summary>
    public async Task CloseAsync(VerbContext ctx, bool drop)
    {
        if (_client is { IsConnected: true } client)
        {
            var options = new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build();
            await Call(ctx, async ct => { await client.DisconnectAsync(options, ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
        }
        if (!drop) return;
        var (clean, _) = await MqttConnections.ConnectAsync(_server, MqttConnections.Options(_server, ClientId, persistent: false, 1), null, ctx.Cancellation).ConfigureAwait(false);
        using (clean)
            await Call(ctx, async ct => { await clean.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
    }

    async Task<T> Call<T>(VerbContext ctx, Func<CancellationToken, Task<T>> call)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(_server.Timeout + TimeSpan.FromSeconds(1));
        try { return await call(cts.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is not ReshException && MqttErrors.IsCaught(e) && !ctx.Cancellation.IsCancellationRequested)
        {
            throw MqttErrors.Translate(e, _server, cts.IsCancellationRequested).ToException();
        }
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _client = null;
        return ValueTask.CompletedTask;
    }
}
