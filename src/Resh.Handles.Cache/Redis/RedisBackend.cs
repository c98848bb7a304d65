using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Redis;

/// <summary>cache:// on Redis through StackExchange.Redis. Keys walk with SCAN (never KEYS); flush is FLUSHDB of the selected database.</summary>
internal sealed class RedisBackend(ConnectionMultiplexer mux, CacheTarget target) : ICacheBackend
{
    readonly IDatabase _db = mux.GetDatabase(target.Db);

    public string Kind => "redis";
    public string Server => target.Server;

    IServer ServerApi => mux.GetServer(mux.GetEndPoints()[0]);

    public async Task<byte[]?> GetAsync(byte[] key, CancellationToken ct) =>
        (byte[]?)await _db.StringGetAsync(key).WaitAsync(ct).ConfigureAwait(false);

    public async Task<TypedValue?> GetTypedAsync(byte[] key, CancellationToken ct)
    {
        var type = await _db.KeyTypeAsync(key).WaitAsync(ct).ConfigureAwait(false);
        switch (type)
        {
            case RedisType.None: return null;
            case RedisType.String:
            {
                var bytes = (byte[]?)await _db.StringGetAsync(key).WaitAsync(ct).ConfigureAwait(false);
                if (bytes is null) return null; // expired between the two calls
                var (text, enc) = CacheValue.Encode(bytes);
                return new TypedValue("string", JsonValue.Create(text), enc, bytes.LongLength);
            }
            case RedisType.Hash:
            {
                var entries = await _db.HashGetAllAsync(key).WaitAsync(ct).ConfigureAwait(false);
                var enc = CacheValue.EncodingOf(entries.SelectMany(e => new[] { (byte[])e.Name!, (byte[])e.Value! }));
                var obj = new JsonObject();
                foreach (var e in entries.OrderBy(e => (string?)e.Name, StringComparer.Ordinal))
                    obj[CacheValue.Node((byte[])e.Name!, enc).GetValue<string>()] = CacheValue.Node((byte[])e.Value!, enc);
                return new TypedValue("hash", obj, enc, entries.Length);
            }
            case RedisType.List:
            {
                var items = (await _db.ListRangeAsync(key).WaitAsync(ct).ConfigureAwait(false)).Select(v => (byte[])v!).ToList();
                var enc = CacheValue.EncodingOf(items);
                return new TypedValue("list", new JsonArray(items.Select(i => (JsonNode?)CacheValue.Node(i, enc)).ToArray()), enc, items.Count);
            }
            case RedisType.Set:
            {
                var items = (await _db.SetMembersAsync(key).WaitAsync(ct).ConfigureAwait(false)).Select(v => (byte[])v!)
                    .OrderBy(b => b, ByteOrder.Instance).ToList();
                var enc = CacheValue.EncodingOf(items);
                return new TypedValue("set", new JsonArray(items.Select(i => (JsonNode?)CacheValue.Node(i, enc)).ToArray()), enc, items.Count);
            }
            case RedisType.SortedSet:
            {
                var items = await _db.SortedSetRangeByRankWithScoresAsync(key).WaitAsync(ct).ConfigureAwait(false);
                var enc = CacheValue.EncodingOf(items.Select(i => (byte[])i.Element!));
                var arr = new JsonArray();
                foreach (var i in items)
                    arr.Add((JsonNode)new JsonObject { ["member"] = CacheValue.Node((byte[])i.Element!, enc), ["score"] = i.Score });
                return new TypedValue("zset", arr, enc, items.Length);
            }
            case RedisType.Stream:
            {
                var entries = await _db.StreamRangeAsync(key).WaitAsync(ct).ConfigureAwait(false);
                var enc = CacheValue.EncodingOf(entries.SelectMany(e => e.Values.SelectMany(v => new[] { (byte[])v.Name!, (byte[])v.Value! })));
                var arr = new JsonArray();
                foreach (var e in entries)
                {
                    var fields = new JsonObject();
                    foreach (var v in e.Values) fields[CacheValue.Node((byte[])v.Name!, enc).GetValue<string>()] = CacheValue.Node((byte[])v.Value!, enc);
                    arr.Add((JsonNode)new JsonObject { ["id"] = (string?)e.Id, ["fields"] = fields });
                }
                return new TypedValue("stream", arr, enc, entries.Length);
            }
            default:
                return new TypedValue(type.ToString().ToLowerInvariant(), null, CacheValue.Utf8Name, null);
        }
    }

    public async Task<bool> SetAsync(byte[] key, byte[] value, TimeSpan? ttl, SetCondition condition, CancellationToken ct)
    {
        var when = condition switch { SetCondition.IfAbsent => When.NotExists, SetCondition.IfPresent => When.Exists, _ => When.Always };
        return await _db.StringSetAsync(key, value, ttl, when).WaitAsync(ct).ConfigureAwait(false);
    }

    public Task<bool> DeleteAsync(byte[] key, CancellationToken ct) => _db.KeyDeleteAsync(key).WaitAsync(ct);
    public Task<bool> ExistsAsync(byte[] key, CancellationToken ct) => _db.KeyExistsAsync(key).WaitAsync(ct);

    public async Task<KeyTtl> TtlAsync(byte[] key, CancellationToken ct)
    {
        // PTTL: -2 absent, -1 no expiry, else milliseconds left.
        var ms = (long)await _db.ExecuteAsync("PTTL", key).WaitAsync(ct).ConfigureAwait(false);
        return ms switch
        {
            -2 => new KeyTtl(false, null),
            -1 => new KeyTtl(true, null),
            < -2 => throw new CacheReplyException(CacheReplyException.Protocol, $"PTTL answered {ms.ToString(CultureInfo.InvariantCulture)}, which Redis never answers (-2, -1 or milliseconds left)."),
            _ => new KeyTtl(true, ms / 1000.0),
        };
    }

    public async Task<bool> ExpireAsync(byte[] key, TimeSpan? ttl, CancellationToken ct)
    {
        if (ttl is { } t) return await _db.KeyExpireAsync(key, t).WaitAsync(ct).ConfigureAwait(false);
        if (!await _db.KeyExistsAsync(key).WaitAsync(ct).ConfigureAwait(false)) return false;
        await _db.KeyPersistAsync(key).WaitAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task<decimal> IncrementAsync(byte[] key, long by, CancellationToken ct) => await _db.StringIncrementAsync(key, by).WaitAsync(ct).ConfigureAwait(false);

    public async Task<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken ct)
    {
        var values = await _db.StringGetAsync(keys.Select(k => (RedisKey)k).ToArray()).WaitAsync(ct).ConfigureAwait(false);
        return values.Select(v => (byte[]?)v).ToArray();
    }

    public async Task SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, TimeSpan? ttl, CancellationToken ct)
    {
        if (ttl is null)
        {
            await _db.StringSetAsync(pairs.Select(p => new KeyValuePair<RedisKey, RedisValue>(p.Key, p.Value)).ToArray()).WaitAsync(ct).ConfigureAwait(false);
            return;
        }
        // MSET has no expiry: one MULTI/EXEC of SET ... PX, so all keys land (or none) with the same TTL.
        var tx = _db.CreateTransaction();
        var sets = pairs.Select(p => tx.StringSetAsync(p.Key, p.Value, ttl!.Value)).ToList();
        await tx.ExecuteAsync().WaitAsync(ct).ConfigureAwait(false);
        await Task.WhenAll(sets).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A SCAN walk that stops at exactly <paramref name="limit"/> keys. Each page is sorted by bytes; when the limit falls
    /// inside a page, the cursor names that page (its start, COUNT and end cursor) and the last key returned, so the next call
    /// scans the same page again and returns the keys after it. If the page came out different (the table was resized),
    /// the whole page is returned: a key may repeat across calls, as SCAN allows, but none is lost. Within one call each key
    /// is listed once (SCAN may return a key twice while the table is rehashed), and the limit counts distinct keys.
    /// </summary>
    public async Task<KeyPage> KeysAsync(string pattern, int limit, string cursor, CancellationToken ct)
    {
        var resume = ScanCursor.Parse(cursor);
        var keys = new List<byte[]>();
        var seen = new HashSet<byte[]>(ByteOrder.Instance);
        var next = resume.Start;
        var rounds = 0;
        while (true)
        {
            var count = resume.Count ?? Math.Clamp(limit - keys.Count, 10, 1000);
            var reply = (RedisResult[])(await _db.ExecuteAsync("SCAN", next, "MATCH", pattern, "COUNT", count).WaitAsync(ct).ConfigureAwait(false))!;
            var end = (string)reply[0]!;
            var page = ((RedisResult[])reply[1]!).Select(k => (byte[])k!).ToList();
            page.Sort(ByteOrder.Instance);
            page.RemoveAll(k => seen.Contains(k));
            page = page.Where((k, i) => i == 0 || ByteOrder.Instance.Compare(page[i - 1], k) != 0).ToList(); // twice in one page
            rounds++;
            if (resume.After is { } after)
            {
                if (end == resume.End) page.RemoveAll(k => ByteOrder.Instance.Compare(k, after) <= 0);
                resume = ScanCursor.Begin; // the pages after it are plain SCAN pages
            }
            var room = limit - keys.Count;
            if (page.Count > room)
            {
                keys.AddRange(page.Take(room));
                return new KeyPage(keys, ScanCursor.Inside(next, count, end, keys[^1]), true, rounds);
            }
            keys.AddRange(page);
            seen.UnionWith(page);
            next = end;
            if (next == "0") return new KeyPage(keys, "0", false, rounds);
            if (keys.Count == limit) return new KeyPage(keys, next, true, rounds);
        }
    }

    public async Task<CacheInfoResult> InfoAsync(string? section, CancellationToken ct)
    {
        var text = (string?)(section is null
            ? await _db.ExecuteAsync("INFO").WaitAsync(ct).ConfigureAwait(false)
            : await _db.ExecuteAsync("INFO", section).WaitAsync(ct).ConfigureAwait(false)) ?? "";
        var fields = RedisInfo.Parse(text);
        long? keys = null;
        if (fields["keyspace"] is JsonObject ks && ks[$"db{target.Db}"] is JsonValue dbv && dbv.TryGetValue<string>(out var dbText))
            keys = RedisInfo.KeyspaceKeys(dbText);
        else if (section is null or "keyspace" or "all" or "everything") keys = 0;
        return new CacheInfoResult("redis", Server,
            RedisInfo.Str(fields, "server", "redis_version"),
            RedisInfo.Long(fields, "server", "uptime_in_seconds"),
            keys,
            RedisInfo.Long(fields, "memory", "used_memory"),
            RedisInfo.Long(fields, "memory", "maxmemory"),
            RedisInfo.Long(fields, "clients", "connected_clients"),
            RedisInfo.Long(fields, "stats", "keyspace_hits"),
            RedisInfo.Long(fields, "stats", "keyspace_misses"),
            RedisInfo.Str(fields, "replication", "role") is { } role ? (role == "slave" ? "replica" : role) : null,
            fields);
    }

    public async Task<string?> PingAsync(CancellationToken ct)
    {
        await _db.PingAsync().WaitAsync(ct).ConfigureAwait(false);
        return ServerApi.Version.ToString();
    }

    public async Task<long?> CountAsync(CancellationToken ct) => (long)await _db.ExecuteAsync("DBSIZE").WaitAsync(ct).ConfigureAwait(false);

    public Task FlushAsync(CancellationToken ct) => _db.ExecuteAsync("FLUSHDB").WaitAsync(ct);

    sealed class ByteOrder : IComparer<byte[]>, IEqualityComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceCompareTo(y);
        public bool Equals(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceEqual(y);
        public int GetHashCode(byte[] b)
        {
            var h = new HashCode();
            h.AddBytes(b);
            return h.ToHashCode();
        }
    }
}
