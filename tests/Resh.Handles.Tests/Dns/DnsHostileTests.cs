using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>
/// A DNS server on loopback TCP that answers signed requests without TSIG, or with a TSIG whose MAC is garbage
/// (security review of issue 13): a zone transfer or an update answered that way must be refused, not reported as
/// signed or done. The key is only known to resh: a server without it cannot sign.
/// </summary>
public sealed class DnsHostileTests
{
    const string Key = "c2VjcmV0LWtleS1mb3ItdGhlLWhvc3RpbGUtdGVzdHM=";
    static readonly Dictionary<string, string> Env = new() { ["K"] = Key };

    static byte[] Name(string name)
    {
        var ms = new MemoryStream();
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            ms.WriteByte((byte)label.Length);
            ms.Write(Encoding.ASCII.GetBytes(label));
        }
        ms.WriteByte(0);
        return ms.ToArray();
    }

    static void U16(Stream s, int v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); s.Write(b); }
    static void U32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); s.Write(b); }

    /// <summary>The answer to one request: queries get the zone's SOA (AXFR) or nothing, updates NOERROR; optionally a forged TSIG.</summary>
    static byte[] Answer(byte[] request, bool badTsig)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(request);
        var opcode = (request[2] >> 3) & 0xF;
        var qd = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(4));
        // The question section ends after the first name + type + class.
        var pos = 12;
        if (qd > 0) { while (request[pos] != 0) pos += request[pos] + 1; pos += 5; }
        var qtype = qd > 0 ? BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(pos - 4)) : 0;
        var ms = new MemoryStream();
        U16(ms, id);
        U16(ms, 0x8000 | (opcode << 11) | (opcode == 0 ? 0x0400 : 0)); // QR, AA, NOERROR
        var axfr = opcode == 0 && qtype == 252;
        U16(ms, qd); U16(ms, axfr ? 3 : 0); U16(ms, 0); U16(ms, badTsig ? 1 : 0);
        ms.Write(request.AsSpan(12, pos - 12));
        if (axfr)
        {
            void Soa()
            {
                U16(ms, 0xC00C); U16(ms, 6); U16(ms, 1); U32(ms, 300); U16(ms, 24);
                U16(ms, 0xC00C); U16(ms, 0xC00C); U32(ms, 7); U32(ms, 3600); U32(ms, 600); U32(ms, 86400); U32(ms, 300);
            }
            Soa();
            ms.Write(Name("evil.example.test")); U16(ms, 1); U16(ms, 1); U32(ms, 300); U16(ms, 4); ms.Write(new byte[] { 6, 6, 6, 6 });
            Soa();
        }
        if (badTsig)
        {
            var alg = Name("hmac-sha256");
            ms.Write(Name("xfr")); U16(ms, 250); U16(ms, 255); U32(ms, 0);
            U16(ms, alg.Length + 6 + 2 + 2 + 32 + 2 + 2 + 2);
            ms.Write(alg);
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            U16(ms, (int)(now >> 32)); U32(ms, (uint)now);
            U16(ms, 300); U16(ms, 32); ms.Write(Enumerable.Repeat((byte)0x11, 32).ToArray());
            U16(ms, id); U16(ms, 0); U16(ms, 0);
        }
        return ms.ToArray();
    }

    static LoopbackServer Server(bool badTsig) => new(async (s, ct) =>
    {
        var len = new byte[2];
        while (true)
        {
            await s.ReadExactlyAsync(len, ct);
            var request = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
            await s.ReadExactlyAsync(request, ct);
            var answer = Answer(request, badTsig);
            var framed = new byte[answer.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
            answer.CopyTo(framed, 2);
            await s.WriteAsync(framed, ct);
        }
    });

    [Theory]
    [InlineData(false, "missing")]
    [InlineData(true, "BADSIG")]
    public void A_zone_transfer_answered_without_a_valid_tsig_is_refused(bool badTsig, string tsig)
    {
        using var server = Server(badTsig);
        var r = ReshBinary.Run(["dns://example.test.zone.list", $"server=127.0.0.1:{server.Port}", "key_name=xfr", "key=env:K", "timeout=10s"], env: Env);
        Assert.Equal("failed", r.ErrorCode);
        Assert.StartsWith(tsig[..3], r.Envelope["error"]!["details"]!["tsig"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("6.6.6.6", r.Stdout);

        // Without a key nothing is claimed: the transfer is listed and not called signed.
        var plain = ReshBinary.Run(["dns://example.test.zone.list", $"server=127.0.0.1:{server.Port}", "timeout=10s"]);
        if (!badTsig)
        {
            Assert.True(plain.Ok, plain.ToString());
            Assert.False(plain.Result!["signed"]!.GetValue<bool>());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_update_answered_without_a_valid_tsig_is_not_reported_as_done(bool badTsig)
    {
        using var server = Server(badTsig);
        var r = ReshBinary.Run(["dns://www.example.test.record.add", $"server=127.0.0.1:{server.Port}", "zone=example.test", "value=192.0.2.1",
            "key_name=xfr", "key=env:K", "timeout=10s"], env: Env);
        Assert.Equal("failed", r.ErrorCode);
        Assert.Contains("may be forged", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotEqual(true, r.Envelope["changed"]?.GetValue<bool>());
    }
}
