using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Cache.Redis;

namespace Resh.Handles.Cache.Memcached;

/// <summary>A reply memcached gives for a command it refused (ERROR, CLIENT_ERROR, SERVER_ERROR).</summary>
internal sealed class MemcachedReplyException(string reply) : Exception($"memcached answered: {reply}")
{
    public string Reply { get; } = reply;
}

/// <summary>
/// cache:// on memcached over its text protocol (meta commands for exists and ttl, memcached 1.6+).
/// What memcached cannot do is <c>unsupported</c>: listing keys, typed values, databases.
/// </summary>
internal sealed class MemcachedBackend(MemcachedConnection conn, CacheTarget target) : ICacheBackend
{
    public string Kind => "memcached";
    public string Server => target.Server;
    /// <summary>memcached 1.6 reports ~100 stats; a server sending this many is broken or hostile.</summary>
    const int MaxStatLines = 100_000;

    async Task<T> Locked<T>(Func<Task<T>> body, CancellationToken ct)
    {
        await conn.Gate.WaitAsync(ct).ConfigureAwait(false);
        try { return await body().ConfigureAwait(false); }
        finally { conn.Gate.Release(); }
    }

    static string Check(string reply)
    {
        if (reply == "ERROR" || reply.StartsWith("CLIENT_ERROR", StringComparison.Ordinal) || reply.StartsWith("SERVER_ERROR", StringComparison.Ordinal))
            throw new MemcachedReplyException(reply);
        return reply;
    }

    /// <summary>memcached's exptime: seconds up to 30 days, a Unix time beyond; 0 is never. Sub-second TTLs round up to 1 s.</summary>
    internal static long ExpTime(TimeSpan? ttl)
    {
        if (ttl is not { } t) return 0;
        var seconds = (long)Math.Ceiling(t.TotalSeconds);
        if (seconds < 1) seconds = 1;
        return seconds > 60L * 60 * 24 * 30 ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() + seconds : seconds;
    }

    /// <summary>
    /// The VALUE blocks of a get, up to END: only of keys that were asked for, each at most once, each at most max_value
    /// bytes; anything else is a broken or hostile server and ends the call (its connection is not reused).
    /// </summary>
    async Task<Dictionary<string, byte[]>> ReadValuesAsync(IReadOnlyCollection<string> asked, CancellationToken ct)
    {
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (true)
        {
            var line = Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
            if (line == "END") return found;
            var parts = line.Split(' ');
            if (parts.Length < 4 || parts[0] != "VALUE" || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var len))
                throw Unexpected(parts.Length > 3 && parts[0] == "VALUE" && parts[3].Length > 0 && parts[3].All(char.IsAsciiDigit)
                    ? CacheReplyException.Large("A memcached value", long.MaxValue, conn.MaxValue) : null, line);
            if (!asked.Contains(parts[1]) || found.ContainsKey(parts[1]))
                throw Unexpected(null, $"VALUE of a key {(found.ContainsKey(parts[1]) ? "sent twice" : "that was not asked for")}");
            found[parts[1]] = await conn.ReadBlockAsync(len, ct).ConfigureAwait(false);
        }
    }

    Exception Unexpected(CacheReplyException? refusal, string line)
    {
        conn.MarkBroken();
        return refusal ?? new CacheReplyException(CacheReplyException.Protocol, $"memcached sent an unexpected reply: {(line.Length > 80 ? line[..80] + "…" : line)}");
    }

    public Task<byte[]?> GetAsync(byte[] key, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        return Locked<byte[]?>(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame("get " + k), ct).ConfigureAwait(false);
            return (await ReadValuesAsync([k], ct).ConfigureAwait(false)).GetValueOrDefault(k);
        }, ct);
    }

    public async Task<TypedValue?> GetTypedAsync(byte[] key, CancellationToken ct)
    {
        var bytes = await GetAsync(key, ct).ConfigureAwait(false);
        if (bytes is null) return null;
        var (text, enc) = CacheValue.Encode(bytes);
        return new TypedValue("string", JsonValue.Create(text), enc, bytes.LongLength);
    }

    public Task<bool> SetAsync(byte[] key, byte[] value, TimeSpan? ttl, SetCondition condition, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        var verb = condition switch { SetCondition.IfAbsent => "add", SetCondition.IfPresent => "replace", _ => "set" };
        return Locked(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame($"{verb} {k} 0 {ExpTime(ttl)} {value.Length}", value), ct).ConfigureAwait(false);
            return Check(await conn.ReadLineAsync(ct).ConfigureAwait(false)) == "STORED";
        }, ct);
    }

    Task<string> SimpleAsync(string line, CancellationToken ct) => Locked(async () =>
    {
        await conn.SendAsync(MemcachedConnection.Frame(line), ct).ConfigureAwait(false);
        return Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
    }, ct);

    public async Task<bool> DeleteAsync(byte[] key, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        return await SimpleAsync("delete " + k, ct).ConfigureAwait(false) == "DELETED";
    }

    public async Task<bool> ExistsAsync(byte[] key, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        return (await SimpleAsync("mg " + k, ct).ConfigureAwait(false)).StartsWith("HD", StringComparison.Ordinal);
    }

    public async Task<KeyTtl> TtlAsync(byte[] key, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        var reply = await SimpleAsync("mg " + k + " t", ct).ConfigureAwait(false); // HD t<seconds> (t-1: never), EN on a miss
        if (!reply.StartsWith("HD", StringComparison.Ordinal)) return new KeyTtl(false, null);
        var flag = reply.Split(' ').FirstOrDefault(p => p.StartsWith('t'));
        if (flag is null || !long.TryParse(flag.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) || s == -1)
            return new KeyTtl(true, null);
        if (s < -1) throw new CacheReplyException(CacheReplyException.Protocol, $"memcached answered a TTL of {s.ToString(CultureInfo.InvariantCulture)} seconds, which it never answers (-1 or seconds left).");
        return new KeyTtl(true, s);
    }

    public async Task<bool> ExpireAsync(byte[] key, TimeSpan? ttl, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        return await SimpleAsync($"touch {k} {ExpTime(ttl)}", ct).ConfigureAwait(false) == "TOUCHED";
    }

    /// <summary>
    /// memcached's incr/decr: counters are unsigned 64-bit (the reply is parsed as one), decr stops at 0 and incr wraps
    /// past 2^64-1, as the server does. A missing counter starts at 0 (written with add, so a racing writer wins).
    /// </summary>
    public async Task<decimal> IncrementAsync(byte[] key, long by, CancellationToken ct)
    {
        var k = MemcachedConnection.CheckKey(key);
        var verb = by >= 0 ? "incr" : "decr";
        var amount = by >= 0 ? (ulong)by : (ulong)(-(by + 1)) + 1;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var reply = await SimpleAsync($"{verb} {k} {amount}", ct).ConfigureAwait(false);
            if (reply != "NOT_FOUND")
            {
                if (ulong.TryParse(reply, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
                throw new CacheReplyException(CacheReplyException.Protocol, $"memcached answered {verb} with `{(reply.Length > 40 ? reply[..40] + "…" : reply)}`, not a counter value.");
            }
            // A missing counter starts at 0, as in Redis (memcached counters are unsigned: decr stops at 0).
            var start = by >= 0 ? by : 0;
            if (await SetAsync(key, System.Text.Encoding.ASCII.GetBytes(start.ToString(CultureInfo.InvariantCulture)), null, SetCondition.IfAbsent, ct).ConfigureAwait(false))
                return start;
        }
        throw new MemcachedReplyException("NOT_FOUND (the counter kept disappearing)");
    }

    public Task<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken ct)
    {
        var lineKeys = keys.Select(MemcachedConnection.CheckKey).ToList();
        return Locked(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame("get " + string.Join(' ', lineKeys)), ct).ConfigureAwait(false);
            var found = await ReadValuesAsync(lineKeys.ToHashSet(StringComparer.Ordinal), ct).ConfigureAwait(false);
            return lineKeys.Select(k => found.GetValueOrDefault(k)).ToArray();
        }, ct);
    }

    public async Task SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, TimeSpan? ttl, CancellationToken ct)
    {
        var lineKeys = pairs.Select(p => MemcachedConnection.CheckKey(p.Key)).ToList();
        await Locked(async () =>
        {
            // Pipelined: every set goes out, then every reply is read.
            using var ms = new MemoryStream();
            for (var i = 0; i < pairs.Count; i++) ms.Write(MemcachedConnection.Frame($"set {lineKeys[i]} 0 {ExpTime(ttl)} {pairs[i].Value.Length}", pairs[i].Value));
            await conn.SendAsync(ms.ToArray(), ct).ConfigureAwait(false);
            foreach (var _ in pairs) Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
            return true;
        }, ct).ConfigureAwait(false);
    }

    public Task<KeyPage> KeysAsync(string pattern, int limit, string cursor, CancellationToken ct) =>
        throw ReshError.Unsupported("memcached cannot list its keys (it has no SCAN; lru_crawler metadump walks the whole cache and is not bounded).",
            "Keep an index key of your own, or use Redis or the embedded store for keys.").ToException();

    public async Task<CacheInfoResult> InfoAsync(string? section, CancellationToken ct)
    {
        var fields = new JsonObject();
        await Locked(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame(section is null ? "stats" : "stats " + section), ct).ConfigureAwait(false);
            for (var lines = 0; ; lines++)
            {
                var line = Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
                if (line == "END") return true;
                if (lines == MaxStatLines) throw Unexpected(null, $"more than {MaxStatLines} stats lines");
                var parts = line.Split(' ', 3);
                if (parts.Length == 3 && parts[0] == "STAT") fields[parts[1]] = RedisInfo.Typed(parts[2]);
            }
        }, ct).ConfigureAwait(false);
        long? L(string k) => fields[k] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
        return new CacheInfoResult("memcached", Server, fields["version"]?.ToString(), L("uptime"), L("curr_items"), L("bytes"), L("limit_maxbytes"),
            L("curr_connections"), L("get_hits"), L("get_misses"), null, fields);
    }

    public async Task<string?> PingAsync(CancellationToken ct)
    {
        var reply = await SimpleAsync("version", ct).ConfigureAwait(false);
        return reply.StartsWith("VERSION ", StringComparison.Ordinal) ? reply[8..] : reply;
    }

    public async Task<long?> CountAsync(CancellationToken ct) => (await InfoAsync(null, ct).ConfigureAwait(false)).Keys;

    public async Task FlushAsync(CancellationToken ct)
    {
        var reply = await SimpleAsync("flush_all", ct).ConfigureAwait(false);
        if (reply != "OK") throw new MemcachedReplyException(reply);
    }
}
