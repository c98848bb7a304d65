using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqStats
{
    public static readonly VerbInfo Verb = VerbInfo.Define("stats", Effect.Read,
        "Counts of one queue: depth, in flight, published, delivered, redelivered, acked, nacked, dead-lettered, and its disk use.",
        [MqArgs.Backend], () => MqJson.Default.MqStatsResult, Run,
        examples: [new("mq:///jobs.stats", "oldest_ready_ms shows how far consumers are behind.")],
        targetHelp: "The queue: mq:///jobs");

    static Outcome<MqStatsResult> Run(VerbContext ctx)
    {
        var name = MqArgs.Queue(ctx);
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
        MqArgs.Forward(ctx, q);
        var now = MqQueue.NowMs;
        var s = q.Consistent();
        double? oldest = null;
        var expired = s.Leases.Where(l => l.Until <= now).OrderBy(l => l.Seq).FirstOrDefault();
        var oldestAt = expired is not null ? (expired.Segment, expired.Offset) : s.Next < q.Log.NextSeq ? (s.NextSegment, s.NextOffset) : ((long, long)?)null;
        if (oldestAt is { } at && q.Log.Read(at.Item1, at.Item2) is { Status: MqLog.ReadStatus.Ok, Record: { } rec }) oldest = Math.Max(0, now - rec.PublishedMs);
        return Outcome.Unchanged(new MqStatsResult(name, q.Depth(now), q.InFlight(now), q.Log.NextSeq, s.Delivered, s.Redelivered, s.Acked, s.Nacked,
            s.DeadLettered, q.MaxDeliveries, oldest, q.Log.Segments.Count, q.Log.TotalBytes()));
    }
}
