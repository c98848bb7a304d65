using System.Diagnostics;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CachePing
{
    public static readonly VerbInfo Verb = VerbInfo.Define("ping", Effect.Read,
        "One round trip to the server: its version and the latency (connecting not included when the connection is reused).",
        [.. CacheArgs.Common], () => CacheJson.Default.CachePingResult, RunAsync,
        examples: [new("cache://127.0.0.1:6379.ping", "Is Redis up, and which version?")]);

    static ValueTask<Outcome<CachePingResult>> RunAsync(VerbContext ctx) => CacheCall.RunAsync<CachePingResult>(ctx, async (backend, ct) =>
    {
        var clock = Stopwatch.StartNew();
        var version = await backend.PingAsync(ct).ConfigureAwait(false);
        return new CachePingResult(backend.Kind, backend.Server, version, Math.Round(clock.Elapsed.TotalMilliseconds, 3));
    });
}
