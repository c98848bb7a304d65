using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Core.Audit;

/// <summary>
/// One line of the audit trail: who called what, with which arguments (secrets masked), and how it ended.
/// <c>Prev</c> is the SHA-256 of the previous line's bytes, so an edit, a deletion or a reordering breaks the chain.
/// </summary>
public sealed record AuditRecord(
    long Seq,
    string Time,
    string Identity,
    string Surface,
    string Handle,
    string Verb,
    string Target,
    string Host,
    JsonObject Args,
    bool Ok,
    string Code,
    bool Changed,
    bool DryRun,
    double DurationMs,
    string Prev);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJson : JsonSerializerContext;
