using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsRecordAdd
{
    public static readonly VerbInfo Verb = VerbInfo.Define("record.add", Effect.Mutate,
        "Add records to a record set with an RFC 2136 dynamic update (TSIG-signed); nothing is sent when they are already there.",
        [DnsUpdate.Value, .. DnsUpdate.Common], () => DnsJson.Default.DnsRecordChangeResult, ctx => DnsUpdate.RunAsync(ctx, DnsUpdate.Mode.Add),
        examples:
        [
            new("'dns://app.example.test.record.add(type=A,value=192.0.2.10,server=127.0.0.1:5353)' key_file=/etc/bind/resh.key", "Add an A record, signed with the key in a BIND key file."),
            new("dns://example.test.record.add type=TXT value='\"v=spf1 -all\"' key_name=resh-key key=env:TSIG_SECRET", "Add a TXT record; the key's secret from the environment."),
        ],
        notes: "The record set is read from the primary first (TCP, no recursion); only the missing records are sent. require= adds prerequisites the server checks.");
}
