using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Lock;

/// <summary>
/// Which backend and lock a target names (SPEC §9). <c>lock://NAME</c> (no slash) is the local lock NAME, as always;
/// <c>lock:///NAME</c> is <c>[lock.default]</c> when the config has one, else local; <c>lock://HOST:PORT/NAME</c> is
/// a Redis server named inline (no password: use a profile for one); <c>lock://PROFILE/NAME</c> is the
/// <c>[lock.PROFILE]</c> table (url = "redis://..." or "rediss://...", user, password, tls, ca, db; url = "http://HOST:2379",
/// "https://..." or "etcd://..." for etcd; backend = "local").
/// For list, which names no lock, the target is only the server: <c>lock://PROFILE.list</c>, <c>lock://HOST:PORT/.list</c>.
/// </summary>
public static class LockTarget
{
    /// <summary>Connects the Redis backend for an endpoint; set by the CLI's catalog (Resh.Handles.Cache owns Redis).</summary>
    public static Func<VerbContext, Endpoint, CancellationToken, Task<ILockBackend>>? RedisProvider { get; set; }

    /// <summary>The lock's name and its backend. <paramref name="named"/> false for list (no name, the target is the server).</summary>
    public static async Task<(string Name, ILockBackend Backend)> OpenAsync(VerbContext ctx, bool named = true)
    {
        var target = ctx.Target;
        string authority, path;
        if (!named)
        {
            if (target.Length == 0) return ("", new LockStore(ctx.Runtime.Paths));
            var bare = target.StartsWith('/') ? "" : target.TrimEnd('/');
            if (bare.Contains('/') || (target.StartsWith('/') && target.Trim('/').Length > 0))
                throw ReshError.Usage("list takes no lock name: the target names only the server.",
                    "Examples: lock://.list (local), lock://PROFILE.list, lock://127.0.0.1:6379/.list").ToException();
            authority = bare;
            path = "";
        }
        else
        {
            var slash = target.IndexOf('/');
            if (slash < 0) return (LockStore.NameOf(target), new LockStore(ctx.Runtime.Paths)); // lock://NAME: the local lock
            authority = target[..slash];
            path = target[(slash + 1)..];
        }
        var endpoint = EndpointResolver.Resolve(ctx, "lock", authority);
        var name = named ? LockStore.NameOf(path) : "";
        if (endpoint is null) return (name, new LockStore(ctx.Runtime.Paths));

        var urlScheme = endpoint.Setting("url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Scheme : null;
        var backend = endpoint.Setting("backend") ?? urlScheme switch
        {
            null or "redis" or "rediss" => "redis",
            "etcd" or "http" or "https" => "etcd",
            var other => throw ReshError.Usage($"The url scheme `{other}` of [lock.{endpoint.Profile}] names no lock backend.",
                "Use url = \"redis://HOST:6379\" or \"rediss://HOST:6380\" (or backend = \"local\").").ToException(),
        };
        switch (backend)
        {
            case "local" when endpoint.Profile is not null:
                return (name, new LockStore(ctx.Runtime.Paths));
            case "redis":
                var provider = RedisProvider ?? throw ReshError.Unsupported("This build of resh has no Redis lock backend.", "Use a local lock: lock:///NAME.").ToException();
                return (name, await provider(ctx, endpoint, ctx.Cancellation).ConfigureAwait(false));
            case "etcd":
                return (name, await EtcdLockBackend.ConnectAsync(ctx, endpoint, ctx.Cancellation).ConfigureAwait(false));
            default:
                throw ReshError.Usage($"`{backend}` is not a lock backend.", "Use backend = \"redis\", \"etcd\" or \"local\" in the [lock.NAME] table.").ToException();
        }
    }
}
