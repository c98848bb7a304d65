using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Mutate,
        "Remove a queue and its files; one that still holds messages needs force=true.",
        [MqArgs.Force, MqArgs.Backend], () => MqJson.Default.MqDeleteResult, RunAsync,
        examples:
        [
            new("mq:///jobs.delete", "Removed when empty; `conflict` naming how many messages it holds otherwise."),
            new("mq:///jobs.delete force=true", "Removed with whatever it holds."),
        ],
        notes: "Its dead-letter queue (NAME.dlq) is a queue of its own and stays. A queue that does not exist answers ok with deleted:false.",
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqDeleteResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        return await backend.DeleteAsync(ctx, name, ctx.Get(MqArgs.Force)).ConfigureAwait(false);
    }
}
