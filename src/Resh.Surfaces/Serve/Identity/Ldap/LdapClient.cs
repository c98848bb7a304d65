using System.Net.Security;
using System.Net.Sockets;
using Resh.Core.Endpoints;

namespace Resh.Surfaces.Serve.Identity.Ldap;

/// <summary>A search result entry: its DN and attributes (names lower-cased).</summary>
public sealed record LdapEntry(string Dn, Dictionary<string, List<string>> Attributes);

/// <summary>An LDAP result other than success (RFC 4511 §4.1.9); 49 is invalidCredentials.</summary>
public sealed class LdapResultException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
    public const int InvalidCredentials = 49, NoSuchObject = 32;
}

/// <summary>
/// A minimal LDAPv3 client (RFC 4511): simple bind, search, StartTLS (RFC 4513) and ldaps://, one operation at a time
/// on one connection, each bounded by the deadline given. Written for resh serve's logins instead of
/// System.DirectoryServices.Protocols, which needs the native libldap of the host at run time (a soname that
/// differs between distributions) and would add its type data to every resh start under Native AOT.
/// </summary>
public sealed class LdapClient : IAsyncDisposable
{
    readonly TcpClient _tcp;
    Stream _stream;
    int _nextId = 1;
    readonly byte[] _header = new byte[6];

    LdapClient(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
    }

    public const int MaxEntries = 1000;

    /// <summary>
    /// All the replies of one connection (one login) together: a login needs a few KiB (a bind result, the user's
    /// groups), so a hostile server cannot make resh hold hundreds of MB per login (s38 attacker #9).
    /// </summary>
    public const long MaxReceived = 2 * 1024 * 1024;
    long _received;

    /// <summary>Connects to ldap://host:port or ldaps://host:port; with <paramref name="startTls"/> an ldap:// connection is upgraded first.</summary>
    public static async Task<LdapClient> ConnectAsync(Uri url, bool startTls, TlsTrust trust, CancellationToken ct)
    {
        var ldaps = url.Scheme == "ldaps";
        var port = url.IsDefaultPort || url.Port <= 0 ? (ldaps ? 636 : 389) : url.Port;
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(url.IdnHost, port, ct).ConfigureAwait(false);
            tcp.NoDelay = true;
            var client = new LdapClient(tcp, tcp.GetStream());
            if (ldaps) await client.TlsAsync(url.IdnHost, trust, ct).ConfigureAwait(false);
            else if (startTls)
            {
                var reply = await client.RoundTripAsync(Ber.Tlv(Ber.Application(23), Ber.Str("1.3.6.1.4.1.1466.20037", Ber.Context(0))), ct).ConfigureAwait(false);
                CheckResult(reply, 24, "StartTLS");
                await client.TlsAsync(url.IdnHost, trust, ct).ConfigureAwait(false);
            }
            return client;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    async Task TlsAsync(string host, TlsTrust trust, CancellationToken ct)
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            CertificateChainPolicy = trust.ChainPolicy(),
            RemoteCertificateValidationCallback = trust.Validate,
        }, ct).ConfigureAwait(false);
        _stream = ssl;
    }

    /// <summary>Simple bind. Throws <see cref="LdapResultException"/> (49 for a wrong DN or password). An empty password is refused here: it would be an unauthenticated bind, which servers answer with success.</summary>
    public async Task BindAsync(string dn, ReadOnlyMemory<byte> password, CancellationToken ct)
    {
        if (password.Length == 0) throw new LdapResultException(LdapResultException.InvalidCredentials, "empty password");
        var op = Ber.Tlv(Ber.Application(0), Ber.Int(3), Ber.Str(dn), Ber.Raw(Ber.Context(0), password.Span));
        var reply = await RoundTripAsync(op, ct).ConfigureAwait(false);
        CheckResult(reply, 1, "bind");
    }

    /// <summary>A search (scope: 0 base, 1 one level, 2 subtree); at most <see cref="MaxEntries"/> entries.</summary>
    public async Task<List<LdapEntry>> SearchAsync(string baseDn, int scope, string filter, string[] attributes, CancellationToken ct)
    {
        var op = Ber.Tlv(Ber.Application(3),
            Ber.Str(baseDn), Ber.Int(scope, Ber.Enumerated), Ber.Int(0, Ber.Enumerated), Ber.Int(MaxEntries), Ber.Int(10), Ber.Bool(false),
            LdapFilter.Encode(filter), Ber.Tlv(Ber.Sequence, attributes.Select(a => Ber.Str(a)).ToArray()));
        var id = await SendAsync(op, ct).ConfigureAwait(false);
        var entries = new List<LdapEntry>();
        while (true)
        {
            var msg = await ReceiveAsync(id, ct).ConfigureAwait(false);
            switch (msg.Tag & 0x1F)
            {
                case 4:
                {
                    if (entries.Count >= MaxEntries) throw new LdapProtocolException("the server sent more entries than asked for");
                    var parts = msg.Children();
                    if (parts.Count < 2) throw new LdapProtocolException("a search entry has no attributes");
                    var attrs = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
                    foreach (var pa in parts[1].Children())
                    {
                        var kv = pa.Children();
                        if (kv.Count < 2) continue;
                        var name = kv[0].Text();
                        if (!attrs.TryGetValue(name, out var list)) attrs[name] = list = [];
                        list.AddRange(kv[1].Children().Select(v => v.Text()));
                    }
                    entries.Add(new LdapEntry(parts[0].Text(), attrs));
                    break;
                }
                case 19: break; // a referral to another server: not followed
                case 5:
                    CheckResult(msg, 5, "search");
                    return entries;
                default:
                    throw new LdapProtocolException($"an unexpected reply (application {msg.Tag & 0x1F}) to a search");
            }
        }
    }

    static void CheckResult(BerElement op, int expectedApp, string what)
    {
        if ((op.Tag & 0x1F) != expectedApp || (op.Tag & 0xC0) != 0x40) throw new LdapProtocolException($"the server did not answer the {what}");
        var parts = op.Children();
        if (parts.Count < 3) throw new LdapProtocolException($"the {what} result is malformed");
        var code = (int)parts[0].Integer();
        if (code != 0) throw new LdapResultException(code, $"{what}: result {code}{(parts[2].Content.Length > 0 ? " (" + Clip(parts[2].Text()) + ")" : "")}");
    }

    static string Clip(string s) => s.Length > 120 ? s[..120] : s;

    async Task<BerElement> RoundTripAsync(byte[] op, CancellationToken ct) => await ReceiveAsync(await SendAsync(op, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    async Task<int> SendAsync(byte[] op, CancellationToken ct)
    {
        var id = _nextId++;
        var msg = Ber.Tlv(Ber.Sequence, Ber.Int(id), op);
        await _stream.WriteAsync(msg, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>The protocol op of the next message for <paramref name="id"/> (a notice of disconnection, id 0, ends the connection).</summary>
    async Task<BerElement> ReceiveAsync(int id, CancellationToken ct)
    {
        while (true)
        {
            await ReadExactlyAsync(_header.AsMemory(0, 2), ct).ConfigureAwait(false);
            if (_header[0] != Ber.Sequence) throw new LdapProtocolException("a reply is not an LDAP message");
            int have = 2;
            (long length, int headerSize) = (-1, 0);
            while ((length, headerSize) is (-1, _))
            {
                (length, headerSize) = Ber.Length(_header.AsSpan(0, have));
                if (length >= 0) break;
                if (have >= _header.Length) throw new LdapProtocolException("a length is too large");
                await ReadExactlyAsync(_header.AsMemory(have, 1), ct).ConfigureAwait(false);
                have++;
            }
            _received += headerSize + length;
            if (_received > MaxReceived)
                throw new LdapProtocolException($"the server's replies to one login are larger than {MaxReceived / 1024 / 1024} MiB, far more than a login needs");
            var content = new byte[length];
            await ReadExactlyAsync(content, ct).ConfigureAwait(false);
            var message = new BerElement(Ber.Sequence, content).Children();
            if (message.Count < 2 || message[0].Tag != Ber.Integer) throw new LdapProtocolException("a reply is not an LDAP message");
            var msgId = message[0].Integer();
            if (msgId == 0) throw new LdapProtocolException("the server ended the connection (notice of disconnection)");
            if (msgId != id) continue; // an answer to something abandoned: skip
            return message[1];
        }
    }

    async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try { await _stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false); }
        catch (EndOfStreamException) { throw new LdapProtocolException("the server closed the connection"); }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await _stream.WriteAsync(Ber.Tlv(Ber.Sequence, Ber.Int(_nextId++), Ber.Raw(Ber.Application(2, false), ReadOnlySpan<byte>.Empty)), cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        await _stream.DisposeAsync().ConfigureAwait(false);
        _tcp.Dispose();
    }
}
