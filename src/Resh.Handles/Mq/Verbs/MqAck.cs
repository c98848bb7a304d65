using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqAck
{
    public static readonly VerbInfo Verb = VerbInfo.Define("ack", Effect.Mutate,
        "Mark leased messages done, by the receipts a consume with ack=manual gave.",
        [MqArgs.Receipts, MqArgs.Backend], () => MqJson.Default.MqAckResult, Run,
        examples:
        [
            new("mq:///jobs.ack 17.3f9c0a1b2c3d4e5f", "Done: it is never delivered again."),
            new("mq:///jobs.ack 17.3f9c0a1b2c3d4e5f 18.0b1c2d3e4f5a6b7c", "Several at once."),
        ],
        notes: "A receipt stops working when its message is delivered again (its lease ended) or nacked: that ack is `conflict`, and the later "
            + "delivery's receipt acks it. Acking a message that is already done changes nothing. Every receipt is checked before any is applied.",
        targetHelp: "The queue the receipts came from: mq:///jobs");

    static Outcome<MqAckResult> Run(VerbContext ctx)
    {
        var name = MqArgs.Queue(ctx);
        var receipts = MqArgs.ParseReceipts(ctx);
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
        MqArgs.Forward(ctx, q);
        var s = q.Consistent();
        var leases = Leases(q, receipts);
        var acked = new List<long>();
        var done = new List<long>();
        foreach (var (r, lease) in receipts.Zip(leases))
        {
            if (lease is null) done.Add(r.Seq);
            else if (!acked.Contains(r.Seq)) acked.Add(r.Seq);
        }
        if (!ctx.DryRun && acked.Count > 0)
        {
            s.Leases.RemoveAll(l => acked.Contains(l.Seq));
            s.Acked += acked.Count;
            q.SaveState();
        }
        return Outcome.Changed(new MqAckResult(name, acked, done), acked.Count > 0);
    }

    /// <summary>The live lease each receipt names (null: the message is already done); throws for a stale or unknown receipt.</summary>
    public static List<MqLease?> Leases(MqQueue q, List<(long Seq, string Token, string Text)> receipts)
    {
        var s = q.Consistent();
        var found = new List<MqLease?>();
        foreach (var (seq, token, text) in receipts)
        {
            var lease = s.Leases.Find(l => l.Seq == seq);
            if (lease is null)
            {
                if (seq >= s.Next)
                    throw ReshError.NotFound($"Message {seq} of queue {q.Name} was never delivered, so no receipt for it exists.",
                        $"Use a receipt from resh mq:///{q.Name}.consume ack=manual.", new JsonObject { ["receipt"] = text }).ToException();
                found.Add(null);
                continue;
            }
            if (lease.Token is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(lease.Token), System.Text.Encoding.ASCII.GetBytes(token)))
                throw ReshError.Conflict($"The receipt {text} is stale: message {seq} was {(lease.Token is null ? "nacked" : "delivered again")} after it was given.",
                    "Its current consumer acks it with the newer receipt; consume ack=manual to get one.",
                    new JsonObject { ["receipt"] = text, ["seq"] = seq, ["deliveries"] = lease.Deliveries }).ToException();
            found.Add(lease);
        }
        return found;
    }
}
