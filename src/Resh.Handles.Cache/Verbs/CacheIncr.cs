using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

/// <summary>incr and decr: one declaration, the sign differs.</summary>
public static class CacheIncr
{
    static readonly Arg<long?> By = Arg.Int("by", "The amount (default 1).", 1, min: 0);

    public static readonly VerbInfo Incr = Define("incr", 1, "Add to an integer counter atomically (a missing key counts from 0); the new value is the result.",
        [new("cache://127.0.0.1:6379.incr key=hits", "hits + 1."), new("cache:///.incr key=builds by=5", "A counter of the embedded store, + 5.")]);

    public static readonly VerbInfo Decr = Define("decr", -1, "Subtract from an integer counter atomically (a missing key counts from 0; memcached counters stop at 0).",
        [new("cache://127.0.0.1:6379.decr key=slots", "slots - 1.")]);

    static VerbInfo Define(string name, int sign, string summary, Example[] examples) => VerbInfo.Define(name, Effect.Mutate, summary,
        [CacheArgs.Key, By, .. CacheArgs.Common], () => CacheJson.Default.CacheCounterResult,
        ctx => CacheCall.RunAsync<CacheCounterResult>(ctx, async (backend, ct) =>
        {
            var key = ctx.Get(CacheArgs.Key)!;
            var by = sign * (ctx.Get(By) ?? 1);
            if (ctx.DryRun)
            {
                var current = await backend.GetAsync(key, ct).ConfigureAwait(false);
                long value = 0;
                if (current is not null && !long.TryParse(System.Text.Encoding.UTF8.GetString(current), System.Globalization.NumberStyles.AllowLeadingSign,
                        System.Globalization.CultureInfo.InvariantCulture, out value))
                    return Resh.Core.Errors.ReshError.Conflict($"The value of `{key}` is not an integer, so it cannot be incremented.", "set it to a number first, or use another key.");
                return Outcome.Changed(new CacheCounterResult(backend.Kind, backend.Server, key, value + by, by), by != 0 || current is null);
            }
            var next = await backend.IncrementAsync(key, by, ct).ConfigureAwait(false);
            return Outcome.Changed(new CacheCounterResult(backend.Kind, backend.Server, key, next, by), by != 0);
        }),
        examples: examples);
}
