using Resh.Core.Model;

namespace Resh.Handles.Cache;

/// <summary>cache:// — Redis (StackExchange.Redis), memcached (its text protocol) and an embedded store in the state directory.</summary>
public static class CacheHandle
{
    public static HandleInfo Create() => new("cache",
        "Key-value caches: get/set with TTLs, counters, bounded key walks and server stats on Redis, memcached, or an embedded store that needs no server (redis-cli with typed answers).",
        "[user@]HOST[:PORT][/DB] names a server inline (redis unless backend=memcached; port 6379 or 11211; /DB is the Redis database), " +
        "NAME a [cache.NAME] config table (url = redis://, rediss:// or memcached://, or backend = redis | memcached | embedded; user, password, tls, ca, db), " +
        "empty (cache:///) [cache.default], else the embedded store in the state directory.",
        [
            CacheGet.Verb,
            CacheSet.Verb,
            CacheDelete.Verb,
            CacheExists.Verb,
            CacheTtl.Verb,
            CacheExpire.Verb,
            CacheIncr.Incr,
            CacheIncr.Decr,
            CacheMGet.Verb,
            CacheMSet.Verb,
            CacheKeys.Verb,
            CacheInfo.Info,
            CacheInfo.Stats,
            CachePing.Verb,
            CacheFlush.Verb,
        ])
    {
        Notes = "Values are bytes: text that is valid UTF-8 comes back as is (encoding utf8), anything else as base64 (encoding base64); set takes " +
                "base64 only when told (encoding=base64) or a file's bytes with value=@FILE. A password (password=secret:NAME, env:VAR, file:PATH or @-, " +
                "or the table's password) is never on a command line, in the envelope or in --verbose output. TLS is verified against the system store or ca=; " +
                "tls=insecure skips the check and warns. One process keeps one connection per server: `resh batch` reuses it. " +
                "The embedded store is one file (0600) under $RESH_HOME/cache (else ~/.local/share/resh/cache, root: /var/lib/resh/cache), " +
                "changed under a lock and replaced atomically, so concurrent resh processes never lose an update.",
    };
}
