using System.Text;
using Resh.Core.Config;

namespace Resh.Handles.Mq;

/// <summary>
/// Delivery, shared by consume and subscribe: messages whose lease ended come first (oldest first), then new ones.
/// A message about to be delivered more than max_deliveries times goes to NAME.dlq instead. With manual ack each
/// delivered message is leased for the visibility timeout under a fresh receipt; with auto ack it is done at once.
/// The state is on disk before the messages are handed out.
/// </summary>
public static class MqDelivery
{
    public static (List<MqMessage> Messages, int DeadLettered) Take(MqQueue q, int count, bool manual, TimeSpan visibility, ReshPaths paths, CancellationToken ct)
    {
        var now = MqQueue.NowMs;
        var s = q.Consistent();
        var messages = new List<MqMessage>();
        int dead = 0;
        bool changed = false;
        foreach (var lease in s.Leases.Where(l => l.Until <= now).OrderBy(l => l.Seq).ToArray())
        {
            if (messages.Count >= count) break;
            var (status, rec, _) = q.Log.Read(lease.Segment, lease.Offset);
            changed = true;
            if (status != MqLog.ReadStatus.Ok || rec!.Seq != lease.Seq)
            {
                s.Leases.Remove(lease);
                continue;
            }
            if (q.MaxDeliveries > 0 && lease.Deliveries >= q.MaxDeliveries)
            {
                q.DeadLetter(rec, lease.Deliveries, "max_deliveries", paths, ct);
                s.Leases.Remove(lease);
                dead++;
                continue;
            }
            lease.Deliveries++;
            s.Delivered++;
            s.Redelivered++;
            if (manual)
            {
                lease.Token = MqQueue.NewToken(q.Name);
                lease.Until = now + (long)visibility.TotalMilliseconds;
                messages.Add(Message(rec, lease.Deliveries, Receipt(lease), lease.Until));
            }
            else
            {
                s.Leases.Remove(lease);
                s.Acked++;
                messages.Add(Message(rec, lease.Deliveries, null, null));
            }
        }
        while (messages.Count < count && q.TakeNext() is { } next)
        {
            changed = true;
            s.Delivered++;
            if (manual)
            {
                var lease = new MqLease
                {
                    Seq = next.Record.Seq, Segment = next.Segment, Offset = next.Offset, Deliveries = 1,
                    Token = MqQueue.NewToken(q.Name), Until = now + (long)visibility.TotalMilliseconds,
                };
                s.Leases.Add(lease);
                messages.Add(Message(next.Record, 1, Receipt(lease), lease.Until));
            }
            else
            {
                s.Acked++;
                messages.Add(Message(next.Record, 1, null, null));
            }
        }
        if (changed) q.SaveState();
        return (messages, dead);
    }

    public static string Receipt(MqLease lease) => $"{lease.Seq}.{lease.Token}";

    public static MqMessage Message(MqRecord rec, int deliveries, string? receipt, long? until)
    {
        string body, encoding;
        try
        {
            body = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(rec.Body);
            encoding = "utf-8";
        }
        catch (DecoderFallbackException)
        {
            body = Convert.ToBase64String(rec.Body);
            encoding = "base64";
        }
        return new MqMessage(rec.Seq, body, encoding, rec.Body.Length, rec.Key, rec.Headers, MqQueue.Stamp(rec.PublishedMs),
            deliveries, Math.Max(0, deliveries - 1), receipt, until is { } u ? MqQueue.Stamp(u) : null, rec.Origin);
    }
}
