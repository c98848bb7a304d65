using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheGet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("get", Effect.Read,
        "Read a key, aware of its type: strings as text (base64 when not UTF-8), Redis hashes, lists, sets, sorted sets and streams as JSON. A missing key is exists: false.",
        [CacheArgs.Key, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheGetResult, RunAsync,
        examples:
        [
            new("cache://127.0.0.1:6379.get key=k", "A key of the Redis server on this machine."),
            new("cache:///.get key=session:42", "A key of the embedded store."),
            new("cache://sessions.get key=user:7 password=env:REDIS_PASSWORD", "A hash of the [cache.sessions] server, as a JSON object."),
        ]);

    static ValueTask<Outcome<CacheGetResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CacheGetResult>(ctx, async (backend, ct) =>
    {
        var key = ctx.Get(CacheArgs.Key)!;
        var kb = CacheArgs.KeyBytes(ctx);
        var typed = await backend.GetTypedAsync(kb, ct).ConfigureAwait(false);
        if (typed is null) return new CacheGetResult(backend.Kind, backend.Server, key, false, null, null, null, null);
        return new CacheGetResult(backend.Kind, backend.Server, key, true, typed.Type, typed.Value, typed.Encoding, typed.Length);
    });
}
