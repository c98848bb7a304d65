using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Core.Output;

/// <summary>The one answer of every operation (SPEC §2).</summary>
public sealed class Envelope
{
    /// <summary>
    /// The version of the envelope's shape, shown by `resh version` (envelope_version) and in every envelope JSON
    /// Schema (x-envelope-version). It goes up only when a field is removed, renamed or changes meaning; new fields
    /// do not change it.
    /// </summary>
    public const int SchemaVersion = 1;

    public bool Ok { get; init; }
    public required string Handle { get; init; }
    public required string Verb { get; init; }
    public required string Target { get; init; }
    public string Host { get; init; } = "local";
    public bool Changed { get; init; }
    public bool DryRun { get; init; }
    /// <summary>The typed result and its source-generated type info.</summary>
    public object? Result { get; init; }
    public JsonTypeInfo? ResultType { get; init; }
    /// <summary>The result type, resolved only when the result is serialized (raw output never needs it).</summary>
    public Func<JsonTypeInfo>? ResultTypeFactory { get; init; }
    public JsonTypeInfo? ResolvedResultType => ResultType ?? ResultTypeFactory?.Invoke();
    /// <summary>The declared result type, which picks a generated writer (<see cref="ResultWriters"/>) when there is one.</summary>
    public RuntimeTypeHandle? ResultDeclaredType { get; init; }
    /// <summary>A result that is already JSON (a remote host's envelope, a fleet summary).</summary>
    public JsonNode? ResultNode { get; init; }
    public ReshError? Error { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>
    /// How many times the call ran under <c>--retry</c> (1 = the first attempt answered); 0 = no retry policy, and the
    /// field is not written. Each earlier attempt's error is a warning.
    /// </summary>
    public int Attempts { get; init; }
    public double DurationMs { get; init; }
    public DateTime Timestamp { get; init; } = DateTime.UtcNow;
    /// <summary>The request id in batch mode; written first when present.</summary>
    public JsonNode? Id { get; init; }
    public bool HasId { get; init; }
    public RawPayload? Raw { get; init; }
    /// <summary>Optional human renderer for table mode, from the verb declaration; it writes to the output as it goes.</summary>
    public Action<object, TextWriter>? Human { get; init; }
    public bool Mutating { get; init; }
    /// <summary>Secret values this envelope shows on purpose (<c>reveal=true</c>); every other registered secret is masked.</summary>
    public IReadOnlyList<string> Revealed { get; init; } = [];
    /// <summary>An exit status the verb passes through instead of the one its error code maps to (secret.exec: the program's).</summary>
    public int? ExitStatusOverride { get; init; }

    /// <summary>A copy with another duration, batch id or warnings (envelopes are immutable).</summary>
    public Envelope With(double? durationMs = null, JsonNode? id = null, bool? hasId = null, IReadOnlyList<string>? warnings = null, ReshError? error = null) => new()
    {
        Ok = error is null && Ok, Handle = Handle, Verb = Verb, Target = Target, Host = Host, Changed = Changed, DryRun = DryRun,
        Result = Result, ResultType = ResultType, ResultTypeFactory = ResultTypeFactory, ResultDeclaredType = ResultDeclaredType, ResultNode = ResultNode, Error = error ?? Error, Warnings = warnings ?? Warnings, Attempts = Attempts,
        DurationMs = durationMs ?? DurationMs, Timestamp = Timestamp, Id = hasId is null ? Id : id, HasId = hasId ?? HasId,
        Raw = Raw, Human = Human, Mutating = Mutating, Revealed = Revealed, ExitStatusOverride = ExitStatusOverride,
    };

    /// <summary>A copy with another target (a pipeline shows an item's target as users read it: docs/pipelines.md).</summary>
    public Envelope WithTarget(string target) => new()
    {
        Ok = Ok, Handle = Handle, Verb = Verb, Target = target, Host = Host, Changed = Changed, DryRun = DryRun,
        Result = Result, ResultType = ResultType, ResultTypeFactory = ResultTypeFactory, ResultDeclaredType = ResultDeclaredType, ResultNode = ResultNode, Error = Error, Warnings = Warnings, Attempts = Attempts,
        DurationMs = DurationMs, Timestamp = Timestamp, Id = Id, HasId = HasId,
        Raw = Raw, Human = Human, Mutating = Mutating, Revealed = Revealed, ExitStatusOverride = ExitStatusOverride,
    };

    /// <summary>A copy that records a retried call: the attempts it took and the earlier attempts' errors as warnings first.</summary>
    public Envelope WithAttempts(int attempts, IReadOnlyList<string> earlier) => new()
    {
        Ok = Ok, Handle = Handle, Verb = Verb, Target = Target, Host = Host, Changed = Changed, DryRun = DryRun,
        Result = Result, ResultType = ResultType, ResultTypeFactory = ResultTypeFactory, ResultDeclaredType = ResultDeclaredType, ResultNode = ResultNode, Error = Error,
        Warnings = earlier.Count == 0 ? Warnings : [.. earlier, .. Warnings], Attempts = attempts,
        DurationMs = DurationMs, Timestamp = Timestamp, Id = Id, HasId = HasId,
        Raw = Raw, Human = Human, Mutating = Mutating, Revealed = Revealed, ExitStatusOverride = ExitStatusOverride,
    };

    /// <summary>
    /// True when <c>result</c> is printed: on success, and on <c>partial</c> failures, whose result
    /// says which items failed (SPEC §6: a fleet envelope holds every host's envelope).
    /// </summary>
    public bool HasResult => Ok || Error?.Code == ErrorCode.Partial
        // A pipeline stopped by Ctrl-C or --timeout answers with the items that ran (s42 user D8).
        || (Error?.Code is ErrorCode.Interrupted or ErrorCode.Timeout && ResultNode is not null);

    /// <summary>The process exit status: a verb's override (a command's own status), except that a failed envelope never exits 0.</summary>
    public int ExitStatus => ExitStatusOverride is { } own && (own != 0 || Ok) ? own : (Ok ? 0 : (Error?.Code ?? ErrorCode.Failed).ExitStatus());

    /// <summary>The result as a JSON tree, for table and YAML rendering.</summary>
    public JsonNode? ResultAsNode()
    {
        if (ResultNode is not null) return ResultNode;
        var type = ResolvedResultType;
        if (Result is null || type is null) return null;
        return JsonSerializer.SerializeToNode(Result, type);
    }

    public static Envelope Failure(ReshError error, string handle = "resh", string verb = "", string target = "", bool dryRun = false,
        double durationMs = 0, JsonNode? id = null, bool hasId = false) => new()
    {
        Ok = false, Handle = handle, Verb = verb, Target = target, Error = error, DryRun = dryRun,
        DurationMs = durationMs, Id = id, HasId = hasId,
    };
}
