namespace Resh.Handles.Cache.Redis;

/// <summary>
/// The reply bound of one pooled Redis connection: max_value of the call running on it (set before each call), and the
/// refusal that ended it, if any. <see cref="Refused"/> is cancelled at the refusal, so the call waiting on the reply
/// ends at once instead of at its timeout; a refused connection is dropped from the pool.
/// </summary>
internal sealed class RedisReplyLimit
{
    readonly CancellationTokenSource _refused = new();

    public long MaxValue { get; set; } = CacheArgs.DefaultMaxValue;
    public CacheReplyException? Refusal { get; private set; }
    public CancellationToken Refused => _refused.Token;

    public void Refuse(CacheReplyException e)
    {
        Refusal ??= e;
        try { _refused.Cancel(); } catch (ObjectDisposedException) { }
    }
}
