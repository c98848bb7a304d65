using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqPeek
{
    static readonly Arg<long?> Count = Arg.Int("count", "How many messages at most.", 10, min: 1, max: 1000, aliases: ["n"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("peek", Effect.Read,
        "The next messages a consume would get, without taking them.",
        [Count, MqArgs.Backend], () => MqJson.Default.MqPeekResult, ctx => Outcome.Unchanged(Of(ctx, MqArgs.Queue(ctx), (int)(ctx.Get(Count) ?? 10))),
        examples: [new("mq:///jobs.peek count=5", "Bodies, keys, headers and delivery counts; nothing changes.")],
        targetHelp: "The queue: mq:///jobs");

    public static MqPeekResult Of(VerbContext ctx, string name, int count)
    {
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
        var now = MqQueue.NowMs;
        var s = q.Consistent();
        var depth = q.Depth(now);
        var messages = new List<MqMessage>();
        foreach (var lease in s.Leases.Where(l => l.Until <= now).OrderBy(l => l.Seq))
        {
            if (messages.Count >= count) break;
            var (status, rec, _) = q.Log.Read(lease.Segment, lease.Offset);
            if (status == MqLog.ReadStatus.Ok) messages.Add(MqDelivery.Message(rec!, lease.Deliveries, null, null));
        }
        // Walks the cursor in memory only: the state is not saved.
        while (messages.Count < count && q.TakeNext() is { } next) messages.Add(MqDelivery.Message(next.Record, 0, null, null));
        MqArgs.Forward(ctx, q);
        return new MqPeekResult(name, messages, depth);
    }
}
