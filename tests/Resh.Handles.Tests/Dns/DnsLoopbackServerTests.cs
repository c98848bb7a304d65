using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>
/// dns:// against servers made for one test on 127.0.0.1 (issue-13 reviews): a closed port is refused at once and
/// says so (UDP and TCP), a trace whose roots never answer is an error, a UDP answer carrying another query ID is asked
/// again over TCP, and a trace does not count records of another name as the answer.
/// </summary>
public sealed class DnsLoopbackServerTests
{
    /// <summary>An answer to <paramref name="request"/> (wire form, no TCP length): its question, then one A record.</summary>
    static byte[] Answer(byte[] request, string? owner = null, byte[]? address = null, bool authoritative = true, int idDelta = 0)
    {
        var pos = 12;
        while (request[pos] != 0) pos += request[pos] + 1;
        pos += 5;
        var ms = new MemoryStream();
        var id = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(request) + idDelta);
        ms.Write([(byte)(id >> 8), (byte)id, (byte)(authoritative ? 0x84 : 0x80), 0x00, 0, 1, 0, 1, 0, 0, 0, 0]);
        ms.Write(request.AsSpan(12, pos - 12));
        if (owner is null) ms.Write([0xC0, 0x0C]);
        else
        {
            foreach (var label in owner.Split('.', StringSplitOptions.RemoveEmptyEntries)) { ms.WriteByte((byte)label.Length); ms.Write(System.Text.Encoding.ASCII.GetBytes(label)); }
            ms.WriteByte(0);
        }
        ms.Write([0, 1, 0, 1, 0, 0, 1, 0x2C, 0, 4]);
        ms.Write(address ?? [127, 0, 0, 10]);
        return ms.ToArray();
    }

    /// <summary>A TCP DNS server answering every request with <paramref name="answer"/>.</summary>
    static LoopbackServer Tcp(Func<byte[], byte[]> answer) => new(async (s, ct) =>
    {
        var len = new byte[2];
        while (true)
        {
            await s.ReadExactlyAsync(len, ct);
            var request = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
            await s.ReadExactlyAsync(request, ct);
            var a = answer(request);
            var framed = new byte[a.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)a.Length);
            a.CopyTo(framed, 2);
            await s.WriteAsync(framed, ct);
        }
    });

    static int ClosedUdpPort()
    {
        using var u = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)u.Client.LocalEndPoint!).Port;
    }

    [Fact]
    public void A_closed_udp_port_is_connection_refused_not_a_timeout()
    {
        // Nothing listens: the kernel answers ICMP port unreachable, which dig reports as "connection refused" at once.
        // (timeout=20s: without the connected-socket check the call would end in `timeout` after two 20 s tries.)
        var port = ClosedUdpPort();
        var r = ReshBinary.Run(["dns://www.example.test.query", $"server=127.0.0.1:{port}", "timeout=20s"], wait: TimeSpan.FromSeconds(90));
        Assert.Equal("unavailable", r.ErrorCode);
        var message = r.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains("connection refused", message);
        Assert.Contains($"UDP port {port}", message);
    }

    [Fact]
    public void A_closed_tcp_port_error_names_the_cause()
    {
        var port = NetTestKit.FreePort();
        var r = ReshBinary.Run(["dns://www.example.test.query", $"server=127.0.0.1:{port}", "tcp=true", "timeout=20s"], wait: TimeSpan.FromSeconds(90));
        Assert.Equal("unavailable", r.ErrorCode);
        var message = r.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains("connection refused", message);
        Assert.Contains($"TCP port {port}", message);
    }

    [Fact]
    public void A_trace_whose_roots_never_answer_is_an_error_with_the_steps()
    {
        // Refused: the root's port is closed.
        var closed = ClosedUdpPort();
        var refused = ReshBinary.Run(["dns://www.example.test.trace", $"roots=127.0.0.1:{closed}", "timeout=20s"], wait: TimeSpan.FromSeconds(90));
        Assert.Equal("unavailable", refused.ErrorCode);
        Assert.DoesNotContain("NOANSWER", refused.Stdout);
        var steps = refused.Envelope["error"]!["details"]!["steps"]!.AsArray();
        Assert.Single(steps);
        Assert.Contains("connection refused", steps[0]!["error"]!.GetValue<string>());

        // Silent: a socket that reads and never answers.
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var timedOut = ReshBinary.Run(["dns://www.example.test.trace", $"roots=127.0.0.1:{port}", "timeout=1s"], wait: TimeSpan.FromSeconds(60));
        Assert.Equal("timeout", timedOut.ErrorCode);
        Assert.Equal(6, timedOut.ExitCode);
    }

    [Fact]
    public void A_udp_answer_with_another_query_id_is_asked_again_over_tcp()
    {
        using var tcp = Tcp(request => Answer(request));
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, tcp.Port));
        using var stop = new CancellationTokenSource();
        var forged = 0;
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var got = await udp.ReceiveAsync(stop.Token);
                Interlocked.Increment(ref forged);
                await udp.SendAsync(Answer(got.Buffer, address: [6, 6, 6, 6], idDelta: 1), got.RemoteEndPoint, stop.Token);
            }
        });
        var r = ReshBinary.Run(["dns://www.example.test.query", $"server=127.0.0.1:{tcp.Port}", "timeout=3s"], wait: TimeSpan.FromSeconds(60));
        stop.Cancel();
        Assert.True(r.Ok, r.ToString());
        Assert.True(Volatile.Read(ref forged) >= 1);
        Assert.Equal("tcp", r.Result!["protocol"]!.GetValue<string>());
        Assert.Equal("127.0.0.10", r.Result!["answer"]![0]!["data"]!.GetValue<string>());
        Assert.DoesNotContain("6.6.6.6", r.Stdout);

        // Another ID over TCP as well: nothing is taken, and the error says why (not an internal error).
        using var bad = Tcp(request => Answer(request, idDelta: 1));
        var both = ReshBinary.Run(["dns://www.example.test.query", $"server=127.0.0.1:{bad.Port}", "tcp=true", "timeout=3s"], wait: TimeSpan.FromSeconds(60));
        Assert.False(both.Ok, both.ToString());
        Assert.DoesNotContain("bug in resh", both.Stdout + both.Stderr);
        Assert.DoesNotContain("127.0.0.10", both.Stdout);
    }

    [Fact]
    public void A_trace_does_not_take_records_of_another_name_as_the_answer()
    {
        // A root that answers every question, without authority, with an A record for an unrelated name.
        using var root = Tcp(request => Answer(request, owner: "bank.example", address: [6, 6, 6, 6], authoritative: false));
        var r = ReshBinary.Run(["dns://www.example.test.trace", $"roots=127.0.0.1:{root.Port}", "tcp=true", "timeout=3s"], wait: TimeSpan.FromSeconds(60));
        Assert.True(r.Ok, r.ToString());
        Assert.False(r.Result!["resolved"]!.GetValue<bool>());
        Assert.Empty(r.Result!["answer"]!.AsArray());
    }
}
