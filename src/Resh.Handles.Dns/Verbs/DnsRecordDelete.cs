using Resh.Core.Model;

namespace Resh.Handles.Dns;

public static class DnsRecordDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("record.delete", Effect.Destroy,
        "Delete records with an RFC 2136 dynamic update (TSIG-signed): the given values, the whole record set of a type, or (type=ANY) every record of the name.",
        [DnsUpdate.Value, .. DnsUpdate.Common], () => DnsJson.Default.DnsRecordChangeResult, ctx => DnsUpdate.RunAsync(ctx, DnsUpdate.Mode.Delete),
        examples:
        [
            new("dns://app.example.test.record.delete type=A value=192.0.2.10 key_file=/etc/bind/resh.key", "Delete one A record."),
            new("dns://old.example.test.record.delete type=ANY key_file=/etc/bind/resh.key", "Delete every record of old.example.test."),
        ],
        notes: "Nothing is sent when none of the records exists.");
}
