using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqPurge
{
    public static readonly VerbInfo Verb = VerbInfo.Define("purge", Effect.Mutate,
        "Drop every message of a queue, ready and in flight (needs force=true when there are any).",
        [MqArgs.Force, MqArgs.Backend], () => MqJson.Default.MqPurgeResult, Run,
        examples: [new("mq:///jobs.purge force=true", "Empty; sequence numbers go on from where they were.")],
        notes: "Receipts of purged messages stop working (an ack of one changes nothing). The segment files are deleted at once.",
        targetHelp: "The queue: mq:///jobs");

    static Outcome<MqPurgeResult> Run(VerbContext ctx)
    {
        var name = MqArgs.Queue(ctx);
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
        MqArgs.Forward(ctx, q);
        var now = MqQueue.NowMs;
        var held = q.Depth(now) + q.InFlight(now);
        if (held == 0) return Outcome.Unchanged(new MqPurgeResult(name, 0));
        if (!ctx.Get(MqArgs.Force))
            return ReshError.Conflict($"Purging {name} drops {held} message{(held == 1 ? "" : "s")}.",
                $"Confirm with force=true: resh mq:///{name}.purge force=true", new JsonObject { ["queue"] = name, ["messages"] = held });
        if (!ctx.DryRun)
        {
            q.Log.Purge();
            var s = q.State;
            s.Leases.Clear();
            s.Next = q.Log.NextSeq;
            s.NextSegment = q.Log.TailSegment;
            s.NextOffset = 0;
            q.SaveState();
        }
        return Outcome.Changed(new MqPurgeResult(name, held));
    }
}
