using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqPurge
{
    public static readonly VerbInfo Verb = VerbInfo.Define("purge", Effect.Mutate,
        "Drop every message of a queue, ready and in flight (needs force=true when there are any).",
        [MqArgs.Force, MqArgs.Backend], () => MqJson.Default.MqPurgeResult, RunAsync,
        examples: [new("mq:///jobs.purge force=true", "Empty; sequence numbers go on from where they were.")],
        notes: "Receipts of purged messages stop working (an ack of one changes nothing). The segment files are deleted at once.",
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqPurgeResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        return await backend.PurgeAsync(ctx, name, ctx.Get(MqArgs.Force)).ConfigureAwait(false);
    }
}
