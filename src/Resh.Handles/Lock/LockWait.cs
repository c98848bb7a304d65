using System.Diagnostics;

namespace Resh.Handles.Lock;

/// <summary>Takes a lock on any backend, polling while another holder has it, up to wait=.</summary>
public static class LockWait
{
    /// <summary>The longest pause between two tries: a freed lock is seen within this; a server gets at most four tries a second per waiter.</summary>
    static readonly TimeSpan MaxLocalPoll = TimeSpan.FromMilliseconds(50), MaxServerPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Tries at once, then every few milliseconds (doubling, with jitter, up to 50 ms locally, 250 ms on a server) until the lock is free or
    /// <paramref name="wait"/> has passed: then <c>conflict</c> naming the holder.
    /// </summary>
    public static async Task<(LockLease Lease, double WaitedMs)> AcquireAsync(ILockBackend backend, string name, string display, Func<LockLease> make,
        TimeSpan? ttl, TimeSpan wait, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(backend.Server is null ? 5 : 20);
        var max = backend.Server is null ? MaxLocalPoll : MaxServerPoll;
        while (true)
        {
            var attempt = await backend.TryAcquireAsync(name, make(), ttl, ct).ConfigureAwait(false);
            if (attempt.Taken is { } lease) return (lease, Math.Round(clock.Elapsed.TotalMilliseconds, 2));
            var left = wait - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                throw (attempt.Holder is { } holder ? LockStore.Held(name, holder, wait, display)
                    : Resh.Core.Errors.ReshError.Conflict($"The lock {name} stayed taken for the whole wait.", "Retry, or wait longer (wait=5m).")).ToException();
            var jittered = pause * (0.5 + Random.Shared.NextDouble());
            await Task.Delay(jittered < left ? jittered : left, ct).ConfigureAwait(false);
            pause = pause * 2 < max ? pause * 2 : max;
        }
    }
}
