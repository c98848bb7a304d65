using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Mq;

namespace Resh.Handles.Nats.Mq;

/// <summary>
/// mq:// on NATS JetStream (see <see cref="NatsQueueMap"/> for how queues map onto streams and consumers). Payloads are
/// raw bytes both ways (no serializer with reflection: Native AOT). Publishes wait for the server's ack, except inside
/// <c>resh batch</c>, where they are acked together (<see cref="NatsPubAcks"/>).
/// </summary>
public sealed partial class NatsMqBackend : IMqBackend
{
    static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    readonly NatsServer _server;
    readonly NatsConnection _nats;
    readonly NatsJSContext _js;

    NatsMqBackend(NatsServer server, NatsConnection nats, NatsJSContext js)
    {
        _server = server;
        _nats = nats;
        _js = js;
    }

    public string Kind => "nats";
    public string? Server => _server.Display;

    /// <summary>The provider <see cref="MqTarget.NatsProvider"/> calls: resolves the profile and connects (once per process).</summary>
    public static async Task<IMqBackend> ConnectAsync(VerbContext ctx, Endpoint endpoint, CancellationToken ct)
    {
        var server = NatsConnections.ServerOf(ctx, endpoint);
        try
        {
            var (nats, js) = await NatsConnections.GetAsync(server, ct).ConfigureAwait(false);
            return new NatsMqBackend(server, nats, js);
        }
        catch (Exception e) when (NatsErrors.IsCaught(e) && !ct.IsCancellationRequested)
        {
            throw NatsErrors.Translate(e is OperationCanceledException ? new TimeoutException() : e, server, e is OperationCanceledException).ToException();
        }
    }

    /// <summary>Runs one server call, turning client exceptions into envelopes (and a hang into a timeout).</summary>
    Task<T> Call<T>(VerbContext ctx, Func<CancellationToken, Task<T>> call, TimeSpan? limit = null) => NatsErrors.Call(ctx, _server, call, limit);

    void CheckSize(VerbContext ctx, int bytes)
    {
        var max = _nats.ServerInfo?.MaxPayload ?? 1024 * 1024;
        if (bytes > max)
            throw ReshError.Usage($"The message ({Resh.Core.Values.SizeValue.Format(bytes)}) is larger than {_server.Label} accepts (max_payload {Resh.Core.Values.SizeValue.Format(max)}).",
                "Publish a reference (a path or URL) to the data instead, or raise max_payload in the server's configuration.",
                new JsonObject { ["size"] = bytes, ["max_payload"] = max }).ToException();
    }

    public async ValueTask<Outcome<MqPublishResult>> PublishAsync(VerbContext ctx, string queue, MqOutgoing m)
    {
        CheckSize(ctx, m.Body.Length + (m.Headers?.Sum(h => h.Key.Length + h.Value.Length + 4) ?? 0));
        var headers = NatsQueueMap.HeadersOf(m);
        var subject = NatsQueueMap.SubjectOf(queue);
        var now = NatsQueueMap.Stamp(DateTimeOffset.UtcNow);
        if (ctx.DryRun) return Outcome.Changed(new MqPublishResult(queue, 0, m.Body.Length, false, now));
        await EnsureQueueAsync(ctx, queue, null).ConfigureAwait(false);
        if (!m.Persistent)
        {
            // No ack awaited: the message is on its way to the server, not known to be stored.
            await Call(ctx, async ct => { await _nats.PublishAsync(subject, m.Body, headers, serializer: Raw, cancellationToken: ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
            return Outcome.Changed(new MqPublishResult(queue, 0, m.Body.Length, false, now));
        }
        var result = new MqPublishResult(queue, 0, m.Body.Length, false, now);
        if (ctx.Runtime.Deferred is { } deferred)
        {
            var acks = await Call(ctx, ct => NatsPubAcks.ForAsync(_nats, ct)).ConfigureAwait(false);
            var (timeout, label) = (_server.Timeout, _server.Label);
            var line = deferred.Add("nats-puback:" + _server.Key, () => acks.WaitAll(timeout, deferred, label));
            await Call(ctx, async ct => { await acks.SendAsync(subject, m.Body, headers, result, line, ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
            return Outcome.Changed(result);
        }
        var reply = await Call(ctx, ct => _nats.RequestAsync(subject, m.Body, headers, Raw, Raw, cancellationToken: ct).AsTask()).ConfigureAwait(false);
        var ack = reply.HasNoResponders ? new NatsPubAck(null, 0, false, 503, "no stream captures this subject") : NatsPubAck.Parse(reply.Data ?? []);
        if (ack.Error is not null)
            return ReshError.Failed($"The JetStream server {_server.Label} refused the message: {ack.Error}.", "Check the stream's limits (resh mq://.../QUEUE.stats) and the server's log.",
                new JsonObject { ["code"] = ack.ErrorCode });
        result.Seq = (long)ack.Seq;
        result.Durable = true;
        return Outcome.Changed(result);
    }

    public async ValueTask<Outcome<MqConsumeResult>> ConsumeAsync(VerbContext ctx, string queue, MqTake take, TimeSpan wait)
    {
        var ackMode = take.Manual ? "manual" : "auto";
        var (consumer, maxDeliveries) = await ConsumerAsync(ctx, queue, take).ConfigureAwait(false);
        if (ctx.DryRun)
        {
            var peek = await PeekAsync(ctx, queue, take.Count).ConfigureAwait(false);
            var list = peek.Value!.Messages;
            return Outcome.Changed(new MqConsumeResult(queue, ackMode, list, list.Count, 0), list.Count > 0);
        }
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(10);
        var dead = 0;
        while (true)
        {
            var (messages, deadNow) = await TakeAsync(ctx, queue, consumer, take, maxDeliveries, take.Count).ConfigureAwait(false);
            dead += deadNow; // messages dead-lettered while waiting are counted, not forgotten by the next look
            if (messages.Count > 0 || clock.Elapsed >= wait)
                return Outcome.Changed(new MqConsumeResult(queue, ackMode, messages, messages.Count, dead), messages.Count > 0 || dead > 0);
            var left = wait - clock.Elapsed;
            await Task.Delay(left < pause ? left : pause, ctx.Cancellation).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(200, pause.TotalMilliseconds * 2));
        }
    }

    /// <summary>One no-wait fetch: up to <paramref name="count"/> messages, acked at once (auto) or left pending with their receipts (manual).</summary>
    async Task<(List<MqMessage> Messages, int Dead)> TakeAsync(VerbContext ctx, string queue, INatsJSConsumer consumer, MqTake take, int maxDeliveries, int count)
    {
        var ackWait = consumer.Info.Config.AckWait;
        return await Call(ctx, async ct =>
        {
            var messages = new List<MqMessage>();
            int dead = 0;
            await foreach (var msg in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = count }, Raw, ct).ConfigureAwait(false))
            {
                var md = msg.Metadata ?? throw new NatsJSException("a delivery without JetStream metadata");
                var deliveries = (int)md.NumDelivered;
                if (maxDeliveries > 0 && deliveries > maxDeliveries && !MqName.IsDeadLetter(queue))
                {
                    await DeadLetterAsync(ctx, queue, md.Sequence.Stream, msg.Data, msg.Headers, deliveries - 1, "max_deliveries", ct).ConfigureAwait(false);
                    await msg.AckTerminateAsync(cancellationToken: ct).ConfigureAwait(false);
                    dead++;
                    continue;
                }
                if (take.Manual)
                {
                    messages.Add(NatsQueueMap.Message(md.Sequence.Stream, msg.Data, msg.Headers, md.Timestamp, deliveries, msg.ReplyTo, DateTimeOffset.UtcNow + ackWait));
                }
                else
                {
                    await msg.AckAsync(new AckOpts { DoubleAck = true }, ct).ConfigureAwait(false);
                    messages.Add(NatsQueueMap.Message(md.Sequence.Stream, msg.Data, msg.Headers, md.Timestamp, deliveries, null, null));
                }
            }
            return (messages, dead);
        }, _server.Timeout * 2).ConfigureAwait(false);
    }

    public async ValueTask<Outcome<MqAckResult>> AckAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts)
    {
        var parsed = receipts.Select(r => NatsQueueMap.ParseReceipt(queue, r)).ToList();
        var stream = await StreamAsync(ctx, queue).ConfigureAwait(false);
        var acked = new List<long>();
        var done = new List<long>();
        foreach (var (subject, seq, _) in parsed)
        {
            if (acked.Contains((long)seq) || done.Contains((long)seq)) continue;
            if (!await HoldsAsync(ctx, stream, seq).ConfigureAwait(false)) { done.Add((long)seq); continue; }
            if (!ctx.DryRun) await SendAckAsync(ctx, subject, "+ACK"u8.ToArray()).ConfigureAwait(false);
            acked.Add((long)seq);
        }
        return Outcome.Changed(new MqAckResult(queue, acked, done), acked.Count > 0);
    }

    public async ValueTask<Outcome<MqNackResult>> NackAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts, bool deadLetter)
    {
        var parsed = receipts.Select(r => NatsQueueMap.ParseReceipt(queue, r)).ToList();
        var stream = await StreamAsync(ctx, queue).ConfigureAwait(false);
        var requeued = new List<long>();
        var dead = new List<long>();
        foreach (var (subject, seq, deliveries) in parsed)
        {
            if (requeued.Contains((long)seq) || dead.Contains((long)seq)) continue;
            if (!await HoldsAsync(ctx, stream, seq).ConfigureAwait(false))
            {
                ctx.Warn($"Message {seq} of {queue} is already done (acked or purged); nothing to nack.");
                continue;
            }
            if (!deadLetter)
            {
                if (!ctx.DryRun) await SendAckAsync(ctx, subject, "-NAK"u8.ToArray()).ConfigureAwait(false);
                requeued.Add((long)seq);
                continue;
            }
            if (!ctx.DryRun)
            {
                var original = await Call(ctx, ct => stream.GetDirectAsync(new StreamMsgGetRequest { Seq = seq }, Raw, ct).AsTask()).ConfigureAwait(false);
                await Call(ctx, async ct => { await DeadLetterAsync(ctx, queue, seq, original.Data, original.Headers, deliveries, "nack", ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
                await SendAckAsync(ctx, subject, "+TERM"u8.ToArray()).ConfigureAwait(false);
            }
            dead.Add((long)seq);
        }
        return Outcome.Changed(new MqNackResult(queue, requeued, dead, MqName.DeadLetterOf(queue)), requeued.Count + dead.Count > 0);
    }

    /// <summary>Acks, nacks or terminates through the receipt's subject, waiting for the server's confirmation (a double ack).</summary>
    async Task SendAckAsync(VerbContext ctx, string subject, byte[] verb) =>
        await Call(ctx, ct => _nats.RequestAsync(subject, verb, null, Raw, Raw, cancellationToken: ct).AsTask()).ConfigureAwait(false);

    /// <summary>True while the stream still holds message <paramref name="seq"/> (work-queue retention drops it once acked).</summary>
    async Task<bool> HoldsAsync(VerbContext ctx, INatsJSStream stream, ulong seq)
    {
        try
        {
            var msg = await Call(ctx, ct => stream.GetDirectAsync(new StreamMsgGetRequest { Seq = seq }, Raw, ct).AsTask()).ConfigureAwait(false);
            return msg.Headers?.Code is not (404 or 408) && !msg.HasNoResponders;
        }
        catch (ReshException ex) when (ex.Error.Code == ErrorCode.NotFound) { return false; }
    }

    /// <summary>Copies a message to QUEUE.dlq (created when missing) with where it came from and why.</summary>
    async Task DeadLetterAsync(VerbContext ctx, string queue, ulong seq, byte[]? data, NatsHeaders? headers, int deliveries, string reason, CancellationToken ct)
    {
        var dlq = MqName.DeadLetterOf(queue);
        await EnsureQueueAsync(ctx, dlq, null).ConfigureAwait(false);
        var h = new NatsHeaders();
        if (headers is not null)
            foreach (var (k, v) in headers)
                if (!k.StartsWith("Nats-", StringComparison.Ordinal) && !k.StartsWith("Resh-Origin-", StringComparison.Ordinal)) h[k] = v;
        h[NatsQueueMap.OriginQueueHeader] = queue;
        h[NatsQueueMap.OriginSeqHeader] = seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        h[NatsQueueMap.OriginDeliveriesHeader] = deliveries.ToString(System.Globalization.CultureInfo.InvariantCulture);
        h[NatsQueueMap.OriginReasonHeader] = reason;
        var reply = await _nats.RequestAsync(NatsQueueMap.SubjectOf(dlq), data ?? [], h, Raw, Raw, cancellationToken: ct).ConfigureAwait(false);
        var ack = reply.HasNoResponders ? new NatsPubAck(null, 0, false, 503, "no stream captures the dead-letter subject") : NatsPubAck.Parse(reply.Data ?? []);
        if (ack.Error is not null)
            throw ReshError.Failed($"Message {seq} could not be moved to {dlq}: {ack.Error}; it stays in {queue}.", "Check the server's limits and log.").ToException();
    }

    public async ValueTask<Outcome<MqPeekResult>> PeekAsync(VerbContext ctx, string queue, int count)
    {
        var stream = await StreamAsync(ctx, queue).ConfigureAwait(false);
        var info = await Call(ctx, ct => _js.GetConsumerAsync(stream.Info.Config.Name!, NatsQueueMap.Consumer, ct).AsTask()).ConfigureAwait(false);
        var messages = new List<MqMessage>();
        var next = Math.Max(info.Info.Delivered.StreamSeq + 1, stream.Info.State.FirstSeq);
        var last = stream.Info.State.LastSeq;
        while (messages.Count < count && next <= last)
        {
            var at = next;
            var msg = await Call(ctx, ct => stream.GetDirectAsync(new StreamMsgGetRequest { Seq = at, NextBySubj = NatsQueueMap.SubjectOf(queue) }, Raw, ct).AsTask()).ConfigureAwait(false);
            if (msg.Headers?.Code is 404 or 408 || msg.Headers is null || !ulong.TryParse(msg.Headers["Nats-Sequence"].ToString(), out var seq)) break;
            var time = DateTimeOffset.TryParse(msg.Headers["Nats-Time-Stamp"].ToString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.UtcNow;
            messages.Add(NatsQueueMap.Message(seq, msg.Data, msg.Headers, time, 0, null, null));
            next = seq + 1;
        }
        return Outcome.Unchanged(new MqPeekResult(queue, messages, (long)info.Info.NumPending));
    }

    public ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string queue, long? limit, MqTake take, TimeSpan maxPause) =>
        MqPolling.SubscribeAsync(ctx, queue, limit, maxPause, async () =>
        {
            await EnsureQueueAsync(ctx, queue, null).ConfigureAwait(false);
            var (consumer, maxDeliveries) = await ConsumerAsync(ctx, queue, take).ConfigureAwait(false);
            return async want => (await TakeAsync(ctx, queue, consumer, take, maxDeliveries, want).ConfigureAwait(false)).Messages;
        });

    public async ValueTask<Outcome<MqRequestResult>> RequestAsync(VerbContext ctx, string queue, MqOutgoing message, TimeSpan timeout)
    {
        CheckSize(ctx, message.Body.Length);
        var headers = NatsQueueMap.HeadersOf(message);
        if (ctx.DryRun) return Outcome.Unchanged(new MqRequestResult(queue, "", "utf-8", 0, null, 0));
        var clock = Stopwatch.StartNew();
        NatsMsg<byte[]>? reply;
        try
        {
            reply = await Call(ctx, async ct =>
            {
                try { return await _nats.RequestAsync(queue, message.Body, headers, Raw, Raw, replyOpts: new NatsSubOpts { Timeout = timeout }, cancellationToken: ct).ConfigureAwait(false); }
                catch (NatsNoRespondersException) { return (NatsMsg<byte[]>?)null; }
            }, timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (ReshException ex) when (ex.Error.Code == ErrorCode.Timeout)
        {
            return ReshError.Timeout($"No reply on {queue} from {_server.Label} within {Resh.Core.Values.DurationValue.Format(timeout)}.",
                "The responder may be slow or gone: raise wait=, or check the service subscribed to the subject.", new JsonObject { ["subject"] = queue });
        }
        if (reply is not { } answer || answer.HasNoResponders)
            return ReshError.Unavailable($"No responder is subscribed to {queue} on {_server.Label}.",
                "Start the service that answers on this subject, or check the subject's spelling.", new JsonObject { ["subject"] = queue });
        var m = NatsQueueMap.Message(0, answer.Data, answer.Headers, DateTimeOffset.UtcNow, 0, null, null);
        return Outcome.Changed(new MqRequestResult(queue, m.Body, m.Encoding, m.Bytes, m.Headers, Math.Round(clock.Elapsed.TotalMilliseconds, 3)));
    }
}
