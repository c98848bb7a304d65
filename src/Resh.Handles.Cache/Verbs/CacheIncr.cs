using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

/// <summary>incr and decr: one declaration, the sign differs.</summary>
public static class CacheIncr
{
    static readonly Arg<long?> By = Arg.Int("by", "The amount (default 1).", 1, min: 0);

    public static readonly VerbInfo Incr = Define("incr", 1, "Add to an integer counter atomically (a missing key counts from 0); the new value is the result. Redis and the embedded store count in signed 64 bits (overflow is conflict); memcached in unsigned 64 bits up to 18446744073709551615, and wraps past it as the server does.",
        [new("cache://127.0.0.1:6379.incr key=hits", "hits + 1."), new("cache:///.incr key=builds by=5", "A counter of the embedded store, + 5.")]);

    public static readonly VerbInfo Decr = Define("decr", -1, "Subtract from an integer counter atomically (a missing key counts from 0; memcached counters are unsigned: they stop at 0).",
        [new("cache://127.0.0.1:6379.decr key=slots", "slots - 1.")]);

    static VerbInfo Define(string name, int sign, string summary, Example[] examples) => VerbInfo.Define(name, Effect.Mutate, summary,
        [CacheArgs.Key, By, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheCounterResult,
        ctx => CacheCall.RunAsync<CacheCounterResult>(ctx, async (backend, ct) =>
        {
            var key = ctx.Get(CacheArgs.Key)!;
            var kb = CacheArgs.KeyBytes(ctx);
            var by = sign * (ctx.Get(By) ?? 1);
            if (ctx.DryRun)
            {
                var current = await backend.GetAsync(kb, ct).ConfigureAwait(false);
                if (CounterPreview(backend.Kind, current, by) is not { } value)
                    return Resh.Core.Errors.ReshError.Conflict($"The value of `{key}` is not an integer (or the change would overflow), so it cannot be incremented.",
                        "set it to a number first, or use another key.");
                return Outcome.Changed(new CacheCounterResult(backend.Kind, backend.Server, key, value, by), by != 0 || current is null);
            }
            var next = await backend.IncrementAsync(kb, by, ct).ConfigureAwait(false);
            return Outcome.Changed(new CacheCounterResult(backend.Kind, backend.Server, key, next, by), by != 0);
        }),
        examples: examples);

    /// <summary>
    /// What incr/decr would make of <paramref name="current"/> (null: absent, counts from 0); null when it is not a counter or
    /// would overflow. memcached counters are unsigned 64-bit: decr stops at 0 and incr wraps past 2^64-1, as the server does.
    /// </summary>
    internal static decimal? CounterPreview(string kind, byte[]? current, long by)
    {
        var text = current is null ? "0" : System.Text.Encoding.UTF8.GetString(current).TrimEnd(' ');
        const System.Globalization.NumberStyles Signed = System.Globalization.NumberStyles.AllowLeadingSign;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (kind == "memcached")
        {
            if (!ulong.TryParse(text, System.Globalization.NumberStyles.None, inv, out var u)) return null;
            if (current is null) return by >= 0 ? by : 0;
            if (by >= 0) return unchecked(u + (ulong)by);
            var down = (ulong)(-(by + 1)) + 1;
            return u < down ? 0 : u - down;
        }
        if (!long.TryParse(text, Signed, inv, out var l)) return null;
        try { return checked(l + by); }
        catch (OverflowException) { return null; }
    }
}
