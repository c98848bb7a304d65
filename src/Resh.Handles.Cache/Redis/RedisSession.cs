using System.Globalization;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Redis;

/// <summary>
/// A Redis server other handles use through the cache handle's connections (lock:// and mq:// on Redis): the server of a
/// <c>[HANDLE.NAME]</c> table or an inline host:port (url redis:// or rediss://, db, tls, ca, user, password secret-typed,
/// timeout), one pooled connection per server per process, and every command bounded by the timeout with whatever fails
/// turned into an envelope error whose hints name the handle's own table.
/// </summary>
internal sealed class RedisSession
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    readonly RedisReplyLimit _limit;

    RedisSession(ConnectionMultiplexer mux, RedisReplyLimit limit, CacheTarget target, TimeSpan timeout, string handle)
    {
        Mux = mux;
        Db = mux.GetDatabase(target.Db);
        _limit = limit;
        Target = target;
        Timeout = timeout;
        Handle = handle;
    }

    public ConnectionMultiplexer Mux { get; }
    public IDatabase Db { get; }
    public CacheTarget Target { get; }
    public TimeSpan Timeout { get; }
    /// <summary>The handle whose tables name this server (lock, mq): its hints point there.</summary>
    public string Handle { get; }

    /// <summary>Connects (or reuses the process's connection) to the endpoint's Redis; replies larger than <paramref name="maxReply"/> are refused.</summary>
    public static async Task<RedisSession> ConnectAsync(VerbContext ctx, Endpoint endpoint, string handle, long maxReply, CancellationToken ct)
    {
        var target = TargetOf(endpoint, handle);
        var timeout = TimeoutOf(endpoint, handle);
        var password = endpoint.Secret(ctx, "password");
        // As etcd over http:// and MQTT: a password that goes to another host in clear is said (s33 attacker #4).
        if (password is not null && target.TlsMode == "off" && !endpoint.IsLoopback)
            ctx.Warn($"The password for {(endpoint.Profile is { } p ? $"[{handle}.{p}]" : endpoint.Display(CacheTarget.RedisPort))} goes to Redis without TLS (readable on the network); use url = \"rediss://...\" with ca=.");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var (mux, limit, _) = await RedisConnections.GetAsync(ctx, target, password, timeout, cts.Token).ConfigureAwait(false);
            limit.MaxValue = maxReply;
            return new RedisSession(mux, limit, target, timeout, handle);
        }
        catch (Exception e) when (e is not ReshException && (e is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            throw ForHandle(CacheCall.Translate(e, target, timeout, cts.IsCancellationRequested && !ct.IsCancellationRequested), endpoint, handle).ToException();
        }
    }

    /// <summary>The Redis server of a [HANDLE.NAME] table or an inline host:port: url redis:// or rediss://, db, tls, ca, user.</summary>
    public static CacheTarget TargetOf(Endpoint endpoint, string handle)
    {
        var table = endpoint.Profile is null ? "the target" : $"[{handle}.{endpoint.Profile}]";
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
        var tls = endpoint.TlsMode(table, url?.Scheme == "rediss" || ca is not null ? "on" : "off");
        return new CacheTarget(CacheKind.Redis, endpoint, endpoint.Host, endpoint.Port ?? CacheTarget.RedisPort, db, tls, ca, endpoint.User, null);
    }

    /// <summary>How long one connect or command may take: the table's timeout = "10s", else 5 s.</summary>
    public static TimeSpan TimeoutOf(Endpoint endpoint, string handle)
    {
        if (endpoint.Setting("timeout") is not { } text) return DefaultTimeout;
        if (Resh.Core.Values.DurationValue.TryParse(text, out var t) && t > TimeSpan.Zero && t <= TimeSpan.FromHours(1)) return t;
        throw ReshError.Usage($"timeout = \"{text}\" in [{handle}.{endpoint.Profile}] is not a duration between 1ms and 1h.", "Example: timeout = \"10s\"").ToException();
    }

    /// <summary>Sends one command and reads its reply within the timeout (or <paramref name="limit"/>); whatever fails becomes an envelope error (a malformed reply: the protocol was broken).</summary>
    public async Task<T> Call<T>(Func<IDatabase, Task<RedisResult>> send, Func<RedisResult, T> read, CancellationToken ct, TimeSpan? limit = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(limit ?? Timeout);
        // A refused reply ends the call at once: the client would otherwise wait for it until the timeout.
        using var refused = _limit.Refused.Register(static s => ((CancellationTokenSource)s!).Cancel(), cts);
        try
        {
            return read(await send(Db).WaitAsync(cts.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not ReshException && (e is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            throw Error(e, cts.IsCancellationRequested && !ct.IsCancellationRequested, limit ?? Timeout).ToException();
        }
    }

    /// <summary>What failed, as an envelope error (a refused reply, a timeout, a refused login...).</summary>
    public ReshError Error(Exception e, bool timedOut, TimeSpan? limit = null)
    {
        var error = _limit.Refusal is { } refusal ? CacheCall.Refused(refusal, Target)
            : CacheCall.Translate(e, Target, limit ?? Timeout, timedOut);
        return ForHandle(error, Target.Endpoint, Handle);
    }

    /// <summary>The cache's hints name cache:// tables and password=; these handles' passwords live in their [HANDLE.NAME] tables.</summary>
    static ReshError ForHandle(ReshError error, Endpoint? endpoint, string handle) => error.Code == ErrorCode.PermissionDenied
        ? error with
        {
            Hint = endpoint?.Profile is { } p
                ? $"Check password (and user for an ACL user) in the [{handle}.{p}] table: password = \"env:VAR\", \"file:PATH\" or \"secret:NAME\"."
                : $"An inline {handle}://HOST:PORT/NAME carries no password: add a [{handle}.NAME] table with url = \"redis://HOST:PORT\" and password = \"env:VAR\" (or file:PATH, secret:NAME), and use {handle}://NAME/{(handle == "lock" ? "LOCK" : "QUEUE")}.",
        }
        : error;
}
