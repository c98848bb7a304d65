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
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
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

    readonly IDatabase _db;
    readonly CacheTarget _target;
    readonly RedisReplyLimit _limit;
    readonly TimeSpan _timeout;

    RedisLockBackend(ConnectionMultiplexer mux, RedisReplyLimit limit, CacheTarget target, TimeSpan timeout)
    {
        _db = mux.GetDatabase(target.Db);
        _limit = limit;
        _target = target;
        _timeout = timeout;
    }

    public string Kind => "redis";
    public string? Server => _target.Server;
    public TimeSpan? DefaultTtl => TimeSpan.FromSeconds(30);

    /// <summary>Connects to the endpoint's Redis (the provider the CLI hands to <see cref="LockTarget.RedisProvider"/>).</summary>
    public static async Task<ILockBackend> ConnectAsync(VerbContext ctx, Endpoint endpoint, CancellationToken ct)
    {
        var target = TargetOf(endpoint);
        var timeout = TimeoutOf(endpoint);
        var password = endpoint.Secret(ctx, "password");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var (mux, limit, _) = await RedisConnections.GetAsync(ctx, target, password, timeout, cts.Token).ConfigureAwait(false);
            limit.MaxValue = MaxReply;
            return new RedisLockBackend(mux, limit, target, timeout);
        }
        catch (Exception e) when (e is not ReshException && (e is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            throw ForLock(CacheCall.Translate(e, target, timeout, cts.IsCancellationRequested && !ct.IsCancellationRequested), endpoint).ToException();
        }
    }

    /// <summary>The Redis server of a [lock.NAME] table or an inline host:port: url redis:// or rediss://, db, tls, ca, user.</summary>
    static CacheTarget TargetOf(Endpoint endpoint)
    {
        var table = endpoint.Profile is null ? "the target" : $"[lock.{endpoint.Profile}]";
        var url = endpoint.Setting("url") is { } u && Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null;
        var db = 0;
        if (endpoint.IntSetting("db") is { } tableDb) db = (int)tableDb;
        else if (url is not null && url.AbsolutePath.Trim('/') is { Length: > 0 } p)
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out db))
                throw ReshError.Usage($"`/{p}` in the url of {table} is not a Redis database index.", "Write url = \"redis://HOST:6379/0\" (or leave the path out).").ToException();
        }
        if (db is < 0 or > 10_000) throw ReshError.Usage($"db = {db} in {table} is not a Redis database index.", "Use 0-15 (the server's databases setting).").ToException();
        var ca = endpoint.Setting("ca");
        var tls = endpoint.Setting("tls") ?? (url?.Scheme == "rediss" || ca is not null ? "on" : "off");
        if (tls is "true" or "verify" or "required") tls = "on";
        if (tls is "false" or "none" or "disabled") tls = "off";
        if (tls is not ("on" or "off" or "insecure"))
            throw ReshError.Usage($"tls = \"{tls}\" in {table} is not a TLS mode.", "Use off, on or insecure.").ToException();
        return new CacheTarget(CacheKind.Redis, endpoint, endpoint.Host, endpoint.Port ?? CacheTarget.RedisPort, db, tls, ca, endpoint.User, null);
    }

    /// <summary>How long one connect or command may take: the table's timeout = "10s", else 5 s.</summary>
    static TimeSpan TimeoutOf(Endpoint endpoint)
    {
        if (endpoint.Setting("timeout") is not { } text) return DefaultTimeout;
        if (Resh.Core.Values.DurationValue.TryParse(text, out var t) && t > TimeSpan.Zero && t <= TimeSpan.FromHours(1)) return t;
        throw ReshError.Usage($"timeout = \"{text}\" in [lock.{endpoint.Profile}] is not a duration between 1ms and 1h.", "Example: timeout = \"10s\"").ToException();
    }

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

    /// <summary>Sends one command and reads its reply within the timeout; whatever fails becomes an envelope error (a malformed reply: the protocol was broken).</summary>
    async Task<T> Call<T>(Func<IDatabase, Task<RedisResult>> send, Func<RedisResult, T> read, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        // A refused reply ends the call at once: the client would otherwise wait for it until the timeout.
        using var refused = _limit.Refused.Register(static s => ((CancellationTokenSource)s!).Cancel(), cts);
        try
        {
            return read(await send(_db).WaitAsync(cts.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not ReshException && (e is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            var error = _limit.Refusal is { } refusal ? CacheCall.Refused(refusal, _target)
                : CacheCall.Translate(e, _target, _timeout, cts.IsCancellationRequested && !ct.IsCancellationRequested);
            throw ForLock(error, _target.Endpoint).ToException();
        }
    }

    /// <summary>The cache's hints name cache:// tables and password=; a lock's password lives in its [lock.NAME] table.</summary>
    static ReshError ForLock(ReshError error, Endpoint? endpoint) => error.Code == ErrorCode.PermissionDenied
        ? error with
        {
            Hint = endpoint?.Profile is { } p
                ? $"Check password (and user for an ACL user) in the [lock.{p}] table: password = \"env:VAR\", \"file:PATH\" or \"secret:NAME\"."
                : "An inline lock://HOST:PORT/NAME carries no password: add a [lock.NAME] table with url = \"redis://HOST:PORT\" and password = \"env:VAR\" (or file:PATH, secret:NAME), and use lock://NAME/LOCK.",
        }
        : error;
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(LockLease))]
internal sealed partial class LockRedisJson : System.Text.Json.Serialization.JsonSerializerContext;
