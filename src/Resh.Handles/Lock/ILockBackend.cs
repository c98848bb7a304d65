namespace Resh.Handles.Lock;

/// <summary>
/// Where named locks live: the local lease files (<see cref="LockStore"/>) or a server (Redis, in Resh.Handles.Cache).
/// The verbs speak only this interface; each backend keeps its own idea of when a lease is live (a live holder
/// process locally, an unexpired key on a server).
/// </summary>
public interface ILockBackend
{
    /// <summary><c>local</c> or <c>redis</c>.</summary>
    string Kind { get; }

    /// <summary>The server (host:port), null for the local backend.</summary>
    string? Server { get; }

    /// <summary>The lease length when ttl= is not given: null (none) locally, 30 s on a server, which must let a dead holder's lease end.</summary>
    TimeSpan? DefaultTtl { get; }

    /// <summary>Takes the lock with <paramref name="lease"/> when no live lease holds it. Taken is the lease as stored (with its fencing number), else Holder is the live one.</summary>
    Task<LockAttempt> TryAcquireAsync(string name, LockLease lease, TimeSpan? ttl, CancellationToken ct);

    /// <summary>The live lease, or null when the lock is free.</summary>
    Task<LockLease?> ReadAsync(string name, CancellationToken ct);

    /// <summary>Removes the lease if <paramref name="token"/> is its token (null: whoever holds it); atomically. Under dry run only says what it would do.</summary>
    Task<LockReleaseOutcome> ReleaseAsync(string name, string? token, bool dryRun, CancellationToken ct);

    /// <summary>Extends a lease this token holds to <paramref name="ttl"/> from now; false when the token no longer holds it (expired, broken, taken over).</summary>
    Task<bool> RenewAsync(string name, string token, TimeSpan ttl, CancellationToken ct);

    /// <summary>Records the command of run as a holder too (locally the lock then lives as long as the command does).</summary>
    Task AdoptChildAsync(string name, string token, int childPid, CancellationToken ct);

    /// <summary>Every lock name the backend knows (held, and locally also used before).</summary>
    Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct);
}

public sealed record LockAttempt(LockLease? Taken, LockLease? Holder);

public enum LockReleaseState { NotHeld, WrongToken, Released }

public sealed record LockReleaseOutcome(LockReleaseState State, LockLease? Holder);
