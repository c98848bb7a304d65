using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Destroy,
        "Remove a key (any type); deleted: false and changed: false when it did not exist.",
        [CacheArgs.Key, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheDeleteResult, RunAsync,
        examples: [new("cache://127.0.0.1:6379.delete key=k", "Remove k.")]);

    static ValueTask<Outcome<CacheDeleteResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CacheDeleteResult>(ctx, async (backend, ct) =>
    {
        var key = ctx.Get(CacheArgs.Key)!;
        var kb = CacheArgs.KeyBytes(ctx);
        var deleted = ctx.DryRun ? await backend.ExistsAsync(kb, ct).ConfigureAwait(false) : await backend.DeleteAsync(kb, ct).ConfigureAwait(false);
        return Outcome.Changed(new CacheDeleteResult(backend.Kind, backend.Server, key, deleted), deleted);
    });
}
