using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheExpire
{
    static readonly Arg<TimeSpan?> Ttl = Arg.Duration("ttl", "New time to live (30s, 5m). Leave it out with persist=true to remove the expiry.");
    static readonly Arg<bool> Persist = Arg.Bool("persist", "Remove the key's expiry instead (it never expires).");

    public static readonly VerbInfo Verb = VerbInfo.Define("expire", Effect.Mutate,
        "Set (or with persist=true remove) an existing key's expiry. A missing key is not_found.",
        [CacheArgs.Key, Ttl, Persist, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheExpireResult, RunAsync,
        examples:
        [
            new("cache://127.0.0.1:6379.expire key=k ttl=5m", "k expires in five minutes."),
            new("cache://127.0.0.1:6379.expire key=k persist=true", "k never expires."),
        ]);

    static ValueTask<Outcome<CacheExpireResult>> RunAsync(VerbContext ctx)
    {
        var ttl = ctx.Get(Ttl);
        var persist = ctx.Get(Persist);
        if (ttl is null == !persist)
            return ValueTask.FromResult<Outcome<CacheExpireResult>>(ReshError.Usage(persist ? "ttl and persist=true exclude each other." : "expire needs ttl= (or persist=true).",
                "Example: expire key=k ttl=5m, or expire key=k persist=true."));
        if (ttl is { } t && t <= TimeSpan.Zero)
            return ValueTask.FromResult<Outcome<CacheExpireResult>>(ReshError.Usage("ttl must be positive.", "Use delete to remove a key now."));
        return CacheCall.RunAsync<CacheExpireResult>(ctx, async (backend, ct) =>
        {
            var key = ctx.Get(CacheArgs.Key)!;
            var kb = CacheArgs.KeyBytes(ctx);
            bool exists;
            if (ctx.DryRun)
            {
                var current = await backend.TtlAsync(kb, ct).ConfigureAwait(false);
                exists = current.Exists;
                if (exists)
                {
                    var would = ttl is not null || current.Seconds is not null;
                    return Outcome.Changed(new CacheExpireResult(backend.Kind, backend.Server, key, true, ttl?.TotalSeconds), would);
                }
            }
            else
            {
                if (ttl is null)
                {
                    // persist=true on a key without an expiry changes nothing (Redis PERSIST answers 0 then).
                    var current = await backend.TtlAsync(kb, ct).ConfigureAwait(false);
                    if (current.Exists && current.Seconds is null)
                        return Outcome.Changed(new CacheExpireResult(backend.Kind, backend.Server, key, true, null), false);
                }
                exists = await backend.ExpireAsync(kb, ttl, ct).ConfigureAwait(false);
            }
            if (!exists)
                return ReshError.NotFound($"The key `{key}` does not exist (or has expired).", "set it first; expire changes the expiry of an existing key.",
                    new System.Text.Json.Nodes.JsonObject { ["key"] = key });
            return Outcome.Changed(new CacheExpireResult(backend.Kind, backend.Server, key, true, ttl?.TotalSeconds));
        });
    }
}
