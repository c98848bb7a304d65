using System.Net;
using System.Net.Sockets;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using ArNet = ARSoft.Tools.Net;
using Ar = ARSoft.Tools.Net.Dns;

namespace Resh.Handles.Dns;

/// <summary>
/// Talking to a zone's primary through ARSoft.Tools.Net: finding the zone and its primary, reading a
/// record set authoritatively (over TCP, no recursion, no cache), and turning users' values into records.
/// </summary>
internal sealed class DnsPrimary
{
    public IPEndPoint Server { get; }
    public string Zone { get; }
    readonly TimeSpan _timeout;

    DnsPrimary(IPEndPoint server, string zone, TimeSpan timeout) { Server = server; Zone = zone; _timeout = timeout; }

    /// <summary>The call's timeout= for one exchange with the primary.</summary>
    public TimeSpan Timeout => _timeout;

    public Ar.DnsClient Client(params Ar.IClientTransport[] transports) =>
        new([Server.Address], transports.Length > 0 ? transports : [new Ar.TcpClientTransport(Server.Port)], true, (int)_timeout.TotalMilliseconds);

    /// <summary>
    /// The server (server=, else the MNAME of the zone's SOA found through the system's resolvers, on port=)
    /// and the zone (zone=, else the owner of the SOA the server gives for the name).
    /// </summary>
    public static async Task<DnsPrimary> FindAsync(VerbContext ctx, string name, string? zoneArg, CancellationToken token)
    {
        var timeout = ctx.Get(DnsArgs.Timeout) ?? TimeSpan.FromSeconds(5);
        IPEndPoint server;
        string? zone = zoneArg is { Length: > 0 } z ? DnsNames.Fqdn(z, "zone name") : null;
        if (ctx.Get(DnsArgs.Server) is { Length: > 0 } s)
        {
            server = DnsServers.Parse(s, DnsCall.Port(ctx));
        }
        else
        {
            var (soa, _, _) = await DnsLookup.AskAsync(DnsServers.SystemResolvers(null), zone ?? name, global::DnsClient.QueryType.SOA, new DnsLookup.Options(Timeout: timeout), token).ConfigureAwait(false);
            var record = soa.Answers.OfType<global::DnsClient.Protocol.SoaRecord>().FirstOrDefault() ?? soa.Authorities.OfType<global::DnsClient.Protocol.SoaRecord>().FirstOrDefault()
                ?? throw new ReshException(ReshError.NotFound($"No zone holds {name} (no SOA record found through the system's resolvers).", "Give server= and zone=."));
            zone ??= DnsNames.Canonical(record.DomainName.Value);
            var mname = record.MName.Value.TrimEnd('.');
            IPAddress[] addrs;
            try { addrs = await global::System.Net.Dns.GetHostAddressesAsync(mname, token).ConfigureAwait(false); }
            catch (SocketException) { addrs = []; }
            var ip = addrs.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addrs.FirstOrDefault()
                ?? throw new ReshException(ReshError.NotFound($"The primary {mname} of {zone} has no address.", "Give server=IP[:PORT]."));
            server = new IPEndPoint(ip, DnsCall.Port(ctx) ?? 53);
        }
        var primary = new DnsPrimary(server, zone ?? ".", timeout);
        if (zone is null)
        {
            var answer = await primary.AskAsync(name, Ar.RecordType.Soa, token).ConfigureAwait(false);
            var soa = answer.AnswerRecords.OfType<Ar.SoaRecord>().FirstOrDefault() ?? answer.AuthorityRecords.OfType<Ar.SoaRecord>().FirstOrDefault();
            if (soa is null)
                throw new ReshException(ReshError.NotFound($"{DnsServers.Show(server)} is not authoritative for a zone holding {name} ({Rcode(answer.ReturnCode)}).",
                    "Give zone= and the zone's primary as server=."));
            primary = new DnsPrimary(server, DnsNames.Canonical(soa.Name.ToString()), timeout);
        }
        if (!DnsNames.Canonical(name).EndsWith(primary.Zone == "." ? "." : "." + primary.Zone, StringComparison.Ordinal) && DnsNames.Canonical(name) != primary.Zone)
            throw new ReshException(ReshError.Usage($"{name} is not inside the zone {primary.Zone.TrimEnd('.')}.", "Give a name inside the zone, or the right zone=."));
        return primary;
    }

    /// <summary>One non-recursive question to the primary over TCP.</summary>
    public async Task<Ar.DnsMessage> AskAsync(string name, Ar.RecordType type, CancellationToken token, DnsTsig? key = null)
    {
        using var client = Client();
        var query = new Ar.DnsMessage { IsRecursionDesired = false };
        query.Questions.Add(new Ar.DnsQuestion(ArNet.DomainName.Parse(name), type, Ar.RecordClass.INet));
        if (key is not null) query.TSigOptions = key.For(query.TransactionID);
        // As for updates: the library's transport timeout does not bound the read of the answer, so a server that
        // takes the connection and never answers held the call (and acme dns-01 behind it) forever.
        Ar.DnsMessage? answer;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            deadline.CancelAfter(_timeout);
            try { answer = await client.SendMessageAsync(query, deadline.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested) { answer = null; }
        }
        return answer ?? throw new ReshException(ReshError.Timeout($"No answer from {DnsServers.Show(Server)} for {name} {type} within {_timeout.TotalSeconds:0.###} s.",
            "Check server=IP:PORT (TCP must be open), or raise timeout=."));
    }

    /// <summary>The record set NAME TYPE as the primary holds it now (type ANY: every record at the name).</summary>
    public async Task<List<Ar.DnsRecordBase>> RecordSetAsync(string name, Ar.RecordType type, CancellationToken token)
    {
        var answer = await AskAsync(name, type, token).ConfigureAwait(false);
        if (answer.ReturnCode is not (Ar.ReturnCode.NoError or Ar.ReturnCode.NxDomain))
            throw new ReshException(ReshError.Unavailable($"{DnsServers.Show(Server)} answered {Rcode(answer.ReturnCode)} for {name} {type}.",
                "Check that server= is the zone's primary and answers for it.") with { Transient = answer.ReturnCode == Ar.ReturnCode.ServerFailure }); // SERVFAIL may pass; REFUSED is policy
        var canonical = DnsNames.Canonical(name);
        return answer.AnswerRecords.Where(r => DnsNames.Canonical(r.Name.ToString()) == canonical && (type == Ar.RecordType.Any || r.RecordType == type)).ToList();
    }

    /// <summary>A record type from text: ARSoft's mnemonic or TYPEnnn.</summary>
    public static Ar.RecordType ParseType(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        if (t.StartsWith("TYPE", StringComparison.Ordinal) && ushort.TryParse(t.AsSpan(4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            return (Ar.RecordType)n;
        foreach (var v in Enum.GetValues<Ar.RecordType>())
            if (string.Equals(v.ToString(), t, StringComparison.OrdinalIgnoreCase)) return v;
        throw new ReshException(ReshError.Usage($"`{text}` is not a DNS record type.", "Give a type such as A, AAAA, MX, TXT, CNAME, SRV, CAA or TYPEnnn."));
    }

    public static string TypeName(Ar.RecordType t) => Enum.IsDefined(t) ? t.ToString().ToUpperInvariant() : $"TYPE{(int)t}";

    /// <summary>
    /// A value in zone-file form (`10 mail.example.test.`, `"some text"`) made into a record of NAME TYPE with TTL.
    /// Relative names in the value are completed with the zone. Line breaks and NUL are refused before parsing.
    /// </summary>
    public Ar.DnsRecordBase Record(string name, Ar.RecordType type, int ttl, string value)
    {
        if (value.AsSpan().IndexOfAny("\r\n\0") >= 0)
            throw new ReshException(ReshError.Usage($"The {TypeName(type)} value contains a line break or NUL byte.", "Give one record value on one line; write odd bytes in TXT as \\DDD."));
        var text = $"$ORIGIN {Zone}\n{name} {ttl} IN {TypeName(type)} {value}\n";
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
            var zone = Ar.Zone.ParseMasterFile(ArNet.DomainName.Parse(Zone), stream);
            var record = zone.SingleOrDefault();
            if (record is not null && record.RecordType == type) return record;
        }
        catch (Exception e) when (e is not OperationCanceledException) { }
        throw new ReshException(ReshError.Usage($"`{value}` is not a valid {TypeName(type)} value.",
            $"Give it as a zone file would, e.g. {Example(type)}."));
    }

    static string Example(Ar.RecordType type) => type switch
    {
        Ar.RecordType.A => "value=192.0.2.10",
        Ar.RecordType.Aaaa => "value=2001:db8::10",
        Ar.RecordType.Mx => "value='10 mail.example.com.'",
        Ar.RecordType.Txt => "value='\"v=spf1 -all\"'",
        Ar.RecordType.Srv => "value='0 5 5060 sip.example.com.'",
        Ar.RecordType.CName => "value=www.example.com.",
        _ => "the record data after the type in a zone file line",
    };

    /// <summary>The record data in zone-file form (ARSoft's presentation without owner, TTL, class and type).</summary>
    public static string Data(Ar.DnsRecordBase r)
    {
        var s = r.ToString().AsSpan().Trim();
        for (int field = 0; field < 4; field++)
        {
            int i = 0;
            while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
            s = s[i..].TrimStart();
        }
        return s.ToString();
    }

    public static DnsRecordData View(Ar.DnsRecordBase r) =>
        new(r.Name.ToString(), TypeName(r.RecordType), r.RecordClass == Ar.RecordClass.INet ? "IN" : r.RecordClass.ToString().ToUpperInvariant(), r.TimeToLive, Data(r));

    /// <summary>Two records carry the same data (names compared without case; text exactly).</summary>
    public static bool SameData(Ar.DnsRecordBase a, Ar.DnsRecordBase b) =>
        a.RecordType == b.RecordType && string.Equals(Data(a), Data(b), a.RecordType == Ar.RecordType.Txt ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);

    public static string Rcode(Ar.ReturnCode c) => c switch
    {
        Ar.ReturnCode.NoError => "NOERROR",
        Ar.ReturnCode.FormatError => "FORMERR",
        Ar.ReturnCode.ServerFailure => "SERVFAIL",
        Ar.ReturnCode.NxDomain => "NXDOMAIN",
        Ar.ReturnCode.NotImplemented => "NOTIMP",
        Ar.ReturnCode.Refused => "REFUSED",
        Ar.ReturnCode.YXDomain => "YXDOMAIN",
        Ar.ReturnCode.YXRRSet => "YXRRSET",
        Ar.ReturnCode.NXRRSet => "NXRRSET",
        Ar.ReturnCode.NotAuthoritive => "NOTAUTH",
        Ar.ReturnCode.NotZone => "NOTZONE",
        Ar.ReturnCode.BadSig => "BADSIG",
        Ar.ReturnCode.BadKey => "BADKEY",
        Ar.ReturnCode.BadTime => "BADTIME",
        _ => $"RCODE{(int)c}",
    };
}
