using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
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
    public static readonly Arg<string?> Ca = Arg.String("ca", "PEM file of the certificate authority to trust instead of the system store (implies tls=on).", path: PathUse.Read);
    public static readonly Arg<long?> Db = Arg.Int("db", "Redis database index (default: the target's /N, the config table's db, else 0).", min: 0, max: 65535);
    public static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up (error `timeout`) when connecting or one command takes longer.", TimeSpan.FromSeconds(5));

    public static readonly Arg<long?> MaxValue = Arg.Size("max_value",
        "Refuse a server reply larger than this (one value, or one whole Redis reply such as a hash), from its declared length and before reading it: " +
        "a broken or hostile server cannot make resh allocate more. Raise it for really large values ([defaults.cache] max_value sets it for every call).",
        DefaultMaxValue);

    public const long DefaultMaxValue = 64L * 1024 * 1024;

    public static ArgInfo[] Common => [Backend, Password, User, Tls, Ca, Db, Timeout, MaxValue];

    public static readonly Arg<string?> Key = Arg.String("key", "The key (text; base64 of its bytes with key_encoding=base64).", required: true);
    public static readonly Arg<string?> KeyEncoding = Arg.Enum("key_encoding",
        "How key (keys, the keys of items) is written: utf8 (the text itself, default) or base64 (its bytes, for a key that is not UTF-8, as keys lists it).",
        [CacheValue.Utf8Name, CacheValue.Base64Name], CacheValue.Utf8Name);

    /// <summary>The bytes of key= (or any key the verb was given) under key_encoding.</summary>
    public static byte[] KeyBytes(VerbContext ctx, string key)
    {
        if (ctx.Get(KeyEncoding) != CacheValue.Base64Name) return Encoding.UTF8.GetBytes(key);
        try { return Convert.FromBase64String(key.Trim()); }
        catch (FormatException)
        {
            throw ReshError.Usage($"The key `{(key.Length > 40 ? key[..40] + "…" : key)}` is not valid base64 (key_encoding=base64).",
                "Give the key as keys lists it (base64 of its bytes), or drop key_encoding=base64 for a text key.").ToException();
        }
    }

    public static byte[] KeyBytes(VerbContext ctx) => KeyBytes(ctx, ctx.Get(Key)!);
}
