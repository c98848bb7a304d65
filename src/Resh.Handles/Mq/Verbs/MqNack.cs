using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqNack
{
    static readonly Arg<bool> DeadLetter = Arg.Bool("dead_letter", "Move the messages to the dead-letter queue (NAME.dlq) instead of putting them back.");

    public static readonly VerbInfo Verb = VerbInfo.Define("nack", Effect.Mutate,
        "Give leased messages back: delivered again by the next consume, or moved to the dead-letter queue (dead_letter=true).",
        [MqArgs.Receipts, DeadLetter, MqArgs.Backend], () => MqJson.Default.MqNackResult, Run,
        examples:
        [
            new("mq:///jobs.nack 17.3f9c0a1b2c3d4e5f", "Put back: the next consume gets it, with one more redelivery."),
            new("mq:///jobs.nack 17.3f9c0a1b2c3d4e5f dead_letter=true", "Give up on it: it goes to jobs.dlq with the reason `nack`."),
        ],
        notes: "A requeued message still counts toward max_deliveries. The receipt stops working once nacked.",
        targetHelp: "The queue the receipts came from: mq:///jobs");

    static Outcome<MqNackResult> Run(VerbContext ctx)
    {
        var name = MqArgs.Queue(ctx);
        var receipts = MqArgs.ParseReceipts(ctx);
        var dead = ctx.Get(DeadLetter);
        if (dead && MqName.IsDeadLetter(name))
            return ReshError.Usage($"{name} is a dead-letter queue: it has none of its own.", $"Nack without dead_letter=true to put the message back, or ack it to drop it.");
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
        MqArgs.Forward(ctx, q);
        var s = q.Consistent();
        var leases = MqAck.Leases(q, receipts);
        var requeued = new List<long>();
        var deadLettered = new List<long>();
        foreach (var lease in leases.OfType<MqLease>().Distinct())
        {
            if (ctx.DryRun) { (dead ? deadLettered : requeued).Add(lease.Seq); continue; }
            s.Nacked++;
            if (!dead)
            {
                lease.Token = null;
                lease.Until = 0;
                requeued.Add(lease.Seq);
                continue;
            }
            var (status, rec, _) = q.Log.Read(lease.Segment, lease.Offset);
            if (status == MqLog.ReadStatus.Ok && rec!.Seq == lease.Seq) q.DeadLetter(rec, lease.Deliveries, "nack", ctx.Runtime.Paths, ctx.Cancellation);
            else ctx.Warn($"Message {lease.Seq} could not be read (a damaged segment); it was dropped, not dead-lettered.");
            s.Leases.Remove(lease);
            deadLettered.Add(lease.Seq);
        }
        if (!ctx.DryRun && (requeued.Count > 0 || deadLettered.Count > 0)) q.SaveState();
        return Outcome.Changed(new MqNackResult(name, requeued, deadLettered, MqName.DeadLetterOf(name)), requeued.Count + deadLettered.Count > 0);
    }
}
