using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using ArNet = ARSoft.Tools.Net;
using Ar = ARSoft.Tools.Net.Dns;
using Upd = ARSoft.Tools.Net.Dns.DynamicUpdate;

namespace Resh.Handles.Dns;

/// <summary>
/// record.add / record.delete / record.set: read the record set from the primary, plan, and send one
/// RFC 2136 update (TSIG-signed when a key is given) only when the records are not already as asked.
/// </summary>
internal static class DnsUpdate
{
    public static readonly Arg<string?> Type = Arg.String("type", "Record type: A, AAAA, MX, TXT, CNAME, SRV, CAA, PTR, NS... or TYPEnnn.", "A", examples: ["TXT", "MX"]);
    public static readonly Arg<IReadOnlyList<string>> Value = Arg.List("value",
        "Record data as in a zone file (repeat for several records); relative names are completed with the zone.",
        examples: ["192.0.2.10", "10 mail.example.test.", "\"v=spf1 -all\""]);
    public static readonly Arg<long?> Ttl = Arg.Int("ttl", "Time to live in seconds of added records (default: the record set's current TTL, else 300).", min: 0, max: int.MaxValue);
    public static readonly Arg<string?> Zone = Arg.String("zone", "Zone to update (default: the zone the server says holds the name).", examples: ["example.test"]);
    public static readonly Arg<IReadOnlyList<string>> Require = Arg.List("require",
        "Prerequisites (RFC 2136 §2.4) the server checks before applying: absent / present (the name has no / some records), " +
        "rrset_absent / rrset_present (no / some records of the type); each may name another name and type as KIND:NAME or KIND:NAME/TYPE.",
        examples: ["absent", "rrset_present:other.example.test/TXT"]);

    public static ArgInfo[] Common => [Type, Ttl, Zone, Require, DnsArgs.Server, DnsArgs.Port, DnsArgs.Timeout, .. DnsArgs.Tsig];

    public enum Mode { Add, Delete, Set }

    public static async ValueTask<Outcome<DnsRecordChangeResult>> RunAsync(VerbContext ctx, Mode mode)
    {
        var name = DnsNames.Fqdn(ctx.Target);
        var type = DnsPrimary.ParseType(ctx.Get(Type)!);
        if (type is Ar.RecordType.Soa or Ar.RecordType.Axfr or Ar.RecordType.Ixfr or Ar.RecordType.TSig or Ar.RecordType.Opt || (type == Ar.RecordType.Any && mode != Mode.Delete))
            return ReshError.Usage($"{DnsPrimary.TypeName(type)} records cannot be {(mode == Mode.Delete ? "deleted" : "written")} with dns://.record.*.",
                "The server keeps the SOA serial itself; use type=A, AAAA, MX, TXT, CNAME, SRV and the like.");
        var values = ctx.Get(Value);
        if (mode != Mode.Delete && values.Count == 0)
            return ReshError.Usage($"record.{(mode == Mode.Add ? "add" : "set")} needs at least one value=.", "Give value=DATA (repeat it for several records).");
        if (type == Ar.RecordType.Any && values.Count > 0)
            return ReshError.Usage("type=ANY deletes every record of the name and takes no value=.", "Drop value=, or give the type of the records to delete.");
        var key = DnsTsig.From(ctx);
        var prerequisites = ParsePrerequisites(ctx.Get(Require), name, type);
        var primary = await DnsPrimary.FindAsync(ctx, name, ctx.Get(Zone), ctx.Cancellation).ConfigureAwait(false);
        if (key is not null && !ctx.IsSet(DnsArgs.Server))
            ctx.Warn($"The primary {DnsServers.Show(primary.Server)} was found by an unsigned lookup through the system resolver; give server= to pin the server the signed update goes to.");

        var before = await primary.RecordSetAsync(name, type, ctx.Cancellation).ConfigureAwait(false);
        var ttl = (int)(ctx.Get(Ttl) ?? (before.Count > 0 ? before[0].TimeToLive : 300));
        var wanted = values.Select(v => primary.Record(name, type, ttl, v)).ToList();
        var updates = new List<Upd.UpdateBase>();
        List<Ar.DnsRecordBase> planned;
        switch (mode)
        {
            case Mode.Add:
                var missing = wanted.Where(w => !before.Any(b => DnsPrimary.SameData(b, w))).ToList();
                updates.AddRange(missing.Select(m => (Upd.UpdateBase)new Upd.AddRecordUpdate(m)));
                planned = [.. before, .. missing];
                break;
            case Mode.Delete when wanted.Count == 0:
                if (before.Count > 0) updates.Add(new Upd.DeleteAllRecordsUpdate(ArNet.DomainName.Parse(name), type));
                planned = [];
                break;
            case Mode.Delete:
                var present = before.Where(b => wanted.Any(w => DnsPrimary.SameData(b, w))).ToList();
                updates.AddRange(present.Select(p => (Upd.UpdateBase)new Upd.DeleteRecordUpdate(p)));
                planned = before.Where(b => !present.Contains(b)).ToList();
                break;
            default:
                var same = before.Count == wanted.Count && wanted.All(w => before.Any(b => DnsPrimary.SameData(b, w)))
                    && (!ctx.IsSet(Ttl) || before.All(b => b.TimeToLive == ttl));
                if (!same)
                {
                    updates.Add(new Upd.DeleteAllRecordsUpdate(ArNet.DomainName.Parse(name), type));
                    updates.AddRange(wanted.Select(w => (Upd.UpdateBase)new Upd.AddRecordUpdate(w)));
                }
                planned = same ? before : wanted;
                break;
        }

        var beforeText = before.Select(DnsPrimary.Data).ToList();
        var prereqText = prerequisites.Select(p => p.Text).ToList();
        if (updates.Count == 0)
            return Outcome.Unchanged(Result(name, primary, type, ttl, beforeText, beforeText, false, prereqText, key));
        if (ctx.DryRun)
            return Outcome.Changed(Result(name, primary, type, ttl, beforeText, planned.Select(DnsPrimary.Data).ToList(), false, prereqText, key));

        var message = new Upd.DnsUpdateMessage { ZoneName = ArNet.DomainName.Parse(primary.Zone) };
        foreach (var p in prerequisites) message.Prequisites.Add(p.Prerequisite);
        message.Updates.AddRange(updates);
        if (key is not null) message.TSigOptions = key.For(message.TransactionID);
        Upd.DnsUpdateMessage? response;
        // The library's transport timeout does not bound the read of the answer: a server (or anything in between)
        // that keeps the connection open without answering held the call forever. The call's timeout= bounds it.
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation))
        using (var client = primary.Client())
        {
            deadline.CancelAfter(primary.Timeout);
            try { response = await client.SendUpdateAsync(message, deadline.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested)
            {
                return ReshError.Timeout($"{DnsServers.Show(primary.Server)} did not answer the update of {name} {DnsPrimary.TypeName(type)} within {primary.Timeout.TotalSeconds:0.###} s; the server may have applied it.",
                    $"Check the record with dns://{name}.query server={DnsServers.Show(primary.Server)} before trying again; raise timeout= if the server is slow.");
            }
        }
        if (response is null)
            return ReshError.Timeout($"{DnsServers.Show(primary.Server)} did not answer the update of {name} {DnsPrimary.TypeName(type)}.",
                "Check server= (the zone's primary, TCP) and raise timeout= if it is slow.");
        if (Failure(response, name, type, primary, key, prereqText) is { } error) return error;
        if (key is not null && key.VerifyAnswer(response, DnsServers.Show(primary.Server), $"the update of {name} {DnsPrimary.TypeName(type)}") is { } forged)
            return forged;
        var after = await primary.RecordSetAsync(name, type, ctx.Cancellation).ConfigureAwait(false);
        if (after.Count != planned.Count || !planned.All(p => after.Any(a => DnsPrimary.SameData(a, p))))
            ctx.Warn($"{DnsServers.Show(primary.Server)} accepted the update, but {name} {DnsPrimary.TypeName(type)} now reads [{string.Join(", ", after.Select(DnsPrimary.Data))}], " +
                     $"not the planned [{string.Join(", ", planned.Select(DnsPrimary.Data))}] (another change at the same time, or not the server that holds the zone).");
        return Outcome.Changed(Result(name, primary, type, ttl, beforeText, after.Select(DnsPrimary.Data).ToList(), true, prereqText, key));
    }

    static DnsRecordChangeResult Result(string name, DnsPrimary p, Ar.RecordType type, int ttl, IReadOnlyList<string> before, IReadOnlyList<string> after,
        bool sent, IReadOnlyList<string> prereqs, DnsTsig? key) =>
        new(name, p.Zone, DnsPrimary.TypeName(type), ttl, DnsServers.Show(p.Server), before, after, sent, prereqs, key?.Name);

    static ReshError? Failure(Upd.DnsUpdateMessage response, string name, Ar.RecordType type, DnsPrimary p, DnsTsig? key, IReadOnlyList<string> prereqs)
    {
        var tsigError = response.TSigOptions?.Error ?? Ar.ReturnCode.NoError;
        var rcode = DnsPrimary.Rcode(response.ReturnCode);
        var details = new JsonObject { ["rcode"] = rcode, ["server"] = DnsServers.Show(p.Server), ["zone"] = p.Zone };
        if (tsigError != Ar.ReturnCode.NoError) details["tsig_error"] = DnsPrimary.Rcode(tsigError);
        var what = $"the update of {name} {DnsPrimary.TypeName(type)} in {p.Zone}";
        return response.ReturnCode switch
        {
            Ar.ReturnCode.NoError => null,
            Ar.ReturnCode.NotAuthoritive when tsigError != Ar.ReturnCode.NoError || key is not null =>
                ReshError.PermissionDenied($"{DnsServers.Show(p.Server)} rejected the TSIG key {key?.Name} for {what} ({DnsPrimary.Rcode(tsigError)}).",
                    "Check key_name=, key= and algorithm= against the server's key statement (BADTIME: the clocks differ by more than 5 minutes).", details),
            Ar.ReturnCode.Refused or Ar.ReturnCode.NotAuthoritive =>
                ReshError.PermissionDenied($"{DnsServers.Show(p.Server)} refused {what} ({rcode}).",
                    key is null ? "The server probably allows updates only with a TSIG key: give key_file= or key_name= with key=." : "Check the zone's allow-update / update-policy for this key.", details),
            Ar.ReturnCode.YXDomain or Ar.ReturnCode.NxDomain or Ar.ReturnCode.YXRRSet or Ar.ReturnCode.NXRRSet =>
                ReshError.Conflict($"A prerequisite of {what} does not hold ({rcode}): {string.Join(", ", prereqs)}.", "Nothing was changed; read the records with .query and adjust require=.", details),
            Ar.ReturnCode.NotZone =>
                ReshError.Usage($"{name} is not in the zone {p.Zone.TrimEnd('.')} ({rcode}).", "Give the right zone=.", details),
            _ => ReshError.Failed($"{DnsServers.Show(p.Server)} answered {rcode} to {what}.", "See the server's log.", details),
        };
    }

    sealed record Prereq(string Text, Upd.PrequisiteBase Prerequisite);

    static List<Prereq> ParsePrerequisites(IReadOnlyList<string> items, string name, Ar.RecordType type)
    {
        var list = new List<Prereq>();
        foreach (var item in items)
        {
            var colon = item.IndexOf(':');
            var kind = (colon < 0 ? item : item[..colon]).Trim().ToLowerInvariant();
            var target = name;
            var rtype = type;
            if (colon >= 0)
            {
                var rest = item[(colon + 1)..].Trim();
                var slash = rest.IndexOf('/');
                target = DnsNames.Fqdn(slash < 0 ? rest : rest[..slash]);
                if (slash >= 0) rtype = DnsPrimary.ParseType(rest[(slash + 1)..]);
            }
            var n = ArNet.DomainName.Parse(target);
            Upd.PrequisiteBase p = kind switch
            {
                "absent" => new Upd.NameIsNotInUsePrequisite(n),
                "present" => new Upd.NameIsInUsePrequisite(n),
                "rrset_absent" => new Upd.RecordNotExistsPrequisite(n, rtype),
                "rrset_present" => new Upd.RecordExistsValueIndependantPrequisite(n, rtype),
                _ => throw new ReshException(ReshError.Usage($"require={item}: `{kind}` is not a prerequisite.",
                    "Give absent, present, rrset_absent or rrset_present, optionally as KIND:NAME or KIND:NAME/TYPE.")),
            };
            list.Add(new Prereq(kind is "absent" or "present" ? $"{kind}:{target}" : $"{kind}:{target}/{DnsPrimary.TypeName(rtype)}", p));
        }
        return list;
    }
}
