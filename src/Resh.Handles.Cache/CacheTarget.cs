using System.Globalization;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Cache;

internal enum CacheKind { Redis, Memcached, Embedded }

/// <summary>
/// The server a cache:// call talks to (SPEC §9). <c>cache://[user@]HOST[:PORT][/DB]</c> names a server inline
/// (redis unless backend=memcached; /DB is the Redis database index, as in redis:// URLs); <c>cache://NAME</c> is the
/// <c>[cache.NAME]</c> table (url = redis://, rediss:// or memcached://, or backend=; user, password, tls, ca, db);
/// <c>cache:///</c> is <c>[cache.default]</c>, else the embedded store in the state directory.
/// </summary>
internal sealed record CacheTarget(CacheKind Kind, Endpoint? Endpoint, string Host, int Port, int Db, string TlsMode, string? Ca, string? User, string? StorePath)
{
    public const int RedisPort = 6379;
    public const int MemcachedPort = 11211;

    public string Server => Kind == CacheKind.Embedded ? StorePath! : (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    public static CacheTarget Resolve(VerbContext ctx)
    {
        var target = ctx.Target;
        var slash = target.IndexOf('/');
        var authority = slash < 0 ? target : target[..slash];
        var path = slash < 0 ? "" : target[(slash + 1)..].Trim('/');
        var endpoint = EndpointResolver.Resolve(ctx, "cache", authority);
        if (endpoint is null)
        {
            if (path.Length > 0)
                throw ReshError.Usage($"The embedded cache store has no databases or paths (`cache:///{path}`).",
                    "Write cache:/// for the embedded store, or cache://HOST:PORT/DB for a Redis database.").ToException();
            if (ctx.IsSet(CacheArgs.Backend) || ctx.IsSet(CacheArgs.Password) || ctx.IsSet(CacheArgs.Tls) || ctx.IsSet(CacheArgs.Db))
                throw ReshError.Usage("cache:/// is the embedded store (no [cache.default] table is configured): backend=, password=, tls= and db= name a server.",
                    "Name the server in the target (cache://127.0.0.1:6379) or add [cache.default] with url = \"redis://HOST:6379\" to the config file.").ToException();
            var dir = ctx.Runtime.Paths.StateSubdir("cache");
            return new CacheTarget(CacheKind.Embedded, null, "", 0, 0, "off", null, null, Path.Combine(dir, "default.store"));
        }

        // The backend: backend= on the call, else the table's backend=, else its url scheme, else redis.
        var urlScheme = endpoint.Setting("url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Scheme : null;
        var backendName = ctx.Get(CacheArgs.Backend) ?? endpoint.Setting("backend") ?? urlScheme switch
        {
            "memcached" or "memcache" => "memcached",
            null or "redis" or "rediss" or "cache" => "redis",
            var other => throw ReshError.Usage($"The url scheme `{other}` of [cache.{endpoint.Profile}] names no cache backend.",
                "Use redis://, rediss:// or memcached:// (or backend = \"redis\" | \"memcached\" | \"embedded\").").ToException(),
        };
        if (backendName == "embedded" && endpoint.Profile is not null)
        {
            var store = endpoint.Setting("path") ?? Path.Combine(ctx.Runtime.Paths.StateSubdir("cache"), endpoint.Profile + ".store");
            return new CacheTarget(CacheKind.Embedded, endpoint, "", 0, 0, "off", null, null, store);
        }
        var kind = backendName switch
        {
            "redis" => CacheKind.Redis,
            "memcached" => CacheKind.Memcached,
            _ => throw ReshError.Usage($"`{backendName}` is not a cache backend.", "Use redis, memcached or (in a config table) embedded.").ToException(),
        };

        int db = 0;
        if (path.Length > 0)
        {
            if (kind != CacheKind.Redis || !int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out db))
                throw ReshError.Usage($"`/{path}` in the target is not a Redis database index.",
                    "The path of a cache:// target is the Redis database number (cache://127.0.0.1:6379/2); memcached has none.").ToException();
        }
        else if (endpoint.IntSetting("db") is { } tableDb) db = (int)tableDb;
        else if (urlScheme is "redis" or "rediss" && Uri.TryCreate(endpoint.Setting("url"), UriKind.Absolute, out var u2) && u2.AbsolutePath.Trim('/') is { Length: > 0 } p
                 && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var urlDb)) db = urlDb;
        if (ctx.Get(CacheArgs.Db) is { } argDb) db = (int)argDb;

        var ca = ctx.Get(CacheArgs.Ca) ?? endpoint.Setting("ca");
        var tls = ctx.Get(CacheArgs.Tls) ?? endpoint.Setting("tls") ?? (urlScheme == "rediss" || ca is not null ? "on" : "off");
        if (tls is "true" or "verify" or "required") tls = "on";
        if (tls is "false" or "none" or "disabled") tls = "off";
        if (tls is not ("on" or "off" or "insecure"))
            throw ReshError.Usage($"tls = \"{tls}\" in [cache.{endpoint.Profile}] is not a TLS mode.", "Use off, on or insecure.").ToException();
        var user = ctx.Get(CacheArgs.User) ?? endpoint.User;
        if (kind == CacheKind.Memcached)
        {
            if (tls != "off")
                throw ReshError.Unsupported("resh's memcached client speaks plaintext only (memcached's TLS is a build option most servers lack).",
                    "Reach it over a trusted network or an SSH tunnel, or use tls=off.").ToException();
            if (ctx.IsSet(CacheArgs.Password) || endpoint.Setting("password") is not null || ctx.IsSet(CacheArgs.Db) || db != 0)
                throw ReshError.Unsupported("memcached has no password (SASL is binary-protocol only) and no databases.",
                    "Drop password= and db= for a memcached server.").ToException();
        }
        var port = endpoint.Port ?? (kind == CacheKind.Redis ? RedisPort : MemcachedPort);
        return new CacheTarget(kind, endpoint, endpoint.Host, port, db, tls, ca, user, null);
    }
}
