using System.Buffers;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Secrets;

namespace Resh.Surfaces.Serve;

/// <summary>
/// The events of a streaming verb called over REST with <c>Accept: application/x-ndjson</c>: each event (a line of
/// `tail follow`, a host's envelope of a fleet call) becomes one NDJSON line, masked like the envelope and tagged with
/// the request's id when it gave one, queued for the response writer. The queue holds at most <see cref="MaxQueued"/>
/// lines and <see cref="MaxQueuedBytes"/> bytes as written (an event's line is cut to fit; one longer envelope may be queued alone): a verb that emits faster than its client reads waits (as the CLI waits on a full stdout pipe), so a slow
/// reader never makes the server hold more; a reader that stops altogether ends the call at the server's write timeout.
/// </summary>
public sealed class NdjsonCallStream : IEventSink
{
    /// <summary>Lines queued at most between the verb and the connection.</summary>
    public const int MaxQueued = 64;

    /// <summary>Bytes queued at most (s41 attacker #7: a bound in lines alone let big lines pin ~64 MiB per stream).</summary>
    public const int MaxQueuedBytes = 1 << 20;

    static long _peakQueuedBytes;

    /// <summary>The most bytes (as written: JSON-escaped) one stream of this process has had queued at once: /metrics's resh_rest_stream_queue_peak_bytes.</summary>
    public static long PeakQueuedBytes => Interlocked.Read(ref _peakQueuedBytes);

    readonly Channel<byte[]> _lines = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    readonly Lock _gate = new();
    int _queued;
    long _queuedBytes;
    // Completed when room is made (a line sent) or the call stops; a new one for the next wait. No thread waits on it.
    TaskCompletionSource? _room;
    readonly CancellationToken _stopped;
    JsonNode? _id;
    bool _hasId;
    long _emitted, _dropped;

    /// <param name="stopped">The call's own token: once cancelled (client gone, write failed), events are no longer queued.</param>
    public NdjsonCallStream(CancellationToken stopped)
    {
        _stopped = stopped;
        // A verb waiting for room wakes when the call ends.
        stopped.Register(WakeWaiters);
    }

    void WakeWaiters()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            room = _room;
            _room = null;
        }
        room?.TrySetResult();
    }

    /// <summary>Set when the call turned out to be a streaming verb: only then is the answer NDJSON.</summary>
    public bool Attached { get; private set; }

    public long Emitted => Interlocked.Read(ref _emitted);

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Attaches to a call of a streaming verb, with the request's id (events carry it first, as the envelope does).</summary>
    public IEventSink Attach(JsonNode? id)
    {
        _id = id?.DeepClone();
        _hasId = id is not null;
        Attached = true;
        return this;
    }

    public ChannelReader<byte[]> Reader => _lines.Reader;

    /// <summary>Called by the writer after each line it sent: room for more.</summary>
    public void Sent(byte[] line)
    {
        lock (_gate)
        {
            _queued--;
            _queuedBytes -= line.Length;
        }
        WakeWaiters();
    }

    /// <summary>
    /// Takes room for a line of <paramref name="size"/> bytes, at once when it fits (or the queue is empty: a line longer
    /// than the bound goes alone); else the wait for room to be made, which no thread sits in (s41 review: Monitor.Wait
    /// parked a pool thread per slow reader). False when the call stopped.
    /// </summary>
    bool TryTakeRoom(int size, out Task? wait)
    {
        lock (_gate)
        {
            wait = null;
            if (_stopped.IsCancellationRequested) return false;
            if (_queued == 0 || (_queued < MaxQueued && _queuedBytes + size <= MaxQueuedBytes))
            {
                _queued++;
                _queuedBytes += size;
                for (var peak = Interlocked.Read(ref _peakQueuedBytes); _queuedBytes > peak; peak = Interlocked.Read(ref _peakQueuedBytes))
                    if (Interlocked.CompareExchange(ref _peakQueuedBytes, _queuedBytes, peak) == peak) break;
                return true;
            }
            wait = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            return false;
        }
    }

    async ValueTask<bool> TakeRoomAsync(int size, CancellationToken ct = default)
    {
        while (true)
        {
            if (TryTakeRoom(size, out var wait)) return true;
            if (wait is null) return false;
            try { await wait.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return false; }
        }
    }

    /// <summary>The verb has ended: no more lines (the writer sends the envelope after what is queued).</summary>
    public void Complete() => _lines.Writer.TryComplete();

    /// <summary>An event from a verb that has no await point (most): when the queue is full, its thread waits for room.</summary>
    public void Emit(string eventName, JsonObject fields)
    {
        var line = EventLine(eventName, fields);
        var room = TakeRoomAsync(line.Length);
        Enqueue(line, room.IsCompleted ? room.Result : room.AsTask().GetAwaiter().GetResult());
    }

    /// <summary>An event from a verb that awaits it (file.tail follow): a full queue holds the verb, not a thread.</summary>
    public async ValueTask EmitAsync(string eventName, JsonObject fields, CancellationToken ct = default)
    {
        var line = EventLine(eventName, fields);
        Enqueue(line, await TakeRoomAsync(line.Length, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// The event's NDJSON line, at most <see cref="MaxQueuedBytes"/> as written: a longer one (a followed line of control
    /// bytes, each escaped to six: s43 attacker F3) has its longest string fields cut until it fits, and says `cut: true`,
    /// so the bound holds in the bytes queued, not in the characters the verb read.
    /// </summary>
    byte[] EventLine(string eventName, JsonObject fields)
    {
        var line = Line();
        for (var tries = 0; line.Length > MaxQueuedBytes && tries < 16 && CutLongest(fields, line.Length - MaxQueuedBytes); tries++)
        {
            fields["cut"] = true;
            line = Line();
        }
        return line;

        byte[] Line()
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            EnvelopeJson.WriteEvent(buffer, eventName, fields, _id, _hasId);
            return Masked(buffer.WrittenSpan, null);
        }
    }

    /// <summary>Cuts the longest string field by about <paramref name="excess"/> bytes as written (and a little more); false when there is none to cut.</summary>
    static bool CutLongest(JsonObject fields, int excess)
    {
        string? key = null, value = null;
        foreach (var (k, v) in fields)
            if (v is JsonValue jv && jv.GetValueKind() == System.Text.Json.JsonValueKind.String && jv.GetValue<string>() is { Length: > 0 } text && (value is null || text.Length > value.Length))
                (key, value) = (k, text);
        if (key is null || value is null) return false;
        var written = System.Text.Json.JsonEncodedText.Encode(value, EnvelopeJson.WriterOptions(false).Encoder).EncodedUtf8Bytes.Length;
        var perChar = Math.Max(1.0, written / (double)value.Length);
        var keep = value.Length - (int)Math.Ceiling((excess + 64) / perChar);
        if (keep > 0 && char.IsHighSurrogate(value[keep - 1])) keep--;
        fields[key] = keep > 0 ? value[..keep] : "";
        return true;
    }

    public void EmitEnvelope(Envelope envelope)
    {
        var env = _hasId ? envelope.With(id: _id, hasId: true) : envelope;
        var buffer = new ArrayBufferWriter<byte>(1024);
        EnvelopeJson.Write(buffer, env, indented: false);
        var line = Masked(buffer.WrittenSpan, env.Revealed);
        var room = TakeRoomAsync(line.Length);
        Enqueue(line, room.IsCompleted ? room.Result : room.AsTask().GetAwaiter().GetResult());
    }

    static byte[] Masked(ReadOnlySpan<byte> json, IReadOnlyCollection<string>? revealed)
    {
        var masked = SecretRedactor.ScrubJson(json, EnvelopeJson.WriterOptions(false), revealed); // also when nothing is registered: Authorization/Bearer text
        var body = masked is null ? json : masked;
        var line = new byte[body.Length + 1];
        body.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <param name="room">Whether room was taken for it (the verb waited for the reader: it slows down to the client's pace instead of the queue growing).</param>
    void Enqueue(byte[] line, bool room)
    {
        if (!room)
        {
            Interlocked.Increment(ref _dropped); // the call is ending (its client left): nobody will read the line
            return;
        }
        if (_lines.Writer.TryWrite(line)) Interlocked.Increment(ref _emitted);
        else
        {
            Sent(line);
            Interlocked.Increment(ref _dropped); // emitted after the verb's end (a late callback): the envelope is already out
        }
    }
}
