using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqCreate
{
    static readonly Arg<long?> MaxDeliveries = Arg.Int("max_deliveries", "After this many deliveries without an ack, a message goes to NAME.dlq instead of being delivered again.",
        MqLimits.DefaultMaxDeliveries, min: 1, max: 1000, examples: ["3", "10"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("create", Effect.Mutate,
        "Create a queue (or change its settings): how many deliveries before a message is dead-lettered.",
        [MaxDeliveries, MqArgs.Backend], () => MqJson.Default.MqCreateResult, Run,
        examples: [new("mq:///jobs.create max_deliveries=3", "A message that fails three times goes to jobs.dlq.")],
        notes: "Publishing to a queue that does not exist creates it with the defaults (max_deliveries=5); create is needed only to change them.",
        targetHelp: "The queue: mq:///jobs");

    static Outcome<MqCreateResult> Run(VerbContext ctx)
    {
        var name = MqArgs.Queue(ctx);
        var max = (int)(ctx.Get(MaxDeliveries) ?? MqLimits.DefaultMaxDeliveries);
        var existed = MqQueue.Exists(ctx.Runtime.Paths, name);
        if (ctx.DryRun)
        {
            if (!existed) return Outcome.Changed(new MqCreateResult(name, true, max, MqName.DeadLetterOf(name)));
            using var peek = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
            return Outcome.Changed(new MqCreateResult(name, false, max, MqName.DeadLetterOf(name)), peek.Config.MaxDeliveries != max);
        }
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: true, ctx.Cancellation);
        MqArgs.Forward(ctx, q);
        var hadConfig = File.Exists(Path.Combine(q.Dir, "queue.json"));
        var changed = !existed || !hadConfig || q.Config.MaxDeliveries != max;
        if (changed) q.SaveConfig(new MqConfig { MaxDeliveries = max, Created = q.Config.Created ?? MqQueue.Stamp(MqQueue.NowMs) });
        return Outcome.Changed(new MqCreateResult(name, !existed, max, MqName.DeadLetterOf(name)), changed);
    }
}
