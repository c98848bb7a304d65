using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqAck
{
    public static readonly VerbInfo Verb = VerbInfo.Define("ack", Effect.Mutate,
        "Mark leased messages done, by the receipts a consume with ack=manual gave.",
        [MqArgs.Receipts, MqArgs.Backend], () => MqJson.Default.MqAckResult, RunAsync,
        examples:
        [
            new("mq:///jobs.ack 17.3f9c0a1b2c3d4e5f", "Done: it is never delivered again."),
            new("mq:///jobs.ack 17.3f9c0a1b2c3d4e5f 18.0b1c2d3e4f5a6b7c", "Several at once."),
        ],
        notes: "A receipt stops working when its message is delivered again (its lease ended) or nacked: that ack is `conflict`, and the later "
            + "delivery's receipt acks it. Acking a message that is already done changes nothing. Every receipt is checked before any is applied.",
        targetHelp: "The queue the receipts came from: mq:///jobs");

    static async ValueTask<Outcome<MqAckResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        return await backend.AckAsync(ctx, name, MqArgs.ReceiptsOf(ctx)).ConfigureAwait(false);
    }
}
