using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

[Description("A key's value. Strings whose bytes are valid UTF-8 are text (encoding utf8); any other bytes are base64 (encoding base64).")]
public sealed record CacheGetResult(
    [property: Description("redis, memcached or embedded.")] string Backend,
    [property: Description("host:port of the server, or the embedded store's file.")] string Server,
    string Key,
    bool Exists,
    [property: Description("string, hash, list, set, zset or stream (Redis); null when the key does not exist.")] string? Type,
    [property: Description("A string for type string; an object (hash: field to value), an array (list; set, sorted by member), " +
                           "an array of {member, score} (zset, by rank) or of {id, fields} (stream, oldest first) for the others; null when absent.")]
    JsonNode? Value,
    [property: Description("utf8: every string in value is the bytes as text; base64: some bytes were not UTF-8, so every byte string in value is base64.")] string? Encoding,
    [property: Description("Size of a string value in bytes (before any base64); elements for the other types.")] long? Length);

[Description("What set wrote.")]
public sealed record CacheSetResult(
    string Backend,
    string Server,
    string Key,
    [property: Description("True when the value was written (or, under --dry-run, would be); false when nx/xx said no.")] bool Written,
    [property: Description("always, nx (only if absent) or xx (only if present).")] string Condition,
    [property: Description("The key existed before (checked only for nx/xx and --dry-run; null otherwise).")] bool? Existed,
    [property: Description("Expiry set with the value, in seconds; null for none.")] double? TtlSeconds,
    [property: Description("Size of the value written.")] long Bytes);

[Description("Whether the key was removed.")]
public sealed record CacheDeleteResult(string Backend, string Server, string Key, [property: Description("The key existed and was removed (or would be under --dry-run).")] bool Deleted);

[Description("Whether the key exists.")]
public sealed record CacheExistsResult(string Backend, string Server, string Key, bool Exists);

[Description("A key's remaining time to live.")]
public sealed record CacheTtlResult(
    string Backend, string Server, string Key, bool Exists,
    [property: Description("The key exists and never expires.")] bool Persistent,
    [property: Description("Seconds until the key expires (millisecond precision); null when absent or persistent.")] double? TtlSeconds);

[Description("A key's new expiry.")]
public sealed record CacheExpireResult(
    string Backend, string Server, string Key, bool Exists,
    [property: Description("The new time to live in seconds; null when the expiry was removed (persist).")] double? TtlSeconds);

[Description("A counter after incr or decr.")]
public sealed record CacheCounterResult(
    string Backend, string Server, string Key,
    [property: Description("The counter's value after the change (under --dry-run: the value it would have), an integer: signed 64-bit on Redis and " +
                           "the embedded store, unsigned 64-bit on memcached (0 to 18446744073709551615).")] decimal Value,
    [property: Description("The amount added (negative for decr).")] long By);

[Description("One key of mget.")]
public sealed record CacheItem(string Key, bool Exists, string? Value, [property: Description("utf8 or base64 (bytes that are not UTF-8); null when absent.")] string? Encoding);

[Description("Several keys read in one round trip.")]
public sealed record CacheMGetResult(string Backend, string Server, IReadOnlyList<CacheItem> Items, [property: Description("Keys that exist.")] int Found);

[Description("Several keys written in one round trip.")]
public sealed record CacheMSetResult(string Backend, string Server, IReadOnlyList<string> Keys, int Count, double? TtlSeconds);

[Description("Keys matching a pattern, walked with SCAN (never KEYS) and bounded by limit.")]
public sealed record CacheKeysResult(
    string Backend, string Server,
    [property: Description("Glob pattern (Redis syntax: *, ?, [abc], \\ escapes).")] string Pattern,
    [property: Description("The keys found: text (encoding utf8), or base64 of their bytes when any of them is not UTF-8 (encoding base64); " +
                           "address such a key with key=BASE64 key_encoding=base64.")] IReadOnlyList<string> Keys,
    [property: Description("utf8: every key is its text; base64: some key was not UTF-8, so every key is base64.")] string Encoding,
    int Count,
    [property: Description("True when the walk stopped at limit before the end: pass cursor= to go on.")] bool Truncated,
    [property: Description("Where the next call resumes (cursor=; opaque: a Redis cursor, or one that resumes inside a SCAN page); \"0\" when the walk is complete.")] string Cursor);

[Description("Server statistics: headline fields typed, every field in fields (numbers as numbers).")]
public sealed record CacheInfoResult(
    string Backend,
    string Server,
    string? Version,
    long? UptimeSeconds,
    [property: Description("Keys (items) stored; for Redis, in the selected database.")] long? Keys,
    [property: Unit(UnitAttribute.Bytes), Description("Memory used for data, in bytes.")] long? UsedMemory,
    [property: Unit(UnitAttribute.Bytes), Description("Memory limit in bytes (maxmemory / limit_maxbytes); 0 or null for none.")] long? MaxMemory,
    long? ConnectedClients,
    [property: Description("Successful reads (keyspace_hits / get_hits).")] long? Hits,
    [property: Description("Reads of missing keys (keyspace_misses / get_misses).")] long? Misses,
    [property: Description("master or replica (Redis).")] string? Role,
    [property: Description("Every field the server reported: Redis INFO by section ({section: {field: value}}), memcached stats flat.")] JsonObject Fields);

[Description("A round trip to the server.")]
public sealed record CachePingResult(string Backend, string Server, [property: Description("Server version (null for the embedded store: resh's own).")] string? Version, double LatencyMs);

[Description("What flush removed.")]
public sealed record CacheFlushResult(
    string Backend, string Server,
    [property: Description("Keys removed (or, under --dry-run, that would be); null when the backend cannot count them.")] long? Keys,
    [property: Description("True when the flush ran (false under --dry-run).")] bool Flushed);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CacheGetResult))]
[JsonSerializable(typeof(CacheSetResult))]
[JsonSerializable(typeof(CacheDeleteResult))]
[JsonSerializable(typeof(CacheExistsResult))]
[JsonSerializable(typeof(CacheTtlResult))]
[JsonSerializable(typeof(CacheExpireResult))]
[JsonSerializable(typeof(CacheCounterResult))]
[JsonSerializable(typeof(CacheMGetResult))]
[JsonSerializable(typeof(CacheMSetResult))]
[JsonSerializable(typeof(CacheKeysResult))]
[JsonSerializable(typeof(CacheInfoResult))]
[JsonSerializable(typeof(CachePingResult))]
[JsonSerializable(typeof(CacheFlushResult))]
internal sealed partial class CacheJson : JsonSerializerContext;
