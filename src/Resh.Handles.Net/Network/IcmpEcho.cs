using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Resh.Handles.Net.Network;

/// <summary>What came back for one probe.</summary>
internal readonly record struct IcmpAnswer(string Kind, IPAddress From, double RttMs, int? Ttl, int Bytes);

/// <summary>
/// ICMP echo over an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP: the kernel owns the identifier and the
/// checksum; allowed by net.ipv4.ping_group_range) or, when that is refused, a raw socket (root or CAP_NET_RAW).
/// Time is measured with the monotonic clock around send and receive, in microseconds, as ping does.
/// </summary>
internal sealed class IcmpEcho : IDisposable
{
    readonly Socket _socket;
    readonly bool _v6;
    readonly ushort _id = (ushort)Random.Shared.Next(1, 65535);
    readonly byte[] _buffer = new byte[65536];

    public bool Raw { get; }
    public string Method => Raw ? "raw socket" : "ping socket";

    IcmpEcho(Socket socket, bool v6, bool raw) { _socket = socket; _v6 = v6; Raw = raw; }

    /// <summary>Opens a ping socket, else a raw one; null when neither is allowed.</summary>
    public static IcmpEcho? Open(AddressFamily family, bool rawOnly = false)
    {
        var v6 = family == AddressFamily.InterNetworkV6;
        var proto = v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp;
        if (!rawOnly)
            try { return new IcmpEcho(new Socket(family, SocketType.Dgram, proto), v6, raw: false); }
            catch (SocketException) { }
        try { return new IcmpEcho(new Socket(family, SocketType.Raw, proto), v6, raw: true); }
        catch (SocketException) { return null; }
    }

    public int Ttl
    {
        set
        {
            if (_v6) _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.HopLimit, value);
            else _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, value);
        }
    }

    /// <summary>Sends one echo request and waits for its reply (or, with <paramref name="errors"/>, the ICMP error a router sent about it).
    /// Blocking calls on this thread: the time between send and receive is not stretched by thread-pool scheduling.</summary>
    public IcmpAnswer? Probe(IPAddress to, ushort seq, int payload, TimeSpan wait, bool errors, CancellationToken ct)
    {
        var packet = new byte[8 + payload];
        packet[0] = (byte)(_v6 ? 128 : 8);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), _id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), seq);
        for (int i = 8; i < packet.Length; i++) packet[i] = (byte)i;
        if (!_v6) BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum(packet)); // ICMPv6 and ping sockets: the kernel's
        var target = new IPEndPoint(to, 0);
        EndPoint any = new IPEndPoint(_v6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        // Touch the receive path once before the clock starts, so the first reply is not charged for first-use costs.
        _socket.Poll(0, SelectMode.SelectRead);
        _ = Match([], seq, errors);
        var sw = Stopwatch.StartNew();
        _socket.SendTo(packet, SocketFlags.None, target);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var left = wait - sw.Elapsed;
            if (left <= TimeSpan.Zero) return null;
            // Poll in slices of at most 100 ms so an interrupt or --timeout is seen promptly.
            var slice = left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100);
            if (!_socket.Poll((int)Math.Max(1, slice.TotalMicroseconds), SelectMode.SelectRead)) continue;
            var n = _socket.ReceiveFrom(_buffer, SocketFlags.None, ref any);
            var rtt = sw.Elapsed.TotalMilliseconds;
            var from = ((IPEndPoint)any).Address;
            if (Match(_buffer.AsSpan(0, n), seq, errors) is { } m)
                return new IcmpAnswer(m.Kind, from, rtt, m.Ttl, m.Bytes);
        }
    }

    (string Kind, int? Ttl, int Bytes)? Match(ReadOnlySpan<byte> data, ushort seq, bool errors)
    {
        int? ttl = null;
        if (Raw && !_v6)
        {
            if (data.Length < 20) return null;
            ttl = data[8];
            data = data[((data[0] & 0x0f) * 4)..];
        }
        if (data.Length < 8) return null;
        var type = data[0];
        byte echoReply = (byte)(_v6 ? 129 : 0);
        if (type == echoReply)
        {
            // Ping sockets only ever see their own replies (the kernel rewrote the identifier); raw sockets see all.
            if (Raw && BinaryPrimitives.ReadUInt16BigEndian(data[4..]) != _id) return null;
            if (BinaryPrimitives.ReadUInt16BigEndian(data[6..]) != seq) return null;
            return ("echo-reply", ttl, data.Length);
        }
        if (!errors || !Raw) return null;
        var kind = (_v6, type) switch
        {
            (false, 11) or (true, 3) => "time-exceeded",
            (false, 3) or (true, 1) => "unreachable",
            _ => null,
        };
        if (kind is null) return null;
        // The error quotes the original IP header and the first 8 bytes of our echo request.
        var inner = data[8..];
        int headerLength = _v6 ? 40 : inner.Length > 0 ? (inner[0] & 0x0f) * 4 : 0;
        if (inner.Length < headerLength + 8) return null;
        var echo = inner[headerLength..];
        if (BinaryPrimitives.ReadUInt16BigEndian(echo[4..]) != _id || BinaryPrimitives.ReadUInt16BigEndian(echo[6..]) != seq) return null;
        return (kind, ttl, data.Length);
    }

    static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) == 1) sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    public void Dispose() => _socket.Dispose();
}
