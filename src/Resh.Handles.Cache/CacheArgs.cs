using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Cache;

/// <summary>The connection arguments every cache:// verb shares (SPEC §9), declared once.</summary>
internal static class CacheArgs
{
    public static readonly Arg<string?> Backend = Arg.Enum("backend",
        "The server's kind for an inline host:port: redis (default) or memcached. A [cache.NAME] table says it with backend= or its url scheme (redis://, rediss://, memcached://).",
        ["redis", "memcached"]);
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "Redis AUTH password (requirepass or an ACL user's).");
    public static readonly Arg<string?> User = Arg.String("user", "Redis ACL user name (default: user@ of the target, `user` of the config table, else the default user).");
    public static readonly Arg<string?> Tls = Arg.Enum("tls",
        "off (default for redis://): plaintext; on: TLS verified against the system store or ca= (default for rediss://); insecure: TLS without certificate verification (adds a warning).",
        ["off", "on", "insecure"]);
    public static readonly Arg<string?> Ca = Arg.String("ca", "PEM file of the certificate authority to trust instead of the system store (implies tls=on).");
    public static readonly Arg<long?> Db = Arg.Int("db", "Redis database index (default: the target's /N, the config table's db, else 0).", min: 0, max: 65535);
    public static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up (error `timeout`) when connecting or one command takes longer.", TimeSpan.FromSeconds(5));

    public static ArgInfo[] Common => [Backend, Password, User, Tls, Ca, Db, Timeout];

    public static readonly Arg<string?> Key = Arg.String("key", "The key.", required: true);
}
