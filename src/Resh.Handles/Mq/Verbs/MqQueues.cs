using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqQueues
{
    public static readonly VerbInfo Verb = VerbInfo.Define("queues", Effect.Read,
        "Every queue with its depth, messages in flight and dead-lettered.",
        [MqArgs.Backend], () => MqJson.Default.MqQueuesResult, Run,
        examples: [new("mq://.queues --format table", "Name, depth, in flight, dead-lettered, published.")],
        notes: "Dead-letter queues (NAME.dlq) are listed as queues of their own.",
        targetHelp: "Empty: mq://.queues");

    static Outcome<MqQueuesResult> Run(VerbContext ctx)
    {
        if (ctx.Get(MqArgs.Backend) is { } b and not "embedded")
            return ReshError.Unsupported($"The {b} backend of mq:// is not built yet; only the embedded queue is.", "Leave out backend=.");
        if (ctx.Target.Trim('/').Length > 0)
            return ReshError.Usage("queues lists every queue: give no queue name.", "Example: resh mq://.queues (or mq:///jobs.stats for one queue)");
        var list = new List<MqQueueInfo>();
        foreach (var name in MqQueue.Names(ctx.Runtime.Paths))
        {
            try
            {
                using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
                list.Add(Info(q));
                MqArgs.Forward(ctx, q);
            }
            catch (ReshException ex) when (ex.Error.Code is ErrorCode.PermissionDenied or ErrorCode.NotFound)
            {
                ctx.Warn(ex.Error.Message);
            }
        }
        return Outcome.Unchanged(new MqQueuesResult(list));
    }

    public static MqQueueInfo Info(MqQueue q)
    {
        var now = MqQueue.NowMs;
        var s = q.Consistent();
        return new MqQueueInfo(q.Name, q.Depth(now), q.InFlight(now), s.DeadLettered, q.Log.NextSeq, q.MaxDeliveries);
    }
}
