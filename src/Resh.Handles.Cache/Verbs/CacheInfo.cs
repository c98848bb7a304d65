using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

/// <summary>info and stats: one declaration under two names (Redis says INFO, memcached says stats).</summary>
public static class CacheInfo
{
    static readonly Arg<string?> Section = Arg.String("section", "Only this INFO section (Redis: server, memory, stats, keyspace...) or stats group (memcached: slabs, items...).");

    public static readonly VerbInfo Info = Define("info", [new("cache://127.0.0.1:6379.info", "Version, memory, clients, hit rate and every INFO field.")]);
    public static readonly VerbInfo Stats = Define("stats", [new("cache://127.0.0.1:11211.stats backend=memcached", "memcached's stats, typed.")]);

    static VerbInfo Define(string name, Example[] examples) => VerbInfo.Define(name, Effect.Read,
        "Server statistics: version, uptime, keys, memory, clients, hits and misses typed, and every field the server reports (numbers as numbers).",
        [Section, .. CacheArgs.Common], () => CacheJson.Default.CacheInfoResult,
        ctx => CacheCall.RunAsync<CacheInfoResult>(ctx, async (backend, ct) => await backend.InfoAsync(ctx.Get(Section), ct).ConfigureAwait(false)),
        examples: examples);
}
