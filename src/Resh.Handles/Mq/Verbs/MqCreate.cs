using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqCreate
{
    static readonly Arg<long?> MaxDeliveries = Arg.Int("max_deliveries", "After this many deliveries without an ack, a message goes to NAME.dlq instead of being delivered again.",
        MqLimits.DefaultMaxDeliveries, min: 1, max: 1000, examples: ["3", "10"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("create", Effect.Mutate,
        "Create a queue (or change its settings): how many deliveries before a message is dead-lettered.",
        [MaxDeliveries, MqArgs.Visibility, MqArgs.Backend], () => MqJson.Default.MqCreateResult, RunAsync,
        examples: [new("mq:///jobs.create max_deliveries=3", "A message that fails three times goes to jobs.dlq."), new("mq://events/jobs.create visibility=2m", "On NATS: the stream and its consumer, with a 2-minute ack_wait.")],
        notes: "Publishing to a queue that does not exist creates it with the defaults (max_deliveries=5); create is needed only to change them. "
            + "NATS: queue Q is the JetStream stream Q (dots become `_`: a.b is stream a_b) on subject Q (work-queue retention, file storage) with the "
            + "durable pull consumer `resh` (explicit acks, ack_wait = visibility=, default 30s); Q.dlq is a queue of its own. max_deliveries is kept in the "
            + "stream's description and applied by resh's consume (a message delivered more often goes to Q.dlq).",
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqCreateResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        var max = (int)(ctx.Get(MaxDeliveries) ?? MqLimits.DefaultMaxDeliveries);
        TimeSpan? visibility = ctx.IsSet(MqArgs.Visibility) ? MqArgs.VisibilityOf(ctx) : null;
        return await backend.CreateAsync(ctx, name, new MqQueueSettings(max, visibility)).ConfigureAwait(false);
    }
}
