using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Values;
using Resh.Handles.Mq;

namespace Resh.Handles.Nats.Mq;

/// <summary>The JetStream server's answer to one publish: the stream and sequence, or its error.</summary>
readonly record struct NatsPubAck(string? Stream, ulong Seq, bool Duplicate, int ErrorCode, string? Error)
{
    /// <summary>Parses <c>{"stream":"jobs","seq":12}</c> or <c>{"error":{"code":503,"description":"..."}}</c> without reflection.</summary>
    public static NatsPubAck Parse(ReadOnlySpan<byte> json)
    {
        string? stream = null, error = null;
        ulong seq = 0;
        bool dup = false;
        int code = 0;
        try
        {
            var r = new Utf8JsonReader(json);
            int depth = 0;
            string? prop = null;
            while (r.Read())
            {
                switch (r.TokenType)
                {
                    case JsonTokenType.StartObject: depth++; break;
                    case JsonTokenType.EndObject: depth--; break;
                    case JsonTokenType.PropertyName: prop = r.GetString(); break;
                    case JsonTokenType.String when depth == 1 && prop == "stream": stream = r.GetString(); break;
                    case JsonTokenType.Number when depth == 1 && prop == "seq": seq = r.GetUInt64(); break;
                    case JsonTokenType.True when depth == 1 && prop == "duplicate": dup = true; break;
                    case JsonTokenType.Number when depth == 2 && prop == "code": code = r.GetInt32(); break;
                    case JsonTokenType.String when depth == 2 && prop == "description": error = r.GetString(); break;
                }
            }
        }
        catch (JsonException) { error = "the server's answer was not a JetStream publish ack"; code = 500; }
        if (stream is null && error is null) { error = "the server's answer was not a JetStream publish ack"; code = 500; }
        return new NatsPubAck(stream, seq, dup, code, error);
    }
}

/// <summary>
/// Group commit for NATS publishes in <c>resh batch</c>: each publish goes out at once with its own reply subject under
/// one inbox subscription, and the batch runner's deferred sync waits for all their acks together (in order, one round
/// trip for many), then fills in each answer's seq before the answers are written; a refused message fails its own line only.
/// </summary>
sealed class NatsPubAcks
{
    readonly NatsConnection _nats;
    readonly string _prefix;
    readonly ConcurrentDictionary<long, TaskCompletionSource<NatsPubAck>> _waiting = new();
    readonly List<(long Id, TaskCompletionSource<NatsPubAck> Ack, MqPublishResult Result, long Line)> _pending = [];
    long _next;
    Task? _reader;
    INatsSub<byte[]>? _sub;

    NatsPubAcks(NatsConnection nats)
    {
        _nats = nats;
        // Not under the client's own inbox prefix (_INBOX.): the client routes those through its exact-match inbox table, which a wildcard never matches.
        _prefix = "_RESH.PUBACK." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)) + ".";
    }

    static readonly ConcurrentDictionary<NatsConnection, NatsPubAcks> ByConnection = new();

    public static async Task<NatsPubAcks> ForAsync(NatsConnection nats, CancellationToken ct)
    {
        var acks = ByConnection.GetOrAdd(nats, n => new NatsPubAcks(n));
        if (acks._sub is null)
        {
            acks._sub = await nats.SubscribeCoreAsync(acks._prefix + "*", serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: ct).ConfigureAwait(false);
            acks._reader = Task.Run(acks.ReadAsync, CancellationToken.None);
        }
        return acks;
    }

    async Task ReadAsync()
    {
        await foreach (var msg in _sub!.Msgs.ReadAllAsync().ConfigureAwait(false))
        {
            var dot = msg.Subject.LastIndexOf('.');
            if (!long.TryParse(msg.Subject.AsSpan(dot + 1), out var id) || !_waiting.TryRemove(id, out var tcs)) continue;
            tcs.TrySetResult(msg.HasNoResponders
                ? new NatsPubAck(null, 0, false, 503, "no stream captures this subject")
                : NatsPubAck.Parse(msg.Data ?? []));
        }
    }

    /// <summary>
    /// Sends the message now; its ack is awaited by <see cref="WaitAll"/>, which sets <paramref name="result"/>'s seq, or fails
    /// the batch line whose deferred registration is <paramref name="line"/>.
    /// </summary>
    public async Task SendAsync(string subject, byte[] body, NatsHeaders? headers, MqPublishResult result, long line, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _next);
        var tcs = new TaskCompletionSource<NatsPubAck>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = tcs;
        lock (_pending) _pending.Add((id, tcs, result, line));
        await _nats.PublishAsync(subject, body, headers, _prefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            NatsRawSerializer<byte[]>.Default, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Waits for every outstanding ack; a message the server refused, or did not ack in time, fails its own line.</summary>
    public void WaitAll(TimeSpan timeout, DeferredSync lines, string label)
    {
        List<(long Id, TaskCompletionSource<NatsPubAck> Ack, MqPublishResult Result, long Line)> batch;
        lock (_pending) { batch = [.. _pending]; _pending.Clear(); }
        var deadline = DateTime.UtcNow + timeout;
        foreach (var (id, tcs, result, line) in batch)
        {
            var left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero || !tcs.Task.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                _waiting.TryRemove(id, out _);
                lines.FailLine(line, ReshError.Unavailable($"The JetStream server {label} did not ack this message within {DurationValue.Format(timeout)}: it may have been stored.",
                    "Look at the queue (peek or stats) before publishing it again."));
                continue;
            }
            var ack = tcs.Task.Result;
            if (ack.Error is not null)
            {
                lines.FailLine(line, ReshError.Failed($"The JetStream server {label} refused the message: {ack.Error}.",
                    "Check the stream's limits (resh mq://.../QUEUE.stats) and the server's log.", new JsonObject { ["code"] = ack.ErrorCode }));
                continue;
            }
            result.Seq = (long)ack.Seq;
            result.Durable = true;
        }
    }
}
