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

    async Task<Dictionary<string, byte[]>> ReadValuesAsync(CancellationToken ct)
    {
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (true)
        {
            var line = Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
            if (line == "END") return found;
            var parts = line.Split(' ');
            if (parts.Length < 4 || parts[0] != "VALUE" || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var len))
                throw new IOException($"memcached sent an unexpected reply: {line}");
            found[parts[1]] = await conn.ReadBlockAsync(len, ct).ConfigureAwait(false);
        }
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        return Locked<byte[]?>(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame("get " + key), ct).ConfigureAwait(false);
            return (await ReadValuesAsync(ct).ConfigureAwait(false)).GetValueOrDefault(key);
        }, ct);
    }

    public async Task<TypedValue?> GetTypedAsync(string key, CancellationToken ct)
    {
        var bytes = await GetAsync(key, ct).ConfigureAwait(false);
        if (bytes is null) return null;
        var (text, enc) = CacheValue.Encode(bytes);
        return new TypedValue("string", JsonValue.Create(text), enc, bytes.LongLength);
    }

    public Task<bool> SetAsync(string key, byte[] value, TimeSpan? ttl, SetCondition condition, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        var verb = condition switch { SetCondition.IfAbsent => "add", SetCondition.IfPresent => "replace", _ => "set" };
        return Locked(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame($"{verb} {key} 0 {ExpTime(ttl)} {value.Length}", value), ct).ConfigureAwait(false);
            return Check(await conn.ReadLineAsync(ct).ConfigureAwait(false)) == "STORED";
        }, ct);
    }

    Task<string> SimpleAsync(string line, CancellationToken ct) => Locked(async () =>
    {
        await conn.SendAsync(MemcachedConnection.Frame(line), ct).ConfigureAwait(false);
        return Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
    }, ct);

    public async Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        return await SimpleAsync("delete " + key, ct).ConfigureAwait(false) == "DELETED";
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        return (await SimpleAsync("mg " + key, ct).ConfigureAwait(false)).StartsWith("HD", StringComparison.Ordinal);
    }

    public async Task<KeyTtl> TtlAsync(string key, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        var reply = await SimpleAsync("mg " + key + " t", ct).ConfigureAwait(false); // HD t<seconds> (t-1: never), EN on a miss
        if (!reply.StartsWith("HD", StringComparison.Ordinal)) return new KeyTtl(false, null);
        var flag = reply.Split(' ').FirstOrDefault(p => p.StartsWith('t'));
        if (flag is null || !long.TryParse(flag.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) || s < 0)
            return new KeyTtl(true, null);
        return new KeyTtl(true, s);
    }

    public async Task<bool> ExpireAsync(string key, TimeSpan? ttl, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        return await SimpleAsync($"touch {key} {ExpTime(ttl)}", ct).ConfigureAwait(false) == "TOUCHED";
    }

    public async Task<long> IncrementAsync(string key, long by, CancellationToken ct)
    {
        MemcachedConnection.CheckKey(key);
        var verb = by >= 0 ? "incr" : "decr";
        var amount = by >= 0 ? (ulong)by : (ulong)(-(by + 1)) + 1;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var reply = await SimpleAsync($"{verb} {key} {amount}", ct).ConfigureAwait(false);
            if (reply != "NOT_FOUND") return long.Parse(reply, NumberStyles.None, CultureInfo.InvariantCulture);
            // A missing counter starts at 0, as in Redis (memcached counters are unsigned: decr stops at 0).
            var start = by >= 0 ? by : 0;
            if (await SetAsync(key, System.Text.Encoding.ASCII.GetBytes(start.ToString(CultureInfo.InvariantCulture)), null, SetCondition.IfAbsent, ct).ConfigureAwait(false))
                return start;
        }
        throw new MemcachedReplyException("NOT_FOUND (the counter kept disappearing)");
    }

    public Task<byte[]?[]> GetManyAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        foreach (var k in keys) MemcachedConnection.CheckKey(k);
        return Locked(async () =>
        {
            await conn.SendAsync(MemcachedConnection.Frame("get " + string.Join(' ', keys)), ct).ConfigureAwait(false);
            var found = await ReadValuesAsync(ct).ConfigureAwait(false);
            return keys.Select(k => found.GetValueOrDefault(k)).ToArray();
        }, ct);
    }

    public async Task SetManyAsync(IReadOnlyList<KeyValuePair<string, byte[]>> pairs, TimeSpan? ttl, CancellationToken ct)
    {
        foreach (var p in pairs) MemcachedConnection.CheckKey(p.Key);
        await Locked(async () =>
        {
            // Pipelined: every set goes out, then every reply is read.
            using var ms = new MemoryStream();
            foreach (var p in pairs) ms.Write(MemcachedConnection.Frame($"set {p.Key} 0 {ExpTime(ttl)} {p.Value.Length}", p.Value));
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
            while (true)
            {
                var line = Check(await conn.ReadLineAsync(ct).ConfigureAwait(false));
                if (line == "END") return true;
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
