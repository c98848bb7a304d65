using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqConsume
{
    static readonly Arg<long?> Count = Arg.Int("count", "How many messages at most.", 1, min: 1, max: 10000, aliases: ["n"]);
    static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait", "How long to wait for a first message when none is ready; 0s answers at once (maybe with none).", TimeSpan.Zero, examples: ["0s", "10s"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("consume", Effect.Mutate,
        "Take up to count messages from a queue: done at once (ack=auto) or leased until acked (ack=manual).",
        [Count, MqArgs.Ack, MqArgs.Visibility, Wait, MqArgs.Backend], () => MqJson.Default.MqConsumeResult, RunAsync,
        examples:
        [
            new("mq:///jobs.consume count=1", "The next message, removed from the queue."),
            new("mq:///jobs.consume ack=manual visibility=5m wait=30s", "Leased for five minutes: ack it with its receipt, or it is delivered again."),
        ],
        notes: "Delivery is at least once: with ack=manual a message whose consumer dies before acking is delivered again after `visibility`, "
            + "with `redeliveries` counting the earlier deliveries. A message due for more than the queue's max_deliveries (create; default 5) "
            + "goes to NAME.dlq instead. An empty queue answers ok with no messages (after `wait`).",
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqConsumeResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        var take = MqArgs.TakeOf(ctx, (int)(ctx.Get(Count) ?? 1));
        var wait = ctx.Get(Wait) ?? TimeSpan.Zero;
        if (wait < TimeSpan.Zero) return ReshError.Usage("wait= cannot be negative.", "Example: wait=10s");
        return await backend.ConsumeAsync(ctx, name, take, wait).ConfigureAwait(false);
    }
}
