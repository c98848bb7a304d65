using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using ArNet = ARSoft.Tools.Net;
using Ar = ARSoft.Tools.Net.Dns;

namespace Resh.Handles.Dns;

public static class DnsZoneList
{
    static readonly Arg<long?> MaxBytes = Arg.Size("max_bytes",
        "Largest transfer to accept; a zone that sends more is cut off (`failed`), so a huge zone cannot exhaust memory.", 64L * 1024 * 1024);
    static readonly Arg<string?> TypeFilter = Arg.String("type", "Keep only records of this type (the whole zone is still transferred).", examples: ["A", "MX"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("zone.list", Effect.Read,
        "Every record of a zone, by zone transfer (AXFR over TCP, TSIG-signed when a key is given).",
        [TypeFilter, MaxBytes, DnsArgs.Server, DnsArgs.Port, DnsArgs.Timeout, .. DnsArgs.Tsig], () => DnsJson.Default.DnsZoneListResult, RunAsync,
        examples:
        [
            new("dns://example.test.zone.list server=127.0.0.1:5353 key_file=/etc/bind/resh.key", "The zone, signed with a BIND key file."),
            new("dns://example.test.zone.list type=MX key_name=xfr key=secret:dns/xfr", "Only the MX records; the key's secret from the secret store."),
        ],
        targetHelp: "A zone name.",
        notes: "The server defaults to the zone's primary (SOA MNAME). A refused transfer is `permission_denied`.");

    static async ValueTask<Outcome<DnsZoneListResult>> RunAsync(VerbContext ctx)
    {
        var zone = DnsNames.Fqdn(ctx.Target, "zone name");
        var filter = ctx.Get(TypeFilter) is { Length: > 0 } t ? DnsPrimary.ParseType(t) : (Ar.RecordType?)null;
        var key = DnsTsig.From(ctx);
        var primary = await DnsPrimary.FindAsync(ctx, zone, zone, ctx.Cancellation).ConfigureAwait(false);
        if (key is not null && !ctx.IsSet(DnsArgs.Server))
            ctx.Warn($"The primary {DnsServers.Show(primary.Server)} was found by an unsigned lookup through the system resolver; give server= to pin the server the signed transfer comes from.");
        var maxBytes = ctx.Get(MaxBytes)!.Value;
        var transport = new BoundedTcpTransport(primary.Server.Port, maxBytes);
        var query = new Ar.DnsMessage { IsRecursionDesired = false };
        query.Questions.Add(new Ar.DnsQuestion(ArNet.DomainName.Parse(zone), Ar.RecordType.Axfr, Ar.RecordClass.INet));
        if (key is not null) query.TSigOptions = key.For(query.TransactionID);
        Ar.DnsMessage? answer;
        using (var client = primary.Client(transport))
            answer = await client.SendMessageAsync(query, ctx.Cancellation).ConfigureAwait(false);
        if (transport.Exceeded)
            return ReshError.Failed($"The transfer of {zone} passed max_bytes ({maxBytes} bytes after {transport.Messages} messages) and was cut off.",
                "Raise max_bytes= if the zone is really that large.", new System.Text.Json.Nodes.JsonObject { ["received_bytes"] = transport.Received, ["max_bytes"] = maxBytes });
        if (answer is null)
            return ReshError.Unavailable($"{DnsServers.Show(primary.Server)} did not complete a zone transfer of {zone.TrimEnd('.')}.",
                "Check server= (TCP must be open) and that the server serves the zone.");
        var rcode = DnsPrimary.Rcode(answer.ReturnCode);
        if (answer.ReturnCode is Ar.ReturnCode.Refused or Ar.ReturnCode.NotAuthoritive)
            return ReshError.PermissionDenied($"{DnsServers.Show(primary.Server)} refused the transfer of {zone} ({rcode}{(answer.TSigOptions is { Error: not Ar.ReturnCode.NoError } ts ? ", TSIG " + DnsPrimary.Rcode(ts.Error) : "")}).",
                key is null ? "Transfers usually need a TSIG key: give key_file= or key_name= with key=." : "Check the key and the zone's allow-transfer.");
        if (answer.ReturnCode != Ar.ReturnCode.NoError || answer.AnswerRecords.FirstOrDefault() is not Ar.SoaRecord soa)
            return ReshError.Failed($"{DnsServers.Show(primary.Server)} answered {rcode} to a transfer of {zone.TrimEnd('.')}.", "Check that the server is authoritative for the zone.");
        if (key is not null && key.VerifyAnswer(answer, DnsServers.Show(primary.Server), $"the transfer of {zone.TrimEnd('.')}") is { } forged)
            return forged;
        // ARSoft checks only the first message's TSIG; every message of the transfer must be signed and verify.
        if (key is not null && key.VerifyTransfer(transport.Request, transport.Answers, DnsServers.Show(primary.Server), $"the transfer of {zone.TrimEnd('.')}") is { } altered)
            return altered;
        var records = answer.AnswerRecords;
        var texts = RawTexts(transport.Answers, records.Count);
        // The transfer opens and closes with the SOA; list it once.
        if (records.Count > 1 && records[^1] is Ar.SoaRecord) records = records.Take(records.Count - 1).ToList();
        var listed = records.Select((r, i) => (r, i))
            .Where(x => x.r.RecordType != Ar.RecordType.TSig && (filter is null || x.r.RecordType == filter))
            .Select(x => texts?[x.i] is { } text ? DnsPrimary.View(x.r) with { Data = text } : DnsPrimary.View(x.r)).ToList();
        return new DnsZoneListResult(zone, DnsServers.Show(primary.Server), soa.SerialNumber, listed.Count, transport.Received, key is not null, listed);
    }

    /// <summary>
    /// The data of the TXT and SPF records of the transfer in dig's presentation form, read from the messages as
    /// received (ARSoft decodes character-strings as ASCII, so a byte above 0x7F would become `?`); indexed like the
    /// answer records, null elsewhere. Null when the messages do not line up with the parsed records.
    /// </summary>
    static string?[]? RawTexts(IReadOnlyList<byte[]> messages, int count)
    {
        var texts = new List<string?>(count);
        foreach (var m in messages)
        {
            if (DnsWire.Parse(m) is not { } wire) return null;
            foreach (var rr in wire.Records.Where(r => r.Section == 1))
                texts.Add(rr.Type is 16 or 99 ? DnsWire.CharacterStrings(wire.Message.AsSpan(rr.DataStart, rr.DataLength)) : null);
        }
        return texts.Count == count ? texts.ToArray() : null;
    }
}
