using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsRecordSet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("record.set", Effect.Mutate,
        "Make a record set exactly the given values (and ttl=) with one RFC 2136 dynamic update (TSIG-signed); nothing is sent when it already is.",
        [DnsUpdate.Value, .. DnsUpdate.Common], () => DnsJson.Default.DnsRecordChangeResult, ctx => DnsUpdate.RunAsync(ctx, DnsUpdate.Mode.Set),
        examples:
        [
            new("dns://www.example.test.record.set type=A value=192.0.2.10 value=192.0.2.11 key_file=/etc/bind/resh.key", "www has exactly these two addresses."),
            new("dns://www.example.test.record.set type=CNAME value=web.example.test. require=rrset_absent:www.example.test/A key_file=/etc/bind/resh.key", "A CNAME, only if www has no A record."),
        ],
        notes: "The update deletes the record set and adds the values in one message, which the server applies atomically.");
}
