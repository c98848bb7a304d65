using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Cache.Embedded;
using Resh.Handles.Cache.Memcached;
using Resh.Handles.Cache.Redis;
using StackExchange.Redis;

namespace Resh.Handles.Cache;

/// <summary>Runs one verb against the target's backend: resolves the target, takes the process's connection to it, bounds the call by timeout=, translates what fails.</summary>
internal static class CacheCall
{
    public static async ValueTask<Outcome<T>> RunAsync<T>(VerbContext ctx, Func<ICacheBackend, CancellationToken, Task<Outcome<T>>> body)
    {
        var target = CacheTarget.Resolve(ctx);
        var timeout = ctx.Get(CacheArgs.Timeout) ?? TimeSpan.FromSeconds(5);
        var maxValue = Math.Max(1, ctx.Get(CacheArgs.MaxValue) ?? CacheArgs.DefaultMaxValue);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(timeout);
        RedisReplyLimit? limit = null;
        CancellationTokenRegistration refused = default;
        try
        {
            ICacheBackend backend;
            switch (target.Kind)
            {
                case CacheKind.Embedded:
                    backend = new EmbeddedStore(target.StorePath!, ctx.Runtime.Paths);
                    break;
                case CacheKind.Memcached:
                    var conn = (await MemcachedConnection.GetAsync(target.Host, target.Port, cts.Token).ConfigureAwait(false)).Connection;
                    conn.MaxValue = maxValue;
                    backend = new MemcachedBackend(conn, target);
                    break;
                default:
                    var password = ctx.GetSecret(CacheArgs.Password) ?? target.Endpoint?.Secret(ctx, "password");
                    var (mux, replyLimit, _) = await RedisConnections.GetAsync(ctx, target, password, timeout, cts.Token).ConfigureAwait(false);
                    limit = replyLimit;
                    limit.MaxValue = maxValue;
                    // A refused reply ends the call at once: the client would otherwise wait for it until the timeout.
                    refused = limit.Refused.Register(static s => ((CancellationTokenSource)s!).Cancel(), cts);
                    backend = new RedisBackend(mux, target);
                    break;
            }
            return await body(backend, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ReshException && (e is not OperationCanceledException || !ctx.Cancellation.IsCancellationRequested))
        {
            if (limit?.Refusal is { } refusal) return Refused(refusal, target);
            return Translate(e, target, timeout, cts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested);
        }
        finally
        {
            await refused.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A reply resh would not read: too large for max_value, or not the protocol.</summary>
    internal static ReshError Refused(CacheReplyException e, CacheTarget target)
    {
        var details = new JsonObject
        {
            ["server"] = target.Server,
            ["backend"] = target.Kind.ToString().ToLowerInvariant(),
            ["reason"] = e.Reason,
        };
        if (e.Declared is { } declared) details["declared_bytes"] = declared;
        if (e.Max is { } max) details["max_value"] = max;
        if (e.Reason == CacheReplyException.Auth)
        {
            details["user"] = target.User ?? "default";
            return ReshError.PermissionDenied($"{target.Server}: authentication failed for user {target.User ?? "default"}; resh ran nothing.",
                "Check the password (and user= for an ACL user): give password=secret:NAME (or env:VAR, file:PATH), or fix them in the [cache.NAME] table.", details);
        }
        return e.Reason == CacheReplyException.TooLarge
            ? ReshError.Failed($"{target.Server}: {e.Message}",
                "If the value really is that large, give max_value=SIZE (e.g. max_value=512MiB), or set max_value in [defaults.cache] of the config file.", details)
            : ReshError.Failed($"{target.Server} broke the protocol: {e.Message}",
                $"Check that {target.Server} is a {target.Kind.ToString().ToLowerInvariant()} server (and the port is right).", details);
    }

    /// <summary>
    /// True when host:port refuses a TCP connection at once. The Redis client reports a refused port as "could not connect"
    /// only when its own connect loop notices before the call's timeout; on a loaded machine the timeout came first and a
    /// server that is down was reported as slow.
    /// </summary>
    static bool Refuses(string host, int port)
    {
        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            socket.ConnectAsync(host, port, cts.Token).AsTask().GetAwaiter().GetResult();
            return false;
        }
        catch (SocketException se) { return se.SocketErrorCode == SocketError.ConnectionRefused; }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ArgumentException) { return false; }
    }

    internal static ReshError Translate(Exception e, CacheTarget target, TimeSpan timeout, bool timedOut)
    {
        var server = target.Server;
        if (e is CacheReplyException cr) return Refused(cr, target);
        if (Inner<CacheReplyException>(e) is { } inner) return Refused(inner, target);
        var details = new JsonObject { ["server"] = server, ["backend"] = target.Kind.ToString().ToLowerInvariant() };
        if ((timedOut || e is TimeoutException or RedisTimeoutException || e is OperationCanceledException) && target.Kind != CacheKind.Embedded && Refuses(target.Host, target.Port))
            return ReshError.Unavailable($"Cannot connect to {server}: the connection was refused (nothing listens there).",
                target.Kind == CacheKind.Redis ? "Check that redis-server runs there (redis-cli -h HOST -p PORT ping), or give the right host:port." : "Check that the server runs there, or give the right host:port.", details) with { NotSent = true };
        if (timedOut || e is TimeoutException or RedisTimeoutException || e is OperationCanceledException)
            return ReshError.Timeout($"{server} did not answer within {Resh.Core.Values.DurationValue.Format(timeout)}.",
                "Check that the server is up and not overloaded; give a longer timeout= if it is just slow.", details);
        if (e is RedisConnectionException rc)
        {
            details["failure"] = rc.FailureType.ToString();
            if (target.TlsMode != "off" && (RedisConnections.LastTrust?.LastFailure is { } why || Inner<System.Security.Authentication.AuthenticationException>(rc) is not null))
            {
                details["tls_failure"] = RedisConnections.LastTrust?.LastFailure;
                return ReshError.Unavailable($"The TLS handshake with {server} failed: {RedisConnections.LastTrust?.LastFailure ?? "its certificate was not trusted (or it does not speak TLS)"}.",
                    Resh.Core.Endpoints.TlsTrust.Hint, details) with { NotSent = true, Transient = false };
            }
            if (rc.FailureType == ConnectionFailureType.AuthenticationFailure || Inner<RedisServerException>(rc) is { } auth && IsAuth(auth.Message))
                return ReshError.PermissionDenied($"{server} refused the login: wrong or missing password (or user).",
                    "Give password=secret:NAME (or env:VAR, file:PATH) and user= for an ACL user, or set them in the [cache.NAME] table.", details);
            return ReshError.Unavailable($"Cannot connect to Redis at {server}: {Reason(rc)}.",
                target.Kind == CacheKind.Redis ? "Check that redis-server runs there (redis-cli -h HOST -p PORT ping), or give the right host:port." : null, details)
                with { NotSent = rc.FailureType == ConnectionFailureType.UnableToConnect || ExceptionTranslation.NeverConnected(rc) };
        }
        if (e is RedisServerException rs)
        {
            var msg = rs.Message;
            var code = msg.Split(' ', 2)[0];
            details["redis_error"] = code;
            if (code == "WRONGTYPE")
                return ReshError.Conflict("The key holds a value of another type than this verb works on (Redis WRONGTYPE).",
                    "`get` shows the key's type and content; use another key, or delete it first.", details);
            if (IsAuth(msg) || code == "NOPERM")
                return ReshError.PermissionDenied($"{server} refused the command: {Clip(msg)}.", "Give password= (and user=) of a user allowed to run it.", details);
            if (msg.Contains("not an integer", StringComparison.Ordinal) || msg.Contains("overflow", StringComparison.Ordinal))
                return ReshError.Conflict($"The key's value is not an integer (or would overflow): {Clip(msg)}.", "set it to a number first, or use another key.", details);
            return ReshError.Failed($"Redis answered: {Clip(msg)}.", null, details);
        }
        if (e is MemcachedReplyException mr)
        {
            details["reply"] = Clip(mr.Reply);
            if (mr.Reply.Contains("non-numeric", StringComparison.Ordinal))
                return ReshError.Conflict("The key's value is not a number, so memcached cannot increment it.", "set it to a number first, or use another key.", details);
            if (mr.Reply.Contains("too large", StringComparison.Ordinal))
                return ReshError.Failed("The value is larger than memcached's item size limit (-I, 1 MiB by default).", "Store a smaller value or raise the server's -I.", details);
            return ReshError.Failed($"memcached answered: {Clip(mr.Reply)}.", null, details);
        }
        if (e is SocketException se)
        {
            details["errno"] = se.SocketErrorCode.ToString();
            return ReshError.Unavailable($"Cannot connect to {target.Kind.ToString().ToLowerInvariant()} at {server}: {ExceptionTranslation.OneLine(se.Message)}.",
                "Check that the server runs there and listens on that port.", details) with { NotSent = ExceptionTranslation.NeverConnected(se) };
        }
        if (e is IOException io && target.Kind != CacheKind.Embedded)
            return ReshError.Unavailable($"The connection to {server} failed: {ExceptionTranslation.OneLine(io.Message)}", "Retry; check the server's log if it keeps failing.", details);
        return ExceptionTranslation.ToError(e);
    }

    static bool IsAuth(string message) => message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal)
        || message.Contains("WRONGPASS", StringComparison.Ordinal) || message.Contains("NOAUTH", StringComparison.Ordinal);

    static T? Inner<T>(Exception e) where T : Exception
    {
        for (var x = e.InnerException; x is not null; x = x.InnerException)
            if (x is T t) return t;
        return null;
    }

    static string Reason(RedisConnectionException e) =>
        e.InnerException is SocketException s ? ExceptionTranslation.OneLine(s.Message) : e.FailureType switch
        {
            ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection => "connection refused or unreachable",
            _ => e.FailureType.ToString(),
        };

    static string Clip(string s) => ExceptionTranslation.OneLine(s.Length > 200 ? s[..200] + "…" : s).TrimEnd('.');
}
