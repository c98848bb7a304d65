using Resh.Core.Model;

namespace Resh.Handles.Dns;

/// <summary>dns:// — queries (DnsClient), the system resolver, traces, zone checks, transfers and dynamic updates (ARSoft.Tools.Net).</summary>
public static class DnsHandle
{
    public static HandleInfo Create() => new("dns",
        "DNS: query any record type, resolve like the system, reverse, trace from the roots, check a zone's servers, transfer a zone, and add/delete/set records by signed dynamic update (dig, getent, nsupdate with typed answers).",
        "A DNS name (example.test or example.test.), a zone name for check and zone.list, or an IP address for reverse.",
        [
            DnsQuery.Verb,
            DnsResolve.Verb,
            DnsReverse.Verb,
            DnsTrace.Verb,
            DnsCheck.Verb,
            DnsZoneList.Verb,
            DnsRecordAdd.Verb,
            DnsRecordDelete.Verb,
            DnsRecordSet.Verb,
        ])
    {
        Notes = "Names are checked before they go on the wire: ASCII letters, digits, hyphens and underscores (internationalised names in their xn-- form); " +
                "a control byte, a label over 63 bytes or a name over 253 is `usage`. " +
                "TSIG keys (updates, transfers) come from key_file= (a BIND key file, read in-process) or key_name= with key= (a secret source: secret:NAME, env:VAR, file:PATH, @-); " +
                "the secret never appears in argv, results, errors or --verbose. Updates and transfers go over TCP to the zone's primary " +
                "(server=, else the SOA MNAME). Record verbs are idempotent: the record set is read first and no update is sent when it is already as asked.",
    };
}
