using System.Globalization;
using System.Text;
using System.Text.Json;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Cache.Redis;
using Resh.Handles.Lock;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Lock;

/// <summary>
/// lock:// on a Redis server, through the cache handle's connections (one per endpoint per process, every reply
/// bounded, TLS and passwords as for cache://). A lease is the key <c>resh:lock:{NAME}</c> holding
/// <c>TOKEN \n FENCE \n holder JSON</c> with a TTL; <c>resh:fence:{NAME}</c> counts acquires (the fencing number). Each
/// operation is one Lua script, so taking, renewing and releasing compare the token atomically. The braces keep
/// both keys in one slot of a cluster.
/// </summary>
public sealed class RedisLockBackend : ILockBackend
{
    const long MaxReply = 1024 * 1024;
    const int MaxNames = 100_000;

    // SET NX PX with the fencing number INCR draws, in one step: a later holder always has a larger number.
    const string AcquireScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          return {0, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
        end
        local fence = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. '\n' .. fence .. '\n' .. ARGV[3], 'NX', 'PX', ARGV[2])
        return {1, fence}
        """;

    const string ReadScript = "return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

    // Compare-and-delete: the token must start the value (ARGV[1] empty: force, whoever holds it).
    const string ReleaseScript = """
        local v = redis.call('GET', KEYS[1])
        if not v then return {0} end
        if ARGV[1] == '' or string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then
          redis.call('DEL', KEYS[1])
          return {1, v}
        end
        return {2, v, redis.call('PTTL', KEYS[1])}
        """;

    // Compare-and-pexpire.
    const string RenewScript = """
        local v = redis.call('GET', KEYS[1])
        if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    readonly RedisSession _redis;

    RedisLockBackend(RedisSession redis) => _redis = redis;

    public string Kind => "redis";
    public string? Server => _redis.Target.Server;
    public TimeSpan? DefaultTtl => TimeSpan.FromSeconds(30);

    /// <summary>Connects to the endpoint's Redis (the provider the CLI hands to <see cref="LockTarget.RedisProvider"/>).</summary>
    public static async Task<ILockBackend> ConnectAsync(VerbContext ctx, Endpoint endpoint, CancellationToken ct) =>
        new RedisLockBackend(await RedisSession.ConnectAsync(ctx, endpoint, "lock", MaxReply, ct).ConfigureAwait(false));

    static RedisKey LeaseKey(string name) => "resh:lock:{" + name + "}";
    static RedisKey FenceKey(string name) => "resh:fence:{" + name + "}";

    public Task<LockAttempt> TryAcquireAsync(string name, LockLease lease, TimeSpan? ttl, CancellationToken ct)
    {
        var ms = (long)Math.Ceiling((ttl ?? DefaultTtl!.Value).TotalMilliseconds);
        var body = JsonSerializer.Serialize(lease with { Token = "", Expires = null, Fence = null }, LockRedisJson.Default.LockLease);
        return Call(db => db.ScriptEvaluateAsync(AcquireScript, [LeaseKey(name), FenceKey(name)], [lease.Token, ms, body]), reply =>
        {
            var parts = Parts(reply, 2);
            if (Int(parts[0]) == 1)
                return new LockAttempt(lease with { Fence = Int(parts[1]), Expires = DateTime.UtcNow.AddMilliseconds(ms) }, null);
            return new LockAttempt(null, Parse(Bulk(parts[1]), parts.Length > 2 ? Int(parts[2]) : -1) ?? Unknown(-1));
        }, ct);
    }

    public Task<LockLease?> ReadAsync(string name, CancellationToken ct) =>
        Call(db => db.ScriptEvaluateAsync(ReadScript, [LeaseKey(name)]), reply =>
        {
            var parts = Parts(reply, 2);
            return Parse(Bulk(parts[0]), Int(parts[1]));
        }, ct);

    public async Task<LockReleaseOutcome> ReleaseAsync(string name, string? token, bool dryRun, CancellationToken ct)
    {
        if (dryRun)
        {
            var lease = await ReadAsync(name, ct).ConfigureAwait(false);
            if (lease is null) return new LockReleaseOutcome(LockReleaseState.NotHeld, null);
            return token is null || LockStore.SameToken(lease.Token, token)
                ? new LockReleaseOutcome(LockReleaseState.Released, lease)
                : new LockReleaseOutcome(LockReleaseState.WrongToken, lease);
        }
        // A token with a newline could match a prefix of another's value: no token resh made has one.
        if (token is not null && (token.Length == 0 || token.Contains('\n')))
        {
            var held = await ReadAsync(name, ct).ConfigureAwait(false);
            return new LockReleaseOutcome(held is null ? LockReleaseState.NotHeld : LockReleaseState.WrongToken, held);
        }
        return await Call(db => db.ScriptEvaluateAsync(ReleaseScript, [LeaseKey(name)], [token ?? ""]), reply =>
        {
            var parts = Parts(reply, 1);
            return Int(parts[0]) switch
            {
                0 => new LockReleaseOutcome(LockReleaseState.NotHeld, null),
                1 => new LockReleaseOutcome(LockReleaseState.Released, Parse(Bulk(Parts(reply, 2)[1]), -1)),
                _ => new LockReleaseOutcome(LockReleaseState.WrongToken, Parse(Bulk(Parts(reply, 2)[1]), parts.Length > 2 ? Int(parts[2]) : -1) ?? Unknown(-1)),
            };
        }, ct).ConfigureAwait(false);
    }

    public Task<bool> RenewAsync(string name, string token, TimeSpan ttl, CancellationToken ct)
    {
        var ms = (long)Math.Ceiling(ttl.TotalMilliseconds);
        return Call(db => db.ScriptEvaluateAsync(RenewScript, [LeaseKey(name)], [token, ms]), reply => Int(reply) == 1, ct);
    }

    /// <summary>A server cannot watch a local process: the lease lives by its TTL and run's renewals.</summary>
    public Task AdoptChildAsync(string name, string token, int childPid, CancellationToken ct) => Task.CompletedTask;

    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        // Bounded: a server that never ends its SCAN (cursor never 0) is cut off after this many pages.
        for (var round = 0; round < 10_000 && names.Count < MaxNames; round++)
        {
            var (next, keys) = await Call(db => db.ExecuteAsync("SCAN", cursor, "MATCH", "resh:lock:{*}", "COUNT", 1000), reply =>
            {
                var page = Parts(reply, 2);
                if (page[0].Resp2Type != ResultType.BulkString || page[1].Resp2Type != ResultType.Array)
                    throw new CacheReplyException(CacheReplyException.Protocol, "SCAN answered something else than a cursor and a page of keys");
                return ((string?)page[0] ?? "0", ((RedisResult[])page[1]!).Select(k => Bulk(k) is { } b ? Encoding.UTF8.GetString(b) : "").ToList());
            }, ct).ConfigureAwait(false);
            foreach (var key in keys)
            {
                if (!key.StartsWith("resh:lock:{", StringComparison.Ordinal) || !key.EndsWith('}')) continue;
                var name = key["resh:lock:{".Length..^1];
                try { names.Add(LockStore.NameOf(name)); } catch (ReshException) { } // not a name resh writes
            }
            cursor = next;
            if (cursor == "0") break;
        }
        return names.ToList();
    }

    /// <summary>TOKEN \n FENCE \n JSON as a lease; a value resh did not write is a lease of an unknown holder (the key is taken all the same).</summary>
    static LockLease? Parse(byte[]? value, long pttl)
    {
        if (value is null) return null;
        var text = Encoding.UTF8.GetString(value);
        var parts = text.Split('\n', 3);
        if (parts.Length == 3 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var fence))
        {
            try
            {
                if (JsonSerializer.Deserialize(parts[2], LockRedisJson.Default.LockLease) is { } lease)
                    return lease with { Token = parts[0], Fence = fence, Expires = pttl > 0 ? DateTime.UtcNow.AddMilliseconds(pttl) : null };
            }
            catch (JsonException) { }
        }
        return Unknown(pttl) with { Token = parts[0] };
    }

    static LockLease Unknown(long pttl) =>
        new("", 0, 0, null, null, "unknown", DateTime.UnixEpoch, pttl > 0 ? DateTime.UtcNow.AddMilliseconds(pttl) : null, "not a lease resh wrote");

    static long Int(RedisResult r) => r.Resp2Type == ResultType.Integer ? (long)r
        : throw new CacheReplyException(CacheReplyException.Protocol, "a lock script answered a non-integer where it returns a number");

    static byte[]? Bulk(RedisResult r) => r.IsNull ? null : r.Resp2Type == ResultType.BulkString ? (byte[]?)r
        : throw new CacheReplyException(CacheReplyException.Protocol, "a lock script answered a non-string where it returns a value");

    static RedisResult[] Parts(RedisResult reply, int min)
    {
        if (reply.Resp2Type != ResultType.Array || (RedisResult[]?)reply is not { } parts || parts.Length < min)
            throw new CacheReplyException(CacheReplyException.Protocol, "a lock script answered something else than its reply array");
        return parts;
    }

    Task<T> Call<T>(Func<IDatabase, Task<RedisResult>> send, Func<RedisResult, T> read, CancellationToken ct) => _redis.Call(send, read, ct);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(LockLease))]
internal sealed partial class LockRedisJson : System.Text.Json.Serialization.JsonSerializerContext;
