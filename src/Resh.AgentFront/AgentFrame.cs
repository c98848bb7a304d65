using System.Buffers.Binary;
using System.Text;

namespace Resh.AgentFront;

/// <summary>
/// The pipe between the agent front (a small process on NATS) and its worker (the full resh): length-prefixed frames
/// <c>[u32 length of the rest][u8 kind][u16 subject length][subject][u16 reply length][reply][data]</c>. This one file
/// is compiled into both programs (Resh.AgentFront and Resh.Agent link it), so the two sides cannot drift.
/// Front to worker: <see cref="Init"/> (once, first), <see cref="Discover"/>, <see cref="Call"/>, <see cref="Cancel"/>
/// (subject and reply as NATS gave them, data the message), <see cref="Reload"/> (SIGHUP), <see cref="Stop"/> (drain
/// and exit; a second one interrupts the calls). Worker to front: <see cref="Answer"/> (one per discover and call;
/// subject is the reply inbox, empty data means nothing to publish), <see cref="Verified"/> (subject a call id the
/// worker accepted, data its expiry as 8 bytes of UTC ticks: the replay cache the next worker starts with).
/// </summary>
public readonly record struct AgentFrame(byte Kind, string Subject, string Reply, byte[] Data)
{
    public const byte Init = (byte)'I', Discover = (byte)'D', Call = (byte)'C', Cancel = (byte)'X', Reload = (byte)'H', Stop = (byte)'S';
    public const byte Answer = (byte)'A', Verified = (byte)'V';

    /// <summary>No frame is larger (a NATS message is at most the server's max_payload, 64 MiB at the most).</summary>
    public const int MaxFrame = 80 << 20;

    public static void Write(Stream to, byte kind, string subject, string reply, ReadOnlySpan<byte> data)
    {
        var s = Encoding.UTF8.GetBytes(subject);
        var r = Encoding.UTF8.GetBytes(reply);
        var frame = new byte[4 + 1 + 2 + s.Length + 2 + r.Length + data.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, frame.Length - 4);
        frame[4] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(5), (ushort)s.Length);
        s.CopyTo(frame, 7);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(7 + s.Length), (ushort)r.Length);
        r.CopyTo(frame, 9 + s.Length);
        data.CopyTo(frame.AsSpan(9 + s.Length + r.Length));
        lock (to)
        {
            to.Write(frame);
            to.Flush();
        }
    }

    /// <summary>The next frame, or null at the end of the stream (or a damaged frame: the other side is gone).</summary>
    public static AgentFrame? Read(Stream from)
    {
        Span<byte> head = stackalloc byte[4];
        if (!Fill(from, head)) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(head);
        if (length < 5 || length > MaxFrame) return null;
        var body = new byte[length];
        if (!Fill(from, body)) return null;
        int sl = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(1));
        if (3 + sl + 2 > length) return null;
        int rl = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(3 + sl));
        if (5 + sl + rl > length) return null;
        return new AgentFrame(body[0], Encoding.UTF8.GetString(body, 3, sl), Encoding.UTF8.GetString(body, 5 + sl, rl), body[(5 + sl + rl)..]);
    }

    static bool Fill(Stream from, Span<byte> buffer)
    {
        var at = 0;
        while (at < buffer.Length)
        {
            var n = from.Read(buffer[at..]);
            if (n == 0) return false;
            at += n;
        }
        return true;
    }

    /// <summary>The init frame's data: the agent's start time, the broker's max_payload, the host name, and the ids already verified with their expiry.</summary>
    public static byte[] InitData(DateTime started, int maxAnswer, string host, IReadOnlyCollection<KeyValuePair<string, DateTime>> seen)
    {
        var h = Encoding.UTF8.GetBytes(host);
        using var m = new MemoryStream(16 + h.Length + seen.Count * 48);
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(n, started.Ticks); m.Write(n);
        BinaryPrimitives.WriteInt32LittleEndian(n, maxAnswer); m.Write(n[..4]);
        BinaryPrimitives.WriteUInt16LittleEndian(n, (ushort)h.Length); m.Write(n[..2]); m.Write(h);
        BinaryPrimitives.WriteInt32LittleEndian(n, seen.Count); m.Write(n[..4]);
        foreach (var (id, until) in seen)
        {
            var b = Encoding.ASCII.GetBytes(id);
            BinaryPrimitives.WriteUInt16LittleEndian(n, (ushort)b.Length); m.Write(n[..2]); m.Write(b);
            BinaryPrimitives.WriteInt64LittleEndian(n, until.Ticks); m.Write(n);
        }
        return m.ToArray();
    }

    public static (DateTime Started, int MaxAnswer, string Host, List<KeyValuePair<string, DateTime>> Seen) ParseInit(ReadOnlySpan<byte> d)
    {
        var started = new DateTime(BinaryPrimitives.ReadInt64LittleEndian(d), DateTimeKind.Utc);
        var max = BinaryPrimitives.ReadInt32LittleEndian(d[8..]);
        int hl = BinaryPrimitives.ReadUInt16LittleEndian(d[12..]);
        var host = Encoding.UTF8.GetString(d.Slice(14, hl));
        var at = 14 + hl;
        var count = BinaryPrimitives.ReadInt32LittleEndian(d[at..]);
        at += 4;
        var seen = new List<KeyValuePair<string, DateTime>>(count);
        for (var i = 0; i < count; i++)
        {
            int il = BinaryPrimitives.ReadUInt16LittleEndian(d[at..]);
            var id = Encoding.ASCII.GetString(d.Slice(at + 2, il));
            at += 2 + il;
            seen.Add(KeyValuePair.Create(id, new DateTime(BinaryPrimitives.ReadInt64LittleEndian(d[at..]), DateTimeKind.Utc)));
            at += 8;
        }
        return (started, max, host, seen);
    }
}
