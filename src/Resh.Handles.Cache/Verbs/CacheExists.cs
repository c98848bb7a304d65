using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheExists
{
    public static readonly VerbInfo Verb = VerbInfo.Define("exists", Effect.Read,
        "Whether a key exists (and has not expired).",
        [CacheArgs.Key, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheExistsResult, RunAsync,
        examples: [new("cache://127.0.0.1:6379.exists key=k", "Is k there?")]);

    static ValueTask<Outcome<CacheExistsResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CacheExistsResult>(ctx, async (backend, ct) =>
    {
        var key = ctx.Get(CacheArgs.Key)!;
        var kb = CacheArgs.KeyBytes(ctx);
        return new CacheExistsResult(backend.Kind, backend.Server, key, await backend.ExistsAsync(kb, ct).ConfigureAwait(false));
    });
}
