using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqQueues
{
    public static readonly VerbInfo Verb = VerbInfo.Define("queues", Effect.Read,
        "Every queue with its depth, messages in flight and dead-lettered.",
        [MqArgs.Backend], () => MqJson.Default.MqQueuesResult, RunAsync,
        examples: [new("mq://.queues --format table", "Name, depth, in flight, dead-lettered, published."), new("mq://events/.queues", "The queues (JetStream streams made by resh) of the [mq.events] server, with their consumers.")],
        notes: "Dead-letter queues (NAME.dlq) are listed as queues of their own. On NATS only the streams resh made (description `resh mq ...`) are listed.",
        targetHelp: "Empty: mq://.queues; a server: mq://PROFILE/.queues, mq://HOST:4222/.queues");

    static async ValueTask<Outcome<MqQueuesResult>> RunAsync(VerbContext ctx)
    {
        var (_, backend) = await MqTarget.OpenAsync(ctx, named: false).ConfigureAwait(false);
        return await backend.QueuesAsync(ctx).ConfigureAwait(false);
    }
}
