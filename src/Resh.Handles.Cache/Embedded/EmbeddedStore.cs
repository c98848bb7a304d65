using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Cache.Embedded;

/// <summary>
/// The embedded cache (SPEC §7): one file in the state directory (0600 in a 0700 directory), so a fresh machine has a
/// cache with TTLs and no server. Every change is read-modify-write under an exclusive lock (<see cref="FileLock"/>) and
/// replaced atomically (<see cref="AtomicFile"/>), so concurrent resh processes never lose an update and a reader sees the
/// old or the new file, never a mix. Expired keys are invisible at once and dropped at the next write.
/// File: <c>RESHKV1\n</c>, then per key: int32 key length, the key's bytes (UTF-8 text, or any bytes), int64 expiry (Unix ms, 0 = never),
/// int32 value length, value. In memory a key is the Latin-1 string of its bytes (one char per byte), so any bytes round-trip
/// and glob patterns match bytes, as Redis's do.
/// </summary>
internal sealed class EmbeddedStore(string path, ReshPaths paths) : ICacheBackend
{
    static readonly byte[] Magic = "RESHKV1\n"u8.ToArray();
    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Kind => "embedded";
    public string Server => path;

    sealed record Entry(byte[] Value, long ExpiresMs)
    {
        public bool Alive(long now) => ExpiresMs == 0 || ExpiresMs > now;
    }

    static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    Dictionary<string, Entry> Load()
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return new(StringComparer.Ordinal); }
        catch (DirectoryNotFoundException) { return new(StringComparer.Ordinal); }
        if (bytes.Length == 0) return new(StringComparer.Ordinal);
        var span = (ReadOnlySpan<byte>)bytes;
        if (!span.StartsWith(Magic)) throw Corrupt();
        var map = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var pos = Magic.Length;
        var now = Now;
        try
        {
            while (pos < span.Length)
            {
                var kl = BinaryPrimitives.ReadInt32LittleEndian(span[pos..]); pos += 4;
                var key = Encoding.Latin1.GetString(span.Slice(pos, kl)); pos += kl;
                var exp = BinaryPrimitives.ReadInt64LittleEndian(span[pos..]); pos += 8;
                var vl = BinaryPrimitives.ReadInt32LittleEndian(span[pos..]); pos += 4;
                var value = span.Slice(pos, vl).ToArray(); pos += vl;
                var e = new Entry(value, exp);
                if (e.Alive(now)) map[key] = e;
            }
        }
        catch (ArgumentOutOfRangeException) { throw Corrupt(); }
        return map;
    }

    ReshException Corrupt() => ReshError.Failed($"The embedded cache store {path} is not a resh store (or is damaged).",
        $"Move it aside; resh starts a new empty store at {path}.").ToException();

    void Save(Dictionary<string, Entry> map)
    {
        var now = Now;
        using var ms = new MemoryStream();
        ms.Write(Magic);
        Span<byte> n = stackalloc byte[8];
        foreach (var (key, e) in map)
        {
            if (!e.Alive(now)) continue;
            var kb = Encoding.Latin1.GetBytes(key);
            BinaryPrimitives.WriteInt32LittleEndian(n, kb.Length); ms.Write(n[..4]);
            ms.Write(kb);
            BinaryPrimitives.WriteInt64LittleEndian(n, e.ExpiresMs); ms.Write(n);
            BinaryPrimitives.WriteInt32LittleEndian(n, e.Value.Length); ms.Write(n[..4]);
            ms.Write(e.Value);
        }
        AtomicFile.Write(path, ms.GetBuffer().AsSpan(0, (int)ms.Length), Private);
    }

    /// <summary>Read-modify-write under the store's lock; the file is rewritten only when <paramref name="change"/> says it changed something.</summary>
    T Update<T>(Func<Dictionary<string, Entry>, (T Result, bool Changed)> change, CancellationToken ct)
    {
        using var held = FileLock.Take(paths, path, ct);
        var map = Load();
        var (result, changed) = change(map);
        if (changed) Save(map);
        return result;
    }

    static long Expiry(TimeSpan? ttl) => ttl is { } t ? Now + Math.Max(1, (long)Math.Ceiling(t.TotalMilliseconds)) : 0;

    static string K(byte[] key) => Encoding.Latin1.GetString(key);

    public Task<byte[]?> GetAsync(byte[] key, CancellationToken ct) => Task.FromResult(Load().GetValueOrDefault(K(key))?.Value);

    public Task<TypedValue?> GetTypedAsync(byte[] key, CancellationToken ct)
    {
        var bytes = Load().GetValueOrDefault(K(key))?.Value;
        if (bytes is null) return Task.FromResult<TypedValue?>(null);
        var (text, enc) = CacheValue.Encode(bytes);
        return Task.FromResult<TypedValue?>(new TypedValue("string", JsonValue.Create(text), enc, bytes.LongLength));
    }

    public Task<bool> SetAsync(byte[] key, byte[] value, TimeSpan? ttl, SetCondition condition, CancellationToken ct) => Task.FromResult(Update(map =>
    {
        var exists = map.ContainsKey(K(key));
        if ((condition == SetCondition.IfAbsent && exists) || (condition == SetCondition.IfPresent && !exists)) return (false, false);
        map[K(key)] = new Entry(value, Expiry(ttl));
        return (true, true);
    }, ct));

    public Task<bool> DeleteAsync(byte[] key, CancellationToken ct) => Task.FromResult(Update(map => { var r = map.Remove(K(key)); return (r, r); }, ct));

    public Task<bool> ExistsAsync(byte[] key, CancellationToken ct) => Task.FromResult(Load().ContainsKey(K(key)));

    public Task<KeyTtl> TtlAsync(byte[] key, CancellationToken ct)
    {
        if (!Load().TryGetValue(K(key), out var e)) return Task.FromResult(new KeyTtl(false, null));
        return Task.FromResult(e.ExpiresMs == 0 ? new KeyTtl(true, null) : new KeyTtl(true, (e.ExpiresMs - Now) / 1000.0));
    }

    public Task<bool> ExpireAsync(byte[] key, TimeSpan? ttl, CancellationToken ct) => Task.FromResult(Update(map =>
    {
        if (!map.TryGetValue(K(key), out var e)) return (false, false);
        map[K(key)] = e with { ExpiresMs = Expiry(ttl) };
        return (true, true);
    }, ct));

    public Task<decimal> IncrementAsync(byte[] key, long by, CancellationToken ct) => Task.FromResult((decimal)Update(map =>
    {
        long current = 0;
        var expires = 0L;
        if (map.TryGetValue(K(key), out var e))
        {
            if (!long.TryParse(Encoding.UTF8.GetString(e.Value), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out current))
                throw ReshError.Conflict($"The value of `{CacheValue.Show(key)}` is not an integer, so it cannot be incremented.", "set it to a number first, or use another key.",
                    new JsonObject { ["key"] = CacheValue.Show(key) }).ToException();
            expires = e.ExpiresMs;
        }
        long next;
        try { next = checked(current + by); }
        catch (OverflowException) { throw ReshError.Conflict($"Adding {by} to `{CacheValue.Show(key)}` ({current}) overflows a 64-bit integer.", null).ToException(); }
        map[K(key)] = new Entry(Encoding.ASCII.GetBytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), expires);
        return (next, true);
    }, ct));

    public Task<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken ct)
    {
        var map = Load();
        return Task.FromResult(keys.Select(k => map.GetValueOrDefault(K(k))?.Value).ToArray());
    }

    public Task SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, TimeSpan? ttl, CancellationToken ct)
    {
        Update(map =>
        {
            var exp = Expiry(ttl);
            foreach (var p in pairs) map[K(p.Key)] = new Entry(p.Value, exp);
            return (true, true);
        }, ct);
        return Task.CompletedTask;
    }

    /// <summary>Keys in byte order; the cursor is the last key returned (<c>after:BASE64</c> of its bytes), <c>0</c> to start. The pattern matches bytes.</summary>
    public Task<KeyPage> KeysAsync(string pattern, int limit, string cursor, CancellationToken ct)
    {
        string? after = null;
        if (cursor != "0")
        {
            if (!cursor.StartsWith("after:", StringComparison.Ordinal)) throw BadCursor(cursor);
            try { after = Encoding.Latin1.GetString(Convert.FromBase64String(cursor[6..])); }
            catch (FormatException) { throw BadCursor(cursor); }
        }
        var all = Load().Keys.Where(k => after is null || string.CompareOrdinal(k, after) > 0).Order(StringComparer.Ordinal);
        var bytePattern = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(pattern));
        var keys = new List<string>();
        var scanned = 0;
        foreach (var k in all)
        {
            if (!Glob.Match(bytePattern, k)) { scanned++; continue; }
            if (keys.Count == limit)
                return Task.FromResult(new KeyPage(Bytes(keys), "after:" + Convert.ToBase64String(Encoding.Latin1.GetBytes(keys[^1])), true, scanned));
            keys.Add(k);
            scanned++;
        }
        return Task.FromResult(new KeyPage(Bytes(keys), "0", false, scanned));
    }

    static List<byte[]> Bytes(List<string> keys) => keys.Select(k => Encoding.Latin1.GetBytes(k)).ToList();

    static ReshException BadCursor(string cursor) =>
        ReshError.Usage($"`{cursor}` is not a cursor of the embedded store.", "Pass the cursor a previous keys call returned, or 0 to start.").ToException();

    public Task<CacheInfoResult> InfoAsync(string? section, CancellationToken ct)
    {
        var map = Load();
        long size = File.Exists(path) ? new FileInfo(path).Length : 0;
        var expiring = map.Values.Count(e => e.ExpiresMs != 0);
        var fields = new JsonObject { ["path"] = path, ["keys"] = map.Count, ["expiring_keys"] = expiring, ["file_bytes"] = size };
        return Task.FromResult(new CacheInfoResult("embedded", path, null, null, map.Count, size, null, null, null, null, null, fields));
    }

    public Task<string?> PingAsync(CancellationToken ct)
    {
        Load();
        return Task.FromResult<string?>(null);
    }

    public Task<long?> CountAsync(CancellationToken ct) => Task.FromResult<long?>(Load().Count);

    public Task FlushAsync(CancellationToken ct)
    {
        Update(map => { var had = map.Count > 0; map.Clear(); return (true, had); }, ct);
        return Task.CompletedTask;
    }
}
