using Resh.Core.Errors;

namespace Resh.Core.Execution;

/// <summary>
/// <c>--retry N</c>: re-run a call whose error is transient, with exponential backoff and full jitter (a random wait
/// between zero and <c>min(max_delay, delay × 2^(retry-1))</c>; a server's Retry-After wins, up to max_delay). A few
/// lines instead of a resilience library: every package costs start-up on every resh call under Native AOT.
/// </summary>
public sealed record RetryPolicy(int Retries, TimeSpan Delay, TimeSpan MaxDelay)
{
    public const int MaxRetries = 10;
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>The policy the flags ask for, or null when there is none (no --retry, or --retry 0).</summary>
    public static RetryPolicy? From(int? retries, TimeSpan? delay, TimeSpan? maxDelay) =>
        retries is int n && n > 0 ? new RetryPolicy(n, delay ?? DefaultDelay, maxDelay ?? DefaultMaxDelay) : null;

    /// <summary>
    /// Whether a call that failed with <paramref name="error"/> may run again. Only transient errors are retried, never
    /// `usage`, `not_found`, `permission_denied`, `unsupported`, `partial` (a fleet retries its hosts itself) or
    /// `interrupted`, whatever a backend says. A mutating verb that is not idempotent (<see cref="Model.VerbInfo.Idempotent"/>)
    /// runs again only when nothing reached the backend (<see cref="ReshError.NotSent"/>): a POST whose connection broke
    /// after the body went out may have been done.
    /// </summary>
    public static bool MayRetry(ReshError error, Model.VerbInfo verb) => MayRetry(error, verb.Effect != Model.Effect.Read && !verb.Idempotent);

    /// <summary>See <see cref="MayRetry(ReshError, Model.VerbInfo)"/>; <paramref name="mutating"/>: a mutating verb that is not idempotent.</summary>
    public static bool MayRetry(ReshError error, bool mutating) =>
        error.Transient
        && error.Code is not (ErrorCode.Usage or ErrorCode.NotFound or ErrorCode.PermissionDenied or ErrorCode.Unsupported
            or ErrorCode.Partial or ErrorCode.Interrupted)
        && (!mutating || error.NotSent);

    /// <summary>The wait before retry number <paramref name="retry"/> (1 = the first retry).</summary>
    public TimeSpan Backoff(int retry, ReshError error)
    {
        if (error.RetryAfter is { } asked) return asked <= TimeSpan.Zero ? TimeSpan.Zero : asked < MaxDelay ? asked : MaxDelay;
        var cap = Delay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        cap = Math.Min(cap, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Round(Random.Shared.NextDouble() * cap));
    }
}
