using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ar = ARSoft.Tools.Net.Dns;

namespace Resh.Handles.Dns;

/// <summary>
/// A TCP transport for ARSoft's client that reads a zone transfer message by message with a cap on the
/// bytes one exchange may receive: the connection is cut once the cap is passed, so a huge (or endless)
/// zone costs at most the cap in memory. (It also replaces ARSoft's own TCP transport for transfers: that
/// one matches every answer message to the question, and BIND's second and later AXFR messages carry no
/// question, so a transfer of more than one message waited for its timeout.) Messages are matched by
/// transaction ID.
/// </summary>
internal sealed class BoundedTcpTransport(int port, long maxBytes) : Ar.IClientTransport
{
    public long MaxBytes { get; } = maxBytes;
    public long Received { get; private set; }
    public int Messages { get; private set; }
    public bool Exceeded { get; private set; }
    /// <summary>The last request sent, in wire form (without the TCP length), for checking the answers' TSIG.</summary>
    public byte[]? Request { get; private set; }
    /// <summary>Every answer message handed to the client for that request, in order, in wire form.</summary>
    public List<byte[]> Answers { get; } = [];

    public ushort MaximumAllowedQuerySize => ushort.MaxValue;
    public bool SupportsReliableTransfer => true;
    public bool SupportsMulticastTransfer => false;
    public bool SupportsPooledConnections => false;

    public async Task<Ar.IClientConnection?> ConnectAsync(Ar.DnsClientEndpointInfo endpointInfo, int queryTimeout, CancellationToken token = default)
    {
        var client = new TcpClient(endpointInfo.DestinationAddress.AddressFamily);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
            cts.CancelAfter(queryTimeout);
            await client.ConnectAsync(endpointInfo.DestinationAddress, port, cts.Token).ConfigureAwait(false);
            return new Connection(this, client, new IPEndPoint(endpointInfo.DestinationAddress, port), TimeSpan.FromMilliseconds(queryTimeout));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            client.Dispose();
            return null;
        }
    }

    public Task<Ar.IClientConnection?> GetPooledConnectionAsync(Ar.DnsClientEndpointInfo endpointInfo, CancellationToken token = default) =>
        Task.FromResult<Ar.IClientConnection?>(null);

    public void Dispose() { }

    sealed class Connection(BoundedTcpTransport owner, TcpClient client, IPEndPoint remote, TimeSpan timeout) : Ar.IClientConnection
    {
        readonly NetworkStream _stream = client.GetStream();
        ushort _id;

        public Ar.IClientTransport Transport => owner;
        public bool IsFaulty { get; private set; }
        public void MarkFaulty() => IsFaulty = true;
        public void RestartIdleTimeout(TimeSpan? timeout) { }

        public async Task<bool> SendAsync(Ar.DnsRawPackage package, CancellationToken token = default)
        {
            var data = package.ToArraySegment(true);
            _id = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(2, 2));
            owner.Request = data.AsSpan(2).ToArray();
            owner.Answers.Clear();
            try
            {
                await _stream.WriteAsync(data, token).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                IsFaulty = true;
                return false;
            }
        }

        public async Task<Ar.DnsReceivedRawPackage?> ReceiveAsync(Ar.DnsMessageIdentification identification, CancellationToken token = default)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
            cts.CancelAfter(timeout);
            try
            {
                while (!owner.Exceeded)
                {
                    var header = new byte[2];
                    await _stream.ReadExactlyAsync(header, cts.Token).ConfigureAwait(false);
                    int length = BinaryPrimitives.ReadUInt16BigEndian(header);
                    owner.Received += length + 2;
                    if (owner.Received > owner.MaxBytes || length < 12)
                    {
                        owner.Exceeded = owner.Received > owner.MaxBytes;
                        IsFaulty = true;
                        return null;
                    }
                    var buffer = new byte[length + 2];
                    header.CopyTo(buffer, 0);
                    await _stream.ReadExactlyAsync(buffer.AsMemory(2), cts.Token).ConfigureAwait(false);
                    owner.Messages++;
                    if (BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2, 2)) != _id) continue;
                    owner.Answers.Add(buffer.AsSpan(2).ToArray());
                    return new Ar.DnsReceivedRawPackage(buffer, remote, (IPEndPoint)client.Client.LocalEndPoint!);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
            {
                IsFaulty = true;
            }
            return null;
        }

        public void Dispose() => client.Dispose();
    }
}
