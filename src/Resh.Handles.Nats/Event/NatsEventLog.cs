using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Event;
using Resh.Handles.Nats.Mq;

namespace Resh.Handles.Nats.Event;

/// <summary>
/// event:// on NATS JetStream (<c>[events] backend = "nats"</c>, or an <c>[events] url</c>): one stream RESH_EVENTS
/// on the subjects <c>resh.events.&gt;</c>; topic deploy.created is subject resh.events.deploy.created, and topic
/// patterns are subject filters as they are (they are NATS-style). An event's body is its JSON without seq: seq is the
/// stream sequence. Retention is the stream's: [events] max_age and max_size are its MaxAge and MaxBytes (set again
/// when they change). emit is a publish answered after the server's ack (Nats-Msg-Id is the event id, so a retried
/// publish is stored once); list and topics read through ordered consumers and the stream's subject counts; serve
/// shares one durable consumer per server name across hosts.
/// </summary>
public sealed class NatsEventLog : IEventLog
{
    public const string StreamName = "RESH_EVENTS";
    public const string Prefix = "resh.events.";
    const string Description = "resh event trail (event://)";
    static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    /// <summary>Streams this process already made sure of (with which retention).</summary>
    static readonly ConcurrentDictionary<string, bool> Ensured = new(StringComparer.Ordinal);

    readonly NatsServer _server;
    readonly NatsConnection _nats;
    readonly NatsJSContext _js;
    readonly EventSettings _settings;

    NatsEventLog(NatsServer server, NatsConnection nats, NatsJSContext js, EventSettings settings)
    {
        _server = server;
        _nats = nats;
        _js = js;
        _settings = settings;
    }

    public string Kind => "nats";

    /// <summary>The provider <see cref="EventLogs.NatsProvider"/> calls: the [events] table's server, connected once per process.</summary>
    public static async Task<IEventLog> ConnectAsync(VerbContext ctx, EventSettings settings)
    {
        var table = settings.Table!;
        var text = settings.Url!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.Scheme is not ("nats" or "tls"))
            throw ReshError.Usage($"[events] url = \"{EventTopic.Clip(text)}\" is not a NATS url.", "Write url = \"nats://HOST:4222\" (or tls://HOST:4222).").ToException();
        if (uri.UserInfo.Contains(':'))
            throw ReshError.Usage("[events] url carries a password.", "Put it in [events] password as \"secret:NAME\", \"env:VAR\" or \"file:PATH\".").ToException();
        var user = table["user"] is JsonValue uv && uv.TryGetValue<string>(out var us) ? us : uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo) : null;
        var endpoint = new Endpoint("event", null, uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? null : uri.Port, user, table);
        var server = NatsConnections.ServerOf(ctx, endpoint, "[events]", "[events]", () => ctx.GetConfigSecret(table, "password", "events"));
        try
        {
            var (nats, js) = await NatsConnections.GetAsync(server, ctx.Cancellation).ConfigureAwait(false);
            return new NatsEventLog(server, nats, js, settings);
        }
        catch (Exception e) when (NatsErrors.IsCaught(e) && !ctx.Cancellation.IsCancellationRequested)
        {
            throw NatsErrors.Translate(e is OperationCanceledException ? new TimeoutException() : e, server, e is OperationCanceledException).ToException();
        }
    }

    public static string SubjectOf(string? pattern) => Prefix + (pattern ?? ">");

    /// <summary>Runs one server call, turning client exceptions into envelopes (and a hang into a timeout).</summary>
    Task<T> Call<T>(VerbContext ctx, Func<CancellationToken, Task<T>> call, TimeSpan? limit = null) => NatsErrors.Call(ctx, _server, call, limit);

    StreamConfig ConfigOf() => new(StreamName, [Prefix + ">"])
    {
        Description = Description,
        Retention = StreamConfigRetention.Limits,
        Storage = StreamConfigStorage.File,
        Discard = StreamConfigDiscard.Old,
        MaxAge = _settings.MaxAge,
        MaxBytes = _settings.MaxSize,
        AllowDirect = true,
    };

    /// <summary>The stream, or null when there is none yet; one not made by resh for events is a conflict.</summary>
    async Task<INatsJSStream?> FindAsync(VerbContext ctx)
    {
        var stream = await Call(ctx, async ct =>
        {
            try { return await _js.GetStreamAsync(StreamName, cancellationToken: ct).ConfigureAwait(false); }
            catch (NatsJSApiException e) when (e.Error.Code == 404) { return null; }
        }).ConfigureAwait(false);
        if (stream is not null && (stream.Info.Config.Description != Description || stream.Info.Config.Subjects is not { Count: 1 } s || s.First() != Prefix + ">"))
            throw ReshError.Conflict($"The stream {StreamName} on {_server.Label} was not made by resh for events (its subjects or description differ).",
                "Remove or rename that stream, or point [events] url at another server.", new JsonObject { ["stream"] = StreamName }).ToException();
        return stream;
    }

    /// <summary>The stream, made when missing and its retention brought to [events] max_age and max_size (once per process).</summary>
    async Task<INatsJSStream> EnsureAsync(VerbContext ctx)
    {
        var key = $"{_server.Key}|{_settings.MaxAge.Ticks}|{_settings.MaxSize}";
        var stream = await FindAsync(ctx).ConfigureAwait(false);
        if (stream is null)
        {
            try { stream = await Call(ctx, ct => _js.CreateStreamAsync(ConfigOf(), ct).AsTask()).ConfigureAwait(false); }
            catch (ReshException ex) when (ex.Error.Code == ErrorCode.Conflict) { stream = await FindAsync(ctx).ConfigureAwait(false); } // another host made it first
            Ensured[key] = true;
            return stream!;
        }
        if (!Ensured.ContainsKey(key) && (stream.Info.Config.MaxAge != _settings.MaxAge || stream.Info.Config.MaxBytes != _settings.MaxSize))
        {
            var config = stream.Info.Config;
            config.MaxAge = _settings.MaxAge;
            config.MaxBytes = _settings.MaxSize;
            stream = await Call(ctx, ct => _js.UpdateStreamAsync(config, ct).AsTask()).ConfigureAwait(false);
        }
        Ensured[key] = true;
        return stream;
    }

    public async Task<(EventRecord Record, int Dropped)> AppendAsync(VerbContext ctx, Func<long, EventRecord> make, bool durable, EventSettings settings)
    {
        await EnsureAsync(ctx).ConfigureAwait(false);
        var rec = make(0);
        var body = rec.EncodeBody();
        var max = _nats.ServerInfo?.MaxPayload ?? 1024 * 1024;
        if (body.Length > max)
            throw ReshError.Usage($"The event ({Resh.Core.Values.SizeValue.Format(body.Length)}) is larger than {_server.Label} accepts (max_payload {Resh.Core.Values.SizeValue.Format(max)}).",
                "Emit a reference (a path or URL) to the data instead, or raise max_payload in the server's configuration.",
                new JsonObject { ["size"] = body.Length, ["max_payload"] = max }).ToException();
        var subject = SubjectOf(rec.Topic);
        var headers = new NatsHeaders { ["Nats-Msg-Id"] = rec.Id };
        if (!durable)
        {
            await Call(ctx, async ct => { await _nats.PublishAsync(subject, body, headers, serializer: Raw, cancellationToken: ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
            return (rec, 0);
        }
        var reply = await Call(ctx, ct => _nats.RequestAsync(subject, body, headers, Raw, Raw, cancellationToken: ct).AsTask()).ConfigureAwait(false);
        var ack = reply.HasNoResponders ? new NatsPubAck(null, 0, false, 503, "no stream captures this subject") : NatsPubAck.Parse(reply.Data ?? []);
        if (ack.Error is not null)
            throw ReshError.Failed($"The JetStream server {_server.Label} refused the event: {ack.Error}.", "Check the stream's limits (max_size, max_payload) and the server's log.",
                new JsonObject { ["code"] = ack.ErrorCode }).ToException();
        return (rec with { Seq = (long)ack.Seq }, 0);
    }

    public async Task CheckAsync(VerbContext ctx) => await FindAsync(ctx).ConfigureAwait(false);

    public async Task<long> LastSeqAsync(VerbContext ctx) =>
        await FindAsync(ctx).ConfigureAwait(false) is { } stream ? (long)stream.Info.State.LastSeq : 0;

    /// <summary>The event of a delivered message (its topic is its subject's); null (a warning) when the body is not an event.</summary>
    static EventRecord? Decode(string subject, ulong seq, byte[]? data, Action<string> warn)
    {
        var rec = subject.StartsWith(Prefix, StringComparison.Ordinal) ? EventRecord.FromBody((long)seq, data ?? []) : null;
        if (rec is null)
        {
            warn($"Event trail: message {seq} of stream {StreamName} ({EventTopic.Clip(subject)}) is not an event (published outside resh?) and was skipped.");
            return null;
        }
        return rec with { Topic = subject[Prefix.Length..] };
    }

    public async Task ReadAsync(VerbContext ctx, string? pattern, long after, long? sinceMs, Func<EventRecord, bool> onEvent)
    {
        if (await FindAsync(ctx).ConfigureAwait(false) is not { } stream || stream.Info.State.LastSeq <= (ulong)after) return;
        var opts = new NatsJSOrderedConsumerOpts { FilterSubjects = [SubjectOf(pattern)] };
        opts = sinceMs is { } since
            ? opts with { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime, OptStartTime = DateTimeOffset.FromUnixTimeMilliseconds(since) }
            : opts with { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence, OptStartSeq = (ulong)after + 1 };
        var consumer = await Call(ctx, ct => _js.CreateOrderedConsumerAsync(StreamName, opts, ct).AsTask()).ConfigureAwait(false);
        var warned = new HashSet<string>(StringComparer.Ordinal);
        void Warn(string w) { if (warned.Add(w)) ctx.Warn(w); }
        var done = false;
        while (!done)
        {
            done = await Call(ctx, async ct =>
            {
                int got = 0;
                ulong pending = 0;
                await foreach (var msg in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = 500 }, Raw, ct).ConfigureAwait(false))
                {
                    if (msg.Metadata is not { } md) continue;
                    got++;
                    pending = md.NumPending;
                    if ((long)md.Sequence.Stream <= after) continue;
                    if (Decode(msg.Subject, md.Sequence.Stream, msg.Data, Warn) is not { } rec) continue;
                    if (!onEvent(rec)) return true;
                }
                return got == 0 || pending == 0;
            }, _server.Timeout * 2).ConfigureAwait(false);
        }
    }

    public async Task FollowAsync(VerbContext ctx, string? pattern, long? after, StrongBox<long> last, TimeSpan maxPause, Func<EventRecord, bool> onEvent)
    {
        var stream = await EnsureAsync(ctx).ConfigureAwait(false);
        var start = after ?? (long)stream.Info.State.LastSeq;
        last.Value = start;
        if (ctx.DryRun)
        {
            await ReadAsync(ctx, pattern, start, null, rec => { last.Value = rec.Seq; return onEvent(rec); }).ConfigureAwait(false);
            return;
        }
        var opts = new NatsJSOrderedConsumerOpts
        {
            FilterSubjects = [SubjectOf(pattern)],
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = (ulong)start + 1,
        };
        var consumer = await Call(ctx, ct => _js.CreateOrderedConsumerAsync(StreamName, opts, ct).AsTask()).ConfigureAwait(false);
        var warned = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var msg in consumer.ConsumeAsync(Raw, new NatsJSConsumeOpts { MaxMsgs = 100 }, ctx.Cancellation).ConfigureAwait(false))
            {
                if (msg.Metadata is not { } md) continue;
                last.Value = Math.Max(last.Value, (long)md.Sequence.Stream);
                if (Decode(msg.Subject, md.Sequence.Stream, msg.Data, w => { if (warned.Add(w)) ctx.Warn(w); }) is not { } rec) continue;
                if (!onEvent(rec)) return;
            }
            // The client ends the enumeration quietly when the token is cancelled: say why it ended (--timeout, Ctrl-C),
            // or follow would report a normal end by count.
            ctx.Cancellation.ThrowIfCancellationRequested();
        }
        catch (Exception e) when (e is not ReshException && e is not OperationCanceledException && NatsErrors.IsCaught(e))
        {
            throw NatsErrors.Translate(e, _server, false).ToException();
        }
    }

    public async Task<EventTopicsResult> TopicsAsync(VerbContext ctx, string? pattern)
    {
        if (await FindAsync(ctx).ConfigureAwait(false) is null) return new EventTopicsResult([], 0, 0, 0);
        var stream = await Call(ctx, ct => _js.GetStreamAsync(StreamName, new StreamInfoRequest { SubjectsFilter = SubjectOf(pattern) }, ct).AsTask()).ConfigureAwait(false);
        var state = stream.Info.State;
        var list = new List<EventTopicInfo>();
        foreach (var (subject, count) in (state.Subjects ?? new Dictionary<string, long>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!subject.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            var first = await Call(ctx, ct => stream.GetDirectAsync(new StreamMsgGetRequest { Seq = state.FirstSeq, NextBySubj = subject }, Raw, ct).AsTask()).ConfigureAwait(false);
            var newest = await Call(ctx, ct => stream.GetDirectAsync(new StreamMsgGetRequest { LastBySubj = subject }, Raw, ct).AsTask()).ConfigureAwait(false);
            list.Add(new EventTopicInfo(subject[Prefix.Length..], (long)count, TimeOf(first), TimeOf(newest), SeqOf(newest)));
        }
        return new EventTopicsResult(list, (long)state.Messages, 0, (long)state.Bytes);
    }

    static long SeqOf(NatsMsg<byte[]> msg) =>
        msg.Headers is { } h && long.TryParse(h["Nats-Sequence"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : 0;

    /// <summary>The event's own time (the emitter's), else the server's receive time.</summary>
    static string TimeOf(NatsMsg<byte[]> msg)
    {
        if (EventRecord.FromBody(0, msg.Data ?? []) is { } rec) return EventRecord.Stamp(rec.TimeMs);
        return msg.Headers is { } h && DateTimeOffset.TryParse(h["Nats-Time-Stamp"].ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? EventRecord.Stamp(t.ToUnixTimeMilliseconds()) : "";
    }

    /// <summary>The durable consumer of a rule server: resh-serve-NAME (`.` is not allowed in consumer names).</summary>
    public static string ConsumerOf(string name) => "resh-serve-" + name.Replace('.', '_');

    public async Task<IEventFeed> FeedAsync(VerbContext ctx, string name, TimeSpan runTimeout)
    {
        await EnsureAsync(ctx).ConfigureAwait(false);
        var consumerName = ConsumerOf(name);
        if (ctx.DryRun)
        {
            // Nothing is taken from the shared consumer: the events after its ack floor are read as they are.
            var floor = await Call(ctx, async ct =>
            {
                try { return (long)(await _js.GetConsumerAsync(StreamName, consumerName, ct).ConfigureAwait(false)).Info.AckFloor.StreamSeq; }
                catch (NatsJSApiException e) when (e.Error.Code == 404) { return 0L; }
            }).ConfigureAwait(false);
            return new PeekFeed(this, floor);
        }
        var config = new ConsumerConfig(consumerName)
        {
            DurableName = consumerName,
            Description = $"resh event serve {name}",
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = runTimeout + TimeSpan.FromSeconds(30),
            MaxDeliver = -1,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            FilterSubject = Prefix + ">",
        };
        var consumer = await Call(ctx, ct => _js.CreateOrUpdateConsumerAsync(StreamName, config, ct).AsTask()).ConfigureAwait(false);
        return new ConsumerFeed(this, consumer, (long)consumer.Info.AckFloor.StreamSeq);
    }

    /// <summary>serve on the shared durable consumer: one event at a time (so hosts share the work evenly), acked after its rules ran.</summary>
    sealed class ConsumerFeed(NatsEventLog log, INatsJSConsumer consumer, long after) : IEventFeed
    {
        NatsJSMsg<byte[]>? _inflight;

        public long After { get; private set; } = after;

        public async Task<IReadOnlyList<EventRecord>> NextAsync(VerbContext ctx, Action<string> warn)
        {
            while (true)
            {
                var msg = await log.Call(ctx, async ct =>
                {
                    await foreach (var m in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = 1 }, Raw, ct).ConfigureAwait(false)) return (NatsJSMsg<byte[]>?)m;
                    return null;
                }, log._server.Timeout * 2).ConfigureAwait(false);
                if (msg is not { Metadata: { } md } m2) return [];
                if (Decode(m2.Subject, md.Sequence.Stream, m2.Data, warn) is { } rec)
                {
                    _inflight = m2;
                    return [rec];
                }
                // Not an event: acked so it is not delivered again.
                await log.Call(ctx, async ct => { await m2.AckAsync(new AckOpts { DoubleAck = true }, ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
            }
        }

        public async Task DoneAsync(VerbContext ctx, EventRecord rec)
        {
            if (_inflight is not { } msg) return;
            await log.Call(ctx, async ct => { await msg.AckAsync(new AckOpts { DoubleAck = true }, ct).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
            _inflight = null;
            After = rec.Seq;
        }

        /// <summary>An event taken but not done (serve stopped mid-run) goes back at once rather than after ack_wait.</summary>
        public void Dispose()
        {
            if (_inflight is not { } msg) return;
            _inflight = null;
            try { msg.NakAsync().AsTask().Wait(TimeSpan.FromSeconds(2)); }
            catch (Exception e) when (e is AggregateException || NatsErrors.IsCaught(e)) { }
        }
    }

    /// <summary>serve --dry-run on nats: the events after the consumer's ack floor, read once, nothing acked.</summary>
    sealed class PeekFeed(NatsEventLog log, long after) : IEventFeed
    {
        bool _read;

        public long After => after;

        public async Task<IReadOnlyList<EventRecord>> NextAsync(VerbContext ctx, Action<string> warn)
        {
            if (_read) return [];
            _read = true;
            var list = new List<EventRecord>();
            await log.ReadAsync(ctx, null, after, null, rec => { list.Add(rec); return list.Count < 100; }).ConfigureAwait(false);
            return list;
        }

        public Task DoneAsync(VerbContext ctx, EventRecord rec) => Task.CompletedTask;

        public void Dispose() { }
    }
}
