using System.Diagnostics;
using System.Globalization;
using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Dns;

/// <summary>Queries through DnsClient: one question to one server (or the system's), the answer as data.</summary>
internal static class DnsLookup
{
    public sealed record Options(bool Tcp = false, bool Recursion = true, bool Edns = true, bool Dnssec = false, TimeSpan? Timeout = null);

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

    public static async Task<(IDnsQueryResponse Response, IPEndPoint Server, double Ms)> AskAsync(
        IReadOnlyList<IPEndPoint> servers, string name, QueryType type, Options o, CancellationToken token)
    {
        var options = new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
        {
            UseCache = false,
            Recursion = o.Recursion,
            UseTcpOnly = o.Tcp,
            UseTcpFallback = true,
            Retries = 1,
            Timeout = o.Timeout ?? TimeSpan.FromSeconds(5),
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseRandomNameServer = false,
            EnableAuditTrail = false,
            RequestDnsSecRecords = o.Dnssec,
            ExtendedDnsBufferSize = o.Edns ? 1232 : 512,
            AutoResolveNameServers = false,
        };
        var client = new LookupClient(options);
        var start = Stopwatch.GetTimestamp();
        try
        {
            IDnsQueryResponse response;
            try
            {
                response = await client.QueryAsync(new DnsQuestion(name, type, QueryClass.IN), token).ConfigureAwait(false);
            }
            catch (Exception e) when (e.GetType().Name == "DnsXidMismatchException" && !o.Tcp)
            {
                // A UDP answer with another ID (a spoofing attempt or a confused server): ask again over TCP, which an
                // off-path sender cannot answer, instead of failing the call on one forged packet.
                var tcp = new LookupClient(new LookupClientOptions(servers.Select(x => new NameServer(x)).ToArray())
                {
                    UseCache = false, Recursion = o.Recursion, UseTcpOnly = true, Retries = 1, Timeout = options.Timeout, ThrowDnsErrors = false,
                    ContinueOnDnsError = false, ContinueOnEmptyResponse = false, UseRandomNameServer = false, EnableAuditTrail = false,
                    RequestDnsSecRecords = o.Dnssec, ExtendedDnsBufferSize = options.ExtendedDnsBufferSize, AutoResolveNameServers = false,
                });
                response = await tcp.QueryAsync(new DnsQuestion(name, type, QueryClass.IN), token).ConfigureAwait(false);
            }
            // An answer must be to the question asked (as dig checks): records for another name are not an answer.
            if (response.Questions.Count != 1 || !string.Equals(DnsNames.Canonical(response.Questions[0].QueryName.Value), DnsNames.Canonical(name), StringComparison.Ordinal)
                || response.Questions[0].QuestionType != type)
                throw new ReshException(ReshError.Failed(
                    $"{string.Join(", ", servers.Select(DnsServers.Show))} answered another question ({(response.Questions.Count > 0 ? response.Questions[0].QueryName.Value + " " + TypeName(response.Questions[0].QuestionType) : "none")}) than {name} {TypeName(type)}; the answer is ignored.",
                    "The server is misbehaving, or someone on the path forged the answer."));
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var from = servers.FirstOrDefault(s => response.NameServer is { } ns && ns.Address == s.Address.ToString() && ns.Port == s.Port) ?? servers[0];
            return (response, from, Math.Round(ms, 2));
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout)
        {
            throw new ReshException(ReshError.Timeout($"No answer from {string.Join(", ", servers.Select(DnsServers.Show))} for {name} {TypeName(type)} within {options.Timeout.TotalSeconds:0.###} s.",
                "Check the server address and port (server=IP:PORT), or raise timeout=."));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new ReshException(ReshError.Unavailable($"Query {name} {TypeName(type)} to {string.Join(", ", servers.Select(DnsServers.Show))} failed: {ExceptionTranslation.OneLine(e.Message)}",
                "Check that a DNS server listens there (server=IP:PORT)."));
        }
        catch (Exception e) when (e.GetType().Name == "DnsXidMismatchException")
        {
            throw new ReshException(ReshError.Failed($"The answers from {string.Join(", ", servers.Select(DnsServers.Show))} for {name} {TypeName(type)} carried another query ID, over UDP and TCP; they were ignored.",
                "The server is misbehaving, or someone forges answers."));
        }
        catch (DnsResponseException e)
        {
            throw new ReshException(ReshError.Unavailable($"Query {name} {TypeName(type)} to {string.Join(", ", servers.Select(DnsServers.Show))} failed: {ExceptionTranslation.OneLine(e.Message)}",
                "Check that a DNS server listens there (server=IP:PORT)."));
        }
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
