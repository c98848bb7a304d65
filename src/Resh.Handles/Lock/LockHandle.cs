using Resh.Core.Model;

namespace Resh.Handles.Lock;

/// <summary>lock:// — named locks so two runs never collide: run a command under a lock (like flock), or acquire and release.</summary>
public static class LockHandle
{
    public static HandleInfo Create() => new("lock",
        "Named locks: run a command while holding one (like flock), acquire and release across calls, status and list.",
        "The lock's name (lock:///deploy or lock://deploy): letters, digits, `.`, `_`, `-`; empty for lock://.list.",
        [
            LockRun.Verb,
            LockAcquire.Verb,
            LockRelease.Verb,
            LockStatus.Verb,
            LockList.Verb,
        ])
    {
        Notes = "Local backend: leases in the state dir (locks/named/, 0600), shared by every resh of the same user on this machine. "
            + "A lease lasts while its holder process lives (and, with ttl=, until it expires): a holder killed with SIGKILL frees the lock at once. "
            + "Redis and etcd backends for locks across hosts are not built yet.",
    };
}
