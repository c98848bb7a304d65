using Resh.Core.Config;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Output;

namespace Resh.Core.Audit;

/// <summary>The <c>audit verify</c> and <c>audit list</c> commands (verbs of the hidden resh handle).</summary>
public static class AuditVerbs
{
    static readonly Arg<string?> LogPath = Arg.String("path", "The audit log to read (default: audit/audit.jsonl in the state dir; its audit.head is read beside it).", path: PathUse.Read);
    static readonly Arg<string?> Since = Arg.String("since", "Only records from this time on: a duration back from now (1h, 7d) or an RFC 3339 time.", examples: ["1h"]);
    static readonly Arg<string?> Until = Arg.String("until", "Only records up to this time: a duration back from now or an RFC 3339 time.");
    static readonly Arg<string?> Identity = Arg.String("identity", "Only this caller (a glob: unix:*, token:ci).");
    static readonly Arg<string?> HandleFilter = Arg.String("handle", "Only calls of this handle (a glob: svc, c*).");
    static readonly Arg<string?> VerbFilter = Arg.String("verb", "Only calls of this verb (a glob: restart, acme.*).");
    static readonly Arg<string?> Code = Arg.String("code", "Only calls that ended with this code (ok, permission_denied, ...).");
    static readonly Arg<string?> Surface = Arg.Enum("surface", "Only calls made through this surface.", ["cli", "batch", "mcp", "mcp-http", "rest"]);
    static readonly Arg<long?> Limit = Arg.Int("limit", "At most this many records (the newest).", 100, min: 1, max: 1_000_000);

    public static IEnumerable<VerbInfo> Create()
    {
        yield return VerbInfo.Define("audit.verify", Effect.Read, "Check that the audit trail is whole: no record edited, deleted, moved or cut off.", [LogPath],
            () => AuditResultJson.Default.AuditVerifyResult,
            ctx => AuditVerify.Run(PathOf(ctx), HeadOf(ctx), ctx.Cancellation),
            notes: "Each record holds the SHA-256 of the line before it and a head file names the last one. The chain proves the log was not altered " +
                   "by hand; it cannot stop someone who may write the state dir from rewriting the whole chain: note last_hash elsewhere (or ship records to syslog) to anchor it.",
            examples: [new("audit verify", "Intact, or the first record where the chain breaks (exit 1)."), new("audit verify path=/var/lib/resh/audit/audit.jsonl", "Root's trail.")],
            human: AuditVerify.Human);
        yield return VerbInfo.Define("audit.list", Effect.Read, "List audit records: who called which verb on what, and how it ended.",
            [Since, Until, Identity, HandleFilter, VerbFilter, Code, Surface, Limit, LogPath],
            () => AuditResultJson.Default.AuditListResult,
            ctx =>
            {
                var now = DateTime.UtcNow;
                var filter = new AuditFilter(AuditFilter.ParseTime(ctx.Get(Since), "since", now), AuditFilter.ParseTime(ctx.Get(Until), "until", now),
                    ctx.Get(Identity), ctx.Get(HandleFilter), ctx.Get(VerbFilter), ctx.Get(Code), ctx.Get(Surface));
                return AuditList.Run(PathOf(ctx), filter, (int)ctx.Get(Limit)!.Value, ctx.Cancellation);
            },
            examples: [new("audit list since=1h --format table", "The last hour's calls."), new("audit list code=permission_denied", "Refused calls.")],
            preferredFormat: null);
    }

    static string PathOf(VerbContext ctx) => ctx.Get(LogPath) ?? AuditTrail.LogPath(ctx.Runtime.Paths);
    static string HeadOf(VerbContext ctx) => ctx.Get(LogPath) is { } p ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(p))!, "audit.head") : AuditTrail.HeadPath(ctx.Runtime.Paths);
}
