using Resh.Core.Model;

namespace Resh.Handles.Lock;

/// <summary>lock:// — named locks so two runs never collide: run a command under a lock (like flock), or acquire and release.</summary>
public static class LockHandle
{
    public static HandleInfo Create() => new("lock",
        "Named locks: run a command while holding one (like flock), acquire and release across calls, status and list.",
        "The lock's name, and where it lives: lock://deploy (always local), lock:///deploy ([lock.default] if configured, else local), "
            + "lock://PROFILE/deploy (the [lock.PROFILE] table), lock://HOST:PORT/deploy (a Redis server without password). "
            + "Names: letters, digits, `.`, `_`, `-`, no `..`. list takes only the server: lock://.list, lock://PROFILE.list.",
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
            + "Redis backend, for locks across hosts: a [lock.NAME] table with url = \"redis://HOST:6379\" (or rediss:// for TLS), user, password (secret: env:VAR, file:PATH, secret:NAME), tls, ca, db, timeout (per command, default 5s); "
            + "[lock.default] makes it the server of lock:///NAME. A lease is a key resh:lock:{NAME} (braces included: one cluster slot for both keys; SET NX PX, value: token and holder) with a fencing counter resh:fence:{NAME} "
            + "(INCR, returned as fence: larger for every acquire); release and renewal compare the token atomically (Lua). A Redis lease always has a TTL (ttl=, default 30s): "
            + "run renews it every ttl/3 while the command runs, and a holder killed with SIGKILL frees the lock when its TTL ends, not before. "
            + "etcd backend (v3, 3.4 or later, through its JSON gateway): a [lock.NAME] table with url = \"http://HOST:2379\" (https:// with ca or tls = \"insecure\"), user and password when etcd auth is on, timeout. "
            + "A lease is the key resh/lock/NAME on an etcd lease of ttl seconds (default 30s, whole seconds), put only if absent in one transaction; "
            + "its fence is the key's create revision (etcd's revision only grows); release deletes it only if unchanged since read and the token matched; run keeps the etcd lease alive every ttl/3.",
    };
}
