using System.Buffers.Binary;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>An answer to another question than the one asked is ignored, as dig does (security review of issue 13).</summary>
public sealed class DnsSpoofTests
{
    [Fact]
    public void An_answer_for_another_name_is_not_taken()
    {
        using var server = new LoopbackServer(async (s, ct) =>
        {
            var len = new byte[2];
            await s.ReadExactlyAsync(len, ct);
            var request = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
            await s.ReadExactlyAsync(request, ct);
            var ms = new MemoryStream();
            ms.Write(request.AsSpan(0, 2));
            ms.Write(new byte[] { 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0 }); // QR AA RD RA, 1 question, 1 answer
            ms.Write(new byte[] { 5, (byte)'o', (byte)'t', (byte)'h', (byte)'e', (byte)'r', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 0, 0, 1, 0, 1 });
            ms.Write(new byte[] { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 0x2C, 0, 4, 6, 6, 6, 6 });
            var answer = ms.ToArray();
            var framed = new byte[answer.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
            answer.CopyTo(framed, 2);
            await s.WriteAsync(framed, ct);
            await Task.Delay(1000, ct);
        });
        var r = ReshBinary.Run(["dns://www.example.test.query", $"server=127.0.0.1:{server.Port}", "tcp=true", "timeout=5s"]);
        Assert.Equal("failed", r.ErrorCode);
        Assert.Contains("another question", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("6.6.6.6", r.Stdout);
    }
}
