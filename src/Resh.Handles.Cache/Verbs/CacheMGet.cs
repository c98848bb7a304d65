using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheMGet
{
    static readonly Arg<IReadOnlyList<string>> Keys = Arg.List("keys", "The keys to read (keys=a,b,c or repeated keys=).", required: true);

    public static readonly VerbInfo Verb = VerbInfo.Define("mget", Effect.Read,
        "Read several string keys in one round trip (MGET); each item says whether its key exists.",
        [Keys, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheMGetResult, RunAsync,
        examples: [new("cache://127.0.0.1:6379.mget keys=a,b,c", "Three keys at once.")]);

    static ValueTask<Outcome<CacheMGetResult>> RunAsync(VerbContext ctx)
    {
        var keys = ctx.Get(Keys).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0) return ValueTask.FromResult<Outcome<CacheMGetResult>>(ReshError.Usage("mget needs at least one key.", "Example: keys=a,b"));
        return CacheCall.RunAsync<CacheMGetResult>(ctx, async (backend, ct) =>
        {
            var values = await backend.GetManyAsync(keys.Select(k => CacheArgs.KeyBytes(ctx, k)).ToList(), ct).ConfigureAwait(false);
            var items = new List<CacheItem>(keys.Count);
            for (var i = 0; i < keys.Count; i++)
            {
                if (values[i] is not { } bytes) { items.Add(new CacheItem(keys[i], false, null, null)); continue; }
                var (text, enc) = CacheValue.Encode(bytes);
                items.Add(new CacheItem(keys[i], true, text, enc));
            }
            return new CacheMGetResult(backend.Kind, backend.Server, items, items.Count(i => i.Exists));
        });
    }
}
