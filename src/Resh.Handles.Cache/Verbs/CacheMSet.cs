using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheMSet
{
    static readonly Arg<JsonNode?> Items = Arg.Json("items", "A JSON object of key to value (strings; base64 with encoding=base64).", required: true,
        examples: ["{\"a\":\"1\",\"b\":\"2\"}"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("mset", Effect.Mutate,
        "Write several keys in one round trip, all or none (MSET; with ttl, one MULTI of SET PX).",
        [Items, CacheSet.Encoding, CacheSet.Ttl, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheMSetResult, RunAsync,
        examples: [new("'cache://127.0.0.1:6379.mset(items:={\"a\":\"1\",\"b\":\"2\"})'", "Two keys at once.")]);

    static ValueTask<Outcome<CacheMSetResult>> RunAsync(VerbContext ctx)
    {
        if (ctx.Get(Items) is not JsonObject obj || obj.Count == 0)
            return ValueTask.FromResult<Outcome<CacheMSetResult>>(ReshError.Usage("items must be a non-empty JSON object of key to string value.", "Example: items:={\"a\":\"1\",\"b\":\"2\"}"));
        var encoding = ctx.Get(CacheSet.Encoding)!;
        var pairs = new List<KeyValuePair<string, byte[]>>();
        var keyBytes = new List<byte[]>();
        foreach (var (key, node) in obj)
        {
            if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                return ValueTask.FromResult<Outcome<CacheMSetResult>>(ReshError.Usage($"The value of `{key}` in items is not a string.", "Quote numbers: {\"n\":\"1\"}."));
            pairs.Add(new(key, CacheValue.Decode(v.GetValue<string>(), encoding, $"The value of `{key}`")));
            try { keyBytes.Add(CacheArgs.KeyBytes(ctx, key)); }
            catch (ReshException e) { return ValueTask.FromResult<Outcome<CacheMSetResult>>(e.Error); }
        }
        var ttl = ctx.Get(CacheSet.Ttl);
        if (ttl is { } t && t <= TimeSpan.Zero)
            return ValueTask.FromResult<Outcome<CacheMSetResult>>(ReshError.Usage("ttl must be positive.", "Example: ttl=30s."));
        return CacheCall.RunAsync<CacheMSetResult>(ctx, async (backend, ct) =>
        {
            if (!ctx.DryRun) await backend.SetManyAsync(pairs.Select((p, i) => new KeyValuePair<byte[], byte[]>(keyBytes[i], p.Value)).ToList(), ttl, ct).ConfigureAwait(false);
            return Outcome.Changed(new CacheMSetResult(backend.Kind, backend.Server, pairs.Select(p => p.Key).ToList(), pairs.Count, ttl?.TotalSeconds));
        });
    }
}
