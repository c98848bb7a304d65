using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Core.Audit;

public sealed record AuditProblem(
    [property: Description("The sequence number of the record where the chain breaks (0 for the head file).")] long Seq,
    [property: Description("The line number in the log (1-based; 0 for the head file).")] long Line,
    [property: Description("What was found.")] string Problem);

public sealed record AuditVerifyResult(
    [property: Description("The log that was checked.")] string Path,
    [property: Description("How many records it holds.")] long Records,
    [property: Description("True when every record chains to the one before it and the head file names the last one.")] bool Intact,
    [property: Description("Sequence number of the last record.")] long LastSeq,
    [property: Description("SHA-256 of the last record's line: note it elsewhere to prove later that nothing before it changed.")] string LastHash,
    [property: Description("Every break found, in log order.")] IReadOnlyList<AuditProblem> Problems,
    [property: Description("Started records of changing calls that no outcome record names: the call is still running, or its process died (killed, crashed) after it began.")] IReadOnlyList<long> Unfinished);

public sealed record AuditEntry(
    long Seq,
    [property: Description("When the call finished (UTC).")] string Time,
    [property: Description("Who called: unix:USER for the command line, the token or certificate name for servers.")] string Identity,
    [property: Description("cli, batch, mcp or rest.")] string Surface,
    string Handle,
    string Verb,
    string Target,
    string Host,
    [property: Description("The arguments, secrets masked as ***.")] JsonObject? Args,
    bool Ok,
    [property: Description("ok, or the error code.")] string Code,
    bool Changed,
    bool DryRun,
    double DurationMs,
    [property: Description("`started` on the record written before a changing call runs (its code is `started`); absent on outcomes.")] string? Phase = null,
    [property: Description("On an outcome: the sequence number of the call's started record.")] long? Started = null);

public sealed record AuditListResult(
    [property: Description("The matching records, oldest first (the newest `limit` of them).")] IReadOnlyList<AuditEntry> Records,
    [property: Description("How many records matched in all.")] long Matched,
    [property: Description("True when more matched than `limit`.")] bool Truncated);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(AuditVerifyResult))]
[JsonSerializable(typeof(AuditListResult))]
[JsonSerializable(typeof(AuditEntry))]
internal sealed partial class AuditResultJson : JsonSerializerContext;
