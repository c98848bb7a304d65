using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqStats
{
    public static readonly VerbInfo Verb = VerbInfo.Define("stats", Effect.Read,
        "Counts of one queue: depth, in flight, published, delivered, redelivered, acked, nacked, dead-lettered, and its disk use.",
        [MqArgs.Backend], () => MqJson.Default.MqStatsResult, RunAsync,
        examples: [new("mq:///jobs.stats", "oldest_ready_ms shows how far consumers are behind.")],
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqStatsResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        return await backend.StatsAsync(ctx, name).ConfigureAwait(false);
    }
}
