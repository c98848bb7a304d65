using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Values;
using Resh.Handles.Mq;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Mq;

/// <summary>
/// Group commit for Redis publishes in <c>resh batch</c>: each XADD is sent at once without waiting for its reply (the
/// client pipelines them on the one connection), and the batch runner's deferred sync waits for all the replies together,
/// then fills in each answer's seq before the answers are written: no answer says ok before Redis stored its message, and a
/// publish Redis refused fails its own line only.
/// </summary>
internal sealed class RedisPendingAdds
{
    static readonly ConditionalWeakTable<ConnectionMultiplexer, RedisPendingAdds> ByConnection = new();

    readonly List<(Task<RedisResult> Reply, string Queue, MqPublishResult Result, long Line)> _pending = [];

    public static RedisPendingAdds For(ConnectionMultiplexer mux) => ByConnection.GetValue(mux, _ => new RedisPendingAdds());

    /// <summary>An XADD on its way; <paramref name="line"/> is the batch line's deferred registration, to fail that line alone.</summary>
    public void Add(Task<RedisResult> reply, string queue, MqPublishResult result, long line)
    {
        lock (_pending) _pending.Add((reply, queue, result, line));
    }

    /// <summary>Waits for every outstanding reply; a publish Redis refused, or did not answer in time, fails its own line.</summary>
    public void WaitAll(TimeSpan timeout, DeferredSync lines, string label)
    {
        List<(Task<RedisResult> Reply, string Queue, MqPublishResult Result, long Line)> batch;
        lock (_pending) { batch = [.. _pending]; _pending.Clear(); }
        var deadline = DateTime.UtcNow + timeout;
        foreach (var (reply, queue, result, line) in batch)
        {
            var left = deadline - DateTime.UtcNow;
            var details = new JsonObject { ["server"] = label, ["queue"] = queue };
            try
            {
                if (!reply.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                {
                    lines.FailLine(line, ReshError.Unavailable($"{label} did not answer this publish to {queue} within {DurationValue.Format(timeout)}: it may have been stored.",
                        $"Look at the queue (resh mq://SERVER/{queue}.peek) before publishing it again.", details));
                    continue;
                }
            }
            catch (AggregateException e)
            {
                var said = ExceptionTranslation.OneLine(e.InnerException?.Message ?? e.Message);
                details["redis_error"] = said;
                lines.FailLine(line, said.Contains("equal or smaller", StringComparison.Ordinal)
                    ? ReshError.Conflict($"The stream {RedisStreamMap.Prefix}{queue} on {label} holds entries resh did not write (ids beyond 0-SEQ); this message was not stored.",
                        "Another program writes to this stream: use another queue name.", details)
                    : ReshError.Failed($"{label} refused this publish to {queue}: {said}", "The other lines of the batch were answered on their own; fix this one and send it again.", details));
                continue;
            }
            if ((string?)reply.Result is not { } id || !id.StartsWith("0-", StringComparison.Ordinal) || !long.TryParse(id.AsSpan(2), out var seq))
            {
                lines.FailLine(line, ReshError.Conflict($"The queue {queue} on {label} was deleted during the batch: this message was not stored.",
                    $"Create the queue again (resh mq://SERVER/{queue}.create), then publish the message again.", details));
                continue;
            }
            result.Seq = seq;
            result.Durable = true;
        }
    }
}
