using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Core.Audit;

/// <summary>
/// One line of the audit trail: who called what, with which arguments (secrets masked), and how it ended.
/// <c>Prev</c> is the SHA-256 of the previous line's bytes, so an edit, a deletion or a reordering breaks the chain.
/// A call that may change something is recorded twice: <c>Phase = "started"</c> (code <c>started</c>) before it runs,
/// and its outcome after, whose <c>Started</c> names the first record; a call whose process died in between is
/// left with a started record alone (<c>audit verify</c> lists them).
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
    string Prev,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Phase = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Started = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? ActedOn = null)
{
    public const string StartedPhase = "started";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJson : JsonSerializerContext;
