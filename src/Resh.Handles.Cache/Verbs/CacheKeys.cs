using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheKeys
{
    static readonly Arg<string?> Pattern = Arg.String("pattern", "Glob of the keys (Redis syntax: *, ?, [abc], \\ escapes; it matches bytes).", "*");
    static readonly Arg<long?> Limit = Arg.Int("limit", "Stop once this many keys are found (exactly; truncated: true, resume with cursor=).", 1000, min: 1, max: 1_000_000);
    static readonly Arg<string?> Cursor = Arg.String("cursor", "Resume a walk where an earlier keys call stopped (its cursor); 0 starts.", "0");

    public static readonly VerbInfo Verb = VerbInfo.Define("keys", Effect.Read,
        "List keys matching a pattern with SCAN (never KEYS, which blocks a live server), at most limit; a cursor resumes the walk. Keys that are not UTF-8 come back as base64.",
        [Pattern, Limit, Cursor, .. CacheArgs.Common], () => CacheJson.Default.CacheKeysResult, RunAsync,
        examples:
        [
            new("cache://127.0.0.1:6379.keys 'pattern=session:*'", "Session keys, at most 1000."),
            new("cache://127.0.0.1:6379.keys 'pattern=user:*' limit=100 cursor=1792", "The next page of a walk."),
        ],
        notes: "One call lists each key once and limit counts distinct keys (Redis's SCAN may return a key twice while its table is resized); a walk resumed with cursor= may repeat a key an earlier call listed, never lose one.");

    static ValueTask<Outcome<CacheKeysResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CacheKeysResult>(ctx, async (backend, ct) =>
    {
        var pattern = ctx.Get(Pattern)!;
        var page = await backend.KeysAsync(pattern, (int)(ctx.Get(Limit) ?? 1000), ctx.Get(Cursor)!, ct).ConfigureAwait(false);
        var encoding = CacheValue.EncodingOf(page.Keys);
        var keys = page.Keys.Select(k => CacheValue.Node(k, encoding).GetValue<string>()).ToList();
        return new CacheKeysResult(backend.Kind, backend.Server, pattern, keys, encoding, keys.Count, page.Truncated, page.Cursor);
    });
}
