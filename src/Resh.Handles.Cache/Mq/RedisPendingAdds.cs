using System.Runtime.CompilerServices;
using Resh.Handles.Mq;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Mq;

/// <summary>
/// Group commit for Redis publishes in <c>resh batch</c>: each XADD is sent at once without waiting for its reply (the
/// client pipelines them on the one connection), and the batch runner's deferred sync waits for all the replies together,
/// then fills in each answer's seq before the answers are written: no answer says ok before Redis stored its message.
/// </summary>
internal sealed class RedisPendingAdds
{
    static readonly ConditionalWeakTable<ConnectionMultiplexer, RedisPendingAdds> ByConnection = new();

    readonly List<(Task<RedisResult> Reply, string Queue, MqPublishResult Result)> _pending = [];

    public static RedisPendingAdds For(ConnectionMultiplexer mux) => ByConnection.GetValue(mux, _ => new RedisPendingAdds());

    public void Add(Task<RedisResult> reply, string queue, MqPublishResult result)
    {
        lock (_pending) _pending.Add((reply, queue, result));
    }

    /// <summary>Waits for every outstanding reply; throws IOException (the batch's sync failure) when one is missing or refused.</summary>
    public void WaitAll(TimeSpan timeout)
    {
        List<(Task<RedisResult> Reply, string Queue, MqPublishResult Result)> batch;
        lock (_pending) { batch = [.. _pending]; _pending.Clear(); }
        var deadline = DateTime.UtcNow + timeout;
        string? failure = null;
        foreach (var (reply, queue, result) in batch)
        {
            var left = deadline - DateTime.UtcNow;
            try
            {
                if (!reply.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                {
                    failure ??= $"Redis did not answer a publish of this batch within {Resh.Core.Values.DurationValue.Format(timeout)}";
                    continue;
                }
            }
            catch (AggregateException e)
            {
                failure ??= $"Redis refused a publish to {queue}: {Resh.Core.Errors.ExceptionTranslation.OneLine(e.InnerException?.Message ?? e.Message)}";
                continue;
            }
            if ((string?)reply.Result is not { } id || !id.StartsWith("0-", StringComparison.Ordinal) || !long.TryParse(id.AsSpan(2), out var seq))
            {
                failure ??= $"the queue {queue} was deleted during the batch (or holds entries resh did not write); its message was not stored";
                continue;
            }
            result.Seq = seq;
            result.Durable = true;
        }
        if (failure is not null) throw new IOException(failure);
    }
}
