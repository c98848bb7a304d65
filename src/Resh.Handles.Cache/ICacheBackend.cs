using System.Text.Json.Nodes;

namespace Resh.Handles.Cache;

/// <summary>Only-if conditions of set: nx (only if absent) and xx (only if present).</summary>
internal enum SetCondition { Always, IfAbsent, IfPresent }

/// <summary>A key's remaining time to live: absent, present without expiry, or expiring after <c>Seconds</c>.</summary>
internal readonly record struct KeyTtl(bool Exists, double? Seconds);

/// <summary>A value read by the type-aware get: a Redis type name and its content as JSON (byte strings already encoded).</summary>
internal sealed record TypedValue(string Type, JsonNode? Value, string Encoding, long? Length);

/// <summary>One page of a bounded key walk.</summary>
internal sealed record KeyPage(List<byte[]> Keys, string Cursor, bool Truncated, int Scanned);

/// <summary>
/// What cache:// asks of a backend (Redis, memcached, the embedded store). Keys and values are bytes-exact:
/// both travel as byte arrays (a key need not be UTF-8) and are encoded for the envelope by <see cref="CacheValue"/>.
/// A backend that cannot do something throws a ReshException with code unsupported.
/// </summary>
internal interface ICacheBackend
{
    string Kind { get; }
    /// <summary>host:port, or the store file for the embedded backend.</summary>
    string Server { get; }
    Task<byte[]?> GetAsync(byte[] key, CancellationToken ct);
    /// <summary>The type-aware read: strings as bytes, Redis hashes, lists, sets, sorted sets and streams as JSON. Null when absent.</summary>
    Task<TypedValue?> GetTypedAsync(byte[] key, CancellationToken ct);
    /// <summary>Writes unless the condition says no; true when written.</summary>
    Task<bool> SetAsync(byte[] key, byte[] value, TimeSpan? ttl, SetCondition condition, CancellationToken ct);
    Task<bool> DeleteAsync(byte[] key, CancellationToken ct);
    Task<bool> ExistsAsync(byte[] key, CancellationToken ct);
    Task<KeyTtl> TtlAsync(byte[] key, CancellationToken ct);
    /// <summary>Sets (or with null removes) the expiry of an existing key; false when the key does not exist.</summary>
    Task<bool> ExpireAsync(byte[] key, TimeSpan? ttl, CancellationToken ct);
    /// <summary>The counter after the change: a signed 64-bit integer (Redis, embedded) or an unsigned one (memcached).</summary>
    Task<decimal> IncrementAsync(byte[] key, long by, CancellationToken ct);
    Task<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken ct);
    Task SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, TimeSpan? ttl, CancellationToken ct);
    Task<KeyPage> KeysAsync(string pattern, int limit, string cursor, CancellationToken ct);
    /// <summary>Server statistics: typed headline fields and every raw field (numbers as numbers).</summary>
    Task<CacheInfoResult> InfoAsync(string? section, CancellationToken ct);
    /// <summary>One round trip; the server's version.</summary>
    Task<string?> PingAsync(CancellationToken ct);
    /// <summary>How many keys a flush would remove (null when the backend cannot say).</summary>
    Task<long?> CountAsync(CancellationToken ct);
    Task FlushAsync(CancellationToken ct);
}
