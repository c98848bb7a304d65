using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqPeek
{
    static readonly Arg<long?> Count = Arg.Int("count", "How many messages at most.", 10, min: 1, max: 1000, aliases: ["n"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("peek", Effect.Read,
        "The next messages a consume would get, without taking them.",
        [Count, MqArgs.Backend], () => MqJson.Default.MqPeekResult, RunAsync,
        examples: [new("mq:///jobs.peek count=5", "Bodies, keys, headers and delivery counts; nothing changes.")],
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqPeekResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        return await backend.PeekAsync(ctx, name, (int)(ctx.Get(Count) ?? 10)).ConfigureAwait(false);
    }
}
