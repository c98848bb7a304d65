using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Resh.Core.Endpoints;
using Resh.Core.Execution;
using Resh.Core.Secrets;
using StackExchange.Redis;

namespace Resh.Handles.Cache.Redis;

/// <summary>
/// One StackExchange.Redis multiplexer per endpoint per process (SPEC §9): a CLI call opens and closes its own,
/// `resh batch`, the REPL and servers reuse it. The key holds a hash of the password, never the password.
/// </summary>
internal static class RedisConnections
{
    static readonly ConcurrentDictionary<string, Lazy<Task<(ConnectionMultiplexer Mux, RedisReplyLimit Limit)>>> s_pool = new(StringComparer.Ordinal);

    static readonly HashSet<string> s_handshakeOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "PUBLISH",
        "CLUSTER", "SENTINEL", "CONFIG", "ECHO",
    };

    /// <summary>The certificate check of the latest connection attempt, so a refused certificate is reported as such (the client calls it an authentication failure).</summary>
    public static TlsTrust? LastTrust { get; private set; }

    public static async Task<(ConnectionMultiplexer Mux, RedisReplyLimit Limit, bool Reused)> GetAsync(VerbContext ctx, CacheTarget target, SecretValue? password, TimeSpan timeout, CancellationToken ct)
    {
        var trust = target.TlsMode == "off" ? null : TlsTrust.Create(target.Ca, insecure: target.TlsMode == "insecure");
        if (target.TlsMode == "insecure") ctx.Warn(TlsTrust.InsecureWarning);
        LastTrust = trust;
        var key = string.Join('\n', target.Host, target.Port, target.TlsMode, target.Ca ?? "", target.User ?? "",
            password is null ? "" : Convert.ToHexStringLower(SHA256.HashData(password.RevealBytes())));
        var created = false;
        var lazy = s_pool.GetOrAdd(key, _ =>
        {
            created = true;
            return new Lazy<Task<(ConnectionMultiplexer, RedisReplyLimit)>>(() => ConnectAsync(target, password, trust, timeout));
        });
        try
        {
            var (mux, limit) = await lazy.Value.WaitAsync(ct).ConfigureAwait(false);
            if (limit.Refusal is null) return (mux, limit, !created);
        }
        catch
        {
            s_pool.TryRemove(new KeyValuePair<string, Lazy<Task<(ConnectionMultiplexer, RedisReplyLimit)>>>(key, lazy));
            throw;
        }
        // The pooled connection refused a reply earlier (its stream is dead): drop it and connect afresh.
        if (s_pool.TryRemove(new KeyValuePair<string, Lazy<Task<(ConnectionMultiplexer, RedisReplyLimit)>>>(key, lazy)))
            _ = DisposeQuietly(lazy.Value.Result.Mux);
        return await GetAsync(ctx, target, password, timeout, ct).ConfigureAwait(false);
    }

    static async Task DisposeQuietly(ConnectionMultiplexer mux)
    {
        try { await mux.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false); } catch (Exception) { }
        try { await mux.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
    }

    static async Task<(ConnectionMultiplexer, RedisReplyLimit)> ConnectAsync(CacheTarget target, SecretValue? password, TlsTrust? trust, TimeSpan timeout)
    {
        var limit = new RedisReplyLimit();
        var ms = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        var options = new ConfigurationOptions
        {
            EndPoints = { { target.Host, target.Port } },
            User = target.User,
            Password = password?.Reveal(),
            AbortOnConnectFail = true,
            ConnectRetry = 0,
            ConnectTimeout = ms,
            SyncTimeout = ms,
            AsyncTimeout = ms,
            AllowAdmin = true, // INFO, FLUSHDB (flush needs force=true; the handle guards it)
            ClientName = "resh",
            SetClientLibrary = false,
            IncludeDetailInExceptions = false,
        };
        // Every reply passes the guard (max_value); with TLS the tunnel does the handshake, so the guard reads plaintext.
        options.Tunnel = new GuardTunnel(limit, trust, target.Host);
        // No tie-breaker key: it is one GET more in every handshake, and resh talks to one server, never picks a primary.
        options.TieBreaker = "";
        // A least-privilege ACL user (e.g. +get +hello +ping +client +auth) must be able to connect: the handshake sends
        // no command resh does not need. No configuration channel and no SUBSCRIBE (no subscription connection), no
        // CLUSTER/SENTINEL discovery (resh talks to one server), no CONFIG GET, and PING instead of ECHO as the tracer.
        // INFO stays available (the info verb); a refused INFO only leaves the server's version unknown.
        options.ConfigurationChannel = "";
        options.CommandMap = CommandMap.Create(s_handshakeOnly, available: false);
        // A refused reply of the handshake itself ends the connect at once (the client would wait for its connect timeout).
        var connecting = ConnectionMultiplexer.ConnectAsync(options, TextWriter.Null);
        try { return (await connecting.WaitAsync(limit.Refused).ConfigureAwait(false), limit); }
        catch (Exception) when (limit.Refusal is { } refusal)
        {
            _ = connecting.ContinueWith(static t => { if (t.IsCompletedSuccessfully) _ = DisposeQuietly(t.Result); }, TaskScheduler.Default);
            throw refusal;
        }

    }
}
