using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheTtl
{
    public static readonly VerbInfo Verb = VerbInfo.Define("ttl", Effect.Read,
        "A key's remaining time to live in seconds; persistent: true for a key that never expires, exists: false for a missing one.",
        [CacheArgs.Key, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheTtlResult, RunAsync,
        examples: [new("cache://127.0.0.1:6379.ttl key=k", "Seconds until k expires.")]);

    static ValueTask<Outcome<CacheTtlResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CacheTtlResult>(ctx, async (backend, ct) =>
    {
        var key = ctx.Get(CacheArgs.Key)!;
        var kb = CacheArgs.KeyBytes(ctx);
        var ttl = await backend.TtlAsync(kb, ct).ConfigureAwait(false);
        return new CacheTtlResult(backend.Kind, backend.Server, key, ttl.Exists, ttl.Exists && ttl.Seconds is null, ttl.Seconds);
    });
}
