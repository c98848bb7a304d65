namespace Resh.Handles.Mq;

/// <summary>
/// What consumers did with a queue (<c>state.json</c>, replaced atomically and fsynced before a consume or ack answers):
/// the cursor (the first message never delivered, and where it starts), and a lease for every message delivered but not
/// yet acked. Every message below the cursor without a lease is done (acked, auto-acked or dead-lettered), so the
/// lowest lease (or the cursor) is the low-water mark below which segments are deleted.
/// </summary>
public sealed class MqState
{
    public long Next { get; set; }
    public long NextSegment { get; set; }
    public long NextOffset { get; set; }
    public List<MqLease> Leases { get; set; } = [];
    public long Delivered { get; set; }
    public long Redelivered { get; set; }
    public long Acked { get; set; }
    public long Nacked { get; set; }
    public long DeadLettered { get; set; }

    public long Low => Leases.Count == 0 ? Next : Math.Min(Next, Leases.Min(l => l.Seq));
}

/// <summary>A delivered, unacked message: where it is, how often it was delivered, the receipt that acks it and until when it is leased.</summary>
public sealed class MqLease
{
    public long Seq { get; set; }
    public long Segment { get; set; }
    public long Offset { get; set; }
    public int Deliveries { get; set; }
    /// <summary>The token of the current delivery's receipt; null after a nack (the old receipt no longer acks).</summary>
    public string? Token { get; set; }
    /// <summary>Unix ms when the lease ends and the message is delivered again (0: at once).</summary>
    public long Until { get; set; }
}

/// <summary>A queue's settings (<c>queue.json</c>), written by create; a queue made by its first publish has the defaults.</summary>
public sealed class MqConfig
{
    public int MaxDeliveries { get; set; } = MqLimits.DefaultMaxDeliveries;
    public string? Created { get; set; }
}
