using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Dns;

/// <summary>Queries through DnsClient: one question to one server (or the system's), the answer as data.</summary>
internal static class DnsLookup
{
    public sealed record Options(bool Tcp = false, bool Recursion = true, bool Edns = true, bool Dnssec = false, TimeSpan? Timeout = null, int Tries = 2);

    /// <summary>Record type from text: a mnemonic DnsClient knows, or TYPEnnn.</summary>
    public static QueryType ParseType(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        if (t.StartsWith("TYPE", StringComparison.Ordinal) && ushort.TryParse(t.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return (QueryType)n;
        if (Enum.TryParse<QueryType>(t, ignoreCase: false, out var q) && !char.IsAsciiDigit(t[0])) return q;
        throw new ReshException(ReshError.Usage($"`{text}` is not a DNS record type.",
            "Give a type such as A, AAAA, MX, TXT, NS, SOA, SRV, CAA or TYPEnnn."));
    }

    public static string TypeName(ResourceRecordType t) => Enum.IsDefined(t) ? t.ToString() : $"TYPE{(int)t}";
    public static string TypeName(QueryType t) => Enum.IsDefined(t) ? t.ToString() : $"TYPE{(int)t}";

    /// <summary>One answer: the response, the server it came from, how long it took, and whether it came over TCP.</summary>
    public sealed record Reply(IDnsQueryResponse Response, IPEndPoint Server, double Ms)
    {
        /// <summary>The answer came over TCP (tcp=true, or UDP answered truncated or with another ID and was asked again over TCP, as dig does).</summary>
        public bool Tcp { get; init; }
    }

    static LookupClient Client(IReadOnlyList<IPEndPoint> servers, Options o, bool tcp) => new(new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
    {
        UseCache = false,
        Recursion = o.Recursion,
        UseTcpOnly = tcp,
        // A truncated UDP answer is asked again over TCP here (not inside DnsClient), so the result can say it came over TCP.
        UseTcpFallback = false,
        Retries = Math.Max(0, o.Tries - 1),
        Timeout = o.Timeout ?? TimeSpan.FromSeconds(5),
        ThrowDnsErrors = false,
        ContinueOnDnsError = false,
        ContinueOnEmptyResponse = false,
        UseRandomNameServer = false,
        EnableAuditTrail = false,
        RequestDnsSecRecords = o.Dnssec,
        ExtendedDnsBufferSize = o.Edns ? 1232 : 512,
        AutoResolveNameServers = false,
    });

    static bool IsXidMismatch(Exception e) => e.GetType().Name == "DnsXidMismatchException";

    static bool IsTruncation(DnsResponseException e) =>
        e.Code == DnsResponseCode.Unassigned && e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase);

    public static async Task<Reply> AskAsync(IReadOnlyList<IPEndPoint> servers, string name, QueryType type, Options o, CancellationToken token)
    {
        var timeout = o.Timeout ?? TimeSpan.FromSeconds(5);
        var shown = string.Join(", ", servers.Select(DnsServers.Show));
        var question = new DnsQuestion(name, type, QueryClass.IN);
        var start = Stopwatch.GetTimestamp();
        try
        {
            IDnsQueryResponse response;
            var tcp = o.Tcp;
            if (tcp)
            {
                response = await Client(servers, o, tcp: true).QueryAsync(question, token).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    response = await UdpAsync(servers, name, type, o, question, token).ConfigureAwait(false);
                }
                catch (DnsResponseException e) when (IsTruncation(e))
                {
                    // The answer did not fit the UDP packet (TC): ask again over TCP, as dig does ("Truncated, retrying in TCP mode").
                    response = await Client(servers, o, tcp: true).QueryAsync(question, token).ConfigureAwait(false);
                    tcp = true;
                }
                catch (Exception e) when (IsXidMismatch(e))
                {
                    // A UDP answer with another ID (a spoofing attempt or a confused server): ask again over TCP, which an
                    // off-path sender cannot answer, instead of failing the call on one forged packet.
                    response = await Client(servers, o, tcp: true).QueryAsync(question, token).ConfigureAwait(false);
                    tcp = true;
                }
            }
            // An answer must be to the question asked (as dig checks): records for another name are not an answer.
            if (response.Questions.Count != 1 || !string.Equals(DnsNames.Canonical(response.Questions[0].QueryName.Value), DnsNames.Canonical(name), StringComparison.Ordinal)
                || response.Questions[0].QuestionType != type)
                throw new ReshException(ReshError.Failed(
                    $"{shown} answered another question ({(response.Questions.Count > 0 ? response.Questions[0].QueryName.Value + " " + TypeName(response.Questions[0].QuestionType) : "none")}) than {name} {TypeName(type)}; the answer is ignored.",
                    "The server is misbehaving, or someone on the path forged the answer."));
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var from = servers.FirstOrDefault(s => response.NameServer is { } ns && ns.Address == s.Address.ToString() && ns.Port == s.Port) ?? servers[0];
            return new Reply(response, from, Math.Round(ms, 2)) { Tcp = tcp };
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout && Socket(e) is not { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw new ReshException(ReshError.Timeout($"No answer from {shown} for {name} {TypeName(type)} within {Stopwatch.GetElapsedTime(start).TotalSeconds:0.#} s ({o.Tries} tr{(o.Tries == 1 ? "y" : "ies")} of {timeout.TotalSeconds:0.###} s{(o.Tcp ? "" : ", UDP")}).",
                "Check the server address and port (server=IP:PORT), or raise timeout=."));
        }
        catch (SocketException e)
        {
            throw Unreachable(shown, name, type, e, o.Tcp);
        }
        catch (Exception e) when (IsXidMismatch(e))
        {
            throw new ReshException(ReshError.Failed($"The answers from {shown} for {name} {TypeName(type)} carried another query ID, over UDP and TCP; they were ignored.",
                "The server is misbehaving, or someone forges answers."));
        }
        catch (DnsResponseException e)
        {
            if (Socket(e) is { } se) throw Unreachable(shown, name, type, se, true);
            var cause = e.InnerException is { } inner ? $": {ExceptionTranslation.OneLine(inner.Message)}" : "";
            throw new ReshException(ReshError.Unavailable($"Query {name} {TypeName(type)} to {shown} failed: {ExceptionTranslation.OneLine(e.Message)}{cause}",
                "Check that a DNS server listens there (server=IP:PORT)."));
        }
    }

    /// <summary>The socket error under a DnsClient exception, if there is one.</summary>
    static SocketException? Socket(Exception e)
    {
        for (var x = e.InnerException; x is not null; x = x.InnerException)
            if (x is SocketException se) return se;
        return null;
    }

    static ReshException Unreachable(string shown, string name, QueryType type, SocketException e, bool tcp) => new(ReshError.Unavailable(
        e.SocketErrorCode == SocketError.ConnectionRefused
            ? $"{shown} refused the query for {name} {TypeName(type)} (connection refused: nothing listens on {(tcp ? "TCP" : "UDP")} port {shown[(shown.LastIndexOf(':') + 1)..]})."
            : $"Query {name} {TypeName(type)} to {shown} failed: {ExceptionTranslation.OneLine(e.Message)}.",
        "Check that a DNS server listens there (server=IP:PORT).",
        new System.Text.Json.Nodes.JsonObject { ["server"] = shown, ["socket_error"] = e.SocketErrorCode.ToString(), ["protocol"] = tcp ? "tcp" : "udp" }));

    /// <summary>
    /// A UDP query through DnsClient, watched for a closed port: DnsClient's UDP socket is not connected, so the
    /// kernel's ICMP port-unreachable never reaches it and a closed port would look like a silent server until the
    /// timeout. When no answer has come after a short grace time, one copy of the question goes out on a connected
    /// UDP socket to each server; when every server answers it with port unreachable (ECONNREFUSED, as dig reports),
    /// the query fails at once.
    /// </summary>
    static async Task<IDnsQueryResponse> UdpAsync(IReadOnlyList<IPEndPoint> servers, string name, QueryType type, Options o, DnsQuestion question, CancellationToken token)
    {
        using var queryCts = CancellationTokenSource.CreateLinkedTokenSource(token);
        using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(token);
        var query = Client(servers, o, tcp: false).QueryAsync(question, queryCts.Token);
        var watch = RefusedAsync(servers, name, type, o.Recursion, watchCts.Token);
        var first = await Task.WhenAny(query, watch).ConfigureAwait(false);
        if (first == watch && watch.Result is { } refused)
        {
            queryCts.Cancel();
            _ = query.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw refused;
        }
        watchCts.Cancel();
        _ = watch.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await query.ConfigureAwait(false);
    }

    static async Task<SocketException?> RefusedAsync(IReadOnlyList<IPEndPoint> servers, string name, QueryType type, bool recursion, CancellationToken token)
    {
        try
        {
            await Task.Delay(150, token).ConfigureAwait(false);
            var packet = Packet(name, type, recursion);
            var results = await Task.WhenAll(servers.Select(s => ProbeAsync(s, packet, token))).ConfigureAwait(false);
            return results.All(r => r is not null) ? results[0] : null;
        }
        catch (OperationCanceledException) { return null; }
    }

    /// <summary>ECONNREFUSED when the port is closed (the kernel's ICMP port unreachable), null when anything answers or on any other outcome.</summary>
    static async Task<SocketException?> ProbeAsync(IPEndPoint server, byte[] packet, CancellationToken token)
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(server, token).ConfigureAwait(false);
            await socket.SendAsync(packet, SocketFlags.None, token).ConfigureAwait(false);
            var buffer = new byte[512];
            await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { return e; }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { return null; }
    }

    /// <summary>A plain query message for NAME TYPE IN (a random ID, RD as asked), for the closed-port probe.</summary>
    static byte[] Packet(string name, QueryType type, bool recursion)
    {
        var ms = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        System.Security.Cryptography.RandomNumberGenerator.Fill(header[..2]);
        header[2] = (byte)(recursion ? 0x01 : 0x00);
        header[5] = 1; // QDCOUNT
        ms.Write(header);
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes(label);
            ms.WriteByte((byte)Math.Min(63, bytes.Length));
            ms.Write(bytes, 0, Math.Min(63, bytes.Length));
        }
        ms.WriteByte(0);
        ms.WriteByte((byte)((int)type >> 8)); ms.WriteByte((byte)type);
        ms.WriteByte(0); ms.WriteByte(1);
        return ms.ToArray();
    }

    public static string Rcode(IDnsQueryResponse r) => r.Header.ResponseCode switch
    {
        DnsHeaderResponseCode.NoError => "NOERROR",
        DnsHeaderResponseCode.FormatError => "FORMERR",
        DnsHeaderResponseCode.ServerFailure => "SERVFAIL",
        DnsHeaderResponseCode.NotExistentDomain => "NXDOMAIN",
        DnsHeaderResponseCode.NotImplemented => "NOTIMP",
        DnsHeaderResponseCode.Refused => "REFUSED",
        DnsHeaderResponseCode.ExistingDomain => "YXDOMAIN",
        DnsHeaderResponseCode.ExistingResourceRecordSet => "YXRRSET",
        DnsHeaderResponseCode.MissingResourceRecordSet => "NXRRSET",
        DnsHeaderResponseCode.NotAuthorized => "NOTAUTH",
        DnsHeaderResponseCode.NotZone => "NOTZONE",
        var c => $"RCODE{(int)c}",
    };

    public static IReadOnlyList<DnsRecordData> Records(IEnumerable<DnsResourceRecord> records) =>
        records.Where(r => r is not DnsClient.Protocol.Options.OptRecord).Select(Record).ToList();

    public static DnsRecordData Record(DnsResourceRecord r) =>
        new(r.DomainName.Value, TypeName(r.RecordType), ClassName((int)r.RecordClass), r.InitialTimeToLive, Data(r));

    static string ClassName(int c) => c switch { 1 => "IN", 3 => "CH", 4 => "HS", 255 => "ANY", _ => $"CLASS{c}" };

    /// <summary>The rdata in zone-file form: DnsClient's presentation of the record without owner, TTL, class and type.</summary>
    public static string Data(DnsResourceRecord r)
    {
        var s = r.ToString(0).AsSpan().Trim();
        for (int field = 0; field < 4; field++)
        {
            int i = 0;
            while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
            s = s[i..].TrimStart();
        }
        return s.ToString();
    }
}
