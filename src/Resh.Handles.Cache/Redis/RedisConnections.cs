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
    static readonly ConcurrentDictionary<string, Lazy<Task<ConnectionMultiplexer>>> s_pool = new(StringComparer.Ordinal);

    /// <summary>The certificate check of the latest connection attempt, so a refused certificate is reported as such (the client calls it an authentication failure).</summary>
    public static TlsTrust? LastTrust { get; private set; }

    public static async Task<(ConnectionMultiplexer Mux, bool Reused)> GetAsync(VerbContext ctx, CacheTarget target, SecretValue? password, TimeSpan timeout, CancellationToken ct)
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
            return new Lazy<Task<ConnectionMultiplexer>>(() => ConnectAsync(target, password, trust, timeout));
        });
        try
        {
            var mux = await lazy.Value.WaitAsync(ct).ConfigureAwait(false);
            return (mux, !created);
        }
        catch
        {
            s_pool.TryRemove(new KeyValuePair<string, Lazy<Task<ConnectionMultiplexer>>>(key, lazy));
            throw;
        }
    }

    static async Task<ConnectionMultiplexer> ConnectAsync(CacheTarget target, SecretValue? password, TlsTrust? trust, TimeSpan timeout)
    {
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
        if (trust is not null)
        {
            options.Ssl = true;
            options.SslHost = target.Host;
            options.CertificateValidation += trust.Validate;
        }
        return await ConnectionMultiplexer.ConnectAsync(options, TextWriter.Null).ConfigureAwait(false);
    }
}
