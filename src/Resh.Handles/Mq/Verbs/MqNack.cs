using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqNack
{
    static readonly Arg<bool> DeadLetter = Arg.Bool("dead_letter", "Move the messages to the dead-letter queue (NAME.dlq) instead of putting them back.");

    public static readonly VerbInfo Verb = VerbInfo.Define("nack", Effect.Mutate,
        "Give leased messages back: delivered again by the next consume, or moved to the dead-letter queue (dead_letter=true).",
        [MqArgs.Receipts, DeadLetter, MqArgs.Backend], () => MqJson.Default.MqNackResult, RunAsync,
        examples:
        [
            new("mq:///jobs.nack 17.3f9c0a1b2c3d4e5f", "Put back: the next consume gets it, with one more redelivery."),
            new("mq:///jobs.nack 17.3f9c0a1b2c3d4e5f dead_letter=true", "Give up on it: it goes to jobs.dlq with the reason `nack`."),
        ],
        notes: "A requeued message still counts toward max_deliveries. The receipt stops working once nacked.",
        targetHelp: "The queue the receipts came from: mq:///jobs");

    static async ValueTask<Outcome<MqNackResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        var receipts = MqArgs.ReceiptsOf(ctx);
        var dead = ctx.Get(DeadLetter);
        if (dead && MqName.IsDeadLetter(name))
            return ReshError.Usage($"{name} is a dead-letter queue: it has none of its own.", $"Nack without dead_letter=true to put the message back, or ack it to drop it.");
        return await backend.NackAsync(ctx, name, receipts, dead).ConfigureAwait(false);
    }
}
