using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheFlush
{
    static readonly Arg<bool> Force = Arg.Bool("force", "Required: flush removes every key of the database (Redis FLUSHDB of the selected db, memcached flush_all, the whole embedded store).");

    public static readonly VerbInfo Verb = VerbInfo.Define("flush", Effect.Destroy,
        "Remove every key (needs force=true); --dry-run says how many keys would go.",
        [Force, .. CacheArgs.Common], () => CacheJson.Default.CacheFlushResult, RunAsync,
        examples:
        [
            new("cache://127.0.0.1:6379/2.flush --dry-run", "How many keys database 2 holds."),
            new("cache://127.0.0.1:6379/2.flush force=true", "Empty database 2."),
        ]);

    static ValueTask<Outcome<CacheFlushResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CacheFlushResult>(ctx, async (backend, ct) =>
    {
        var count = await backend.CountAsync(ct).ConfigureAwait(false);
        if (ctx.DryRun) return Outcome.Changed(new CacheFlushResult(backend.Kind, backend.Server, count, false), count is null or > 0);
        if (!ctx.Get(Force))
            return ReshError.Usage($"flush removes every key of {backend.Server} ({(count is { } c ? c + " now" : "count unknown")}); it needs force=true.",
                "Check first with --dry-run, then add force=true.", new System.Text.Json.Nodes.JsonObject { ["keys"] = count });
        await backend.FlushAsync(ct).ConfigureAwait(false);
        return Outcome.Changed(new CacheFlushResult(backend.Kind, backend.Server, count, true), count is null or > 0);
    });
}
