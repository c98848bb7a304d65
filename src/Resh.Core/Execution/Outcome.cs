using System.Text.Json.Serialization.Metadata;
using Resh.Core.Errors;

namespace Resh.Core.Execution;

/// <summary>
/// What a verb returns: a typed result (and whether it changed anything) or an error. Expected
/// failures are values: <c>return ReshError.NotFound(...)</c> converts implicitly.
/// </summary>
public readonly struct Outcome<T>
{
    public Outcome(T value, bool changed)
    {
        Value = value;
        Changed = changed;
        Error = null;
        Raw = null;
    }

    Outcome(ReshError error)
    {
        Value = default;
        Changed = false;
        Error = error;
        Raw = null;
    }

    /// <summary>A <c>partial</c> failure that keeps its result (which items were done and which were not).</summary>
    internal Outcome(T value, bool changed, ReshError error)
    {
        Value = value;
        Changed = changed;
        Error = error;
        Raw = null;
    }

    public T? Value { get; }
    public bool Changed { get; }
    public ReshError? Error { get; }
    /// <summary>The payload printed by <c>--format raw</c>, when the verb has one.</summary>
    public RawPayload? Raw { get; init; }
    /// <summary>A whole envelope made elsewhere (a remote host's answer, a fleet summary), printed as it is.</summary>
    public Output.Envelope? Forwarded { get; init; }

    public static implicit operator Outcome<T>(T value) => new(value, changed: false);
    public static implicit operator Outcome<T>(ReshError error) => new(error);

    public Outcome<T> WithRaw(RawPayload? raw) => this with { Raw = raw };

    internal VerbOutcome Erase(Func<JsonTypeInfo> type) => Forwarded is not null
        ? new VerbOutcome(Forwarded.Ok, null, null, Forwarded.Changed, Forwarded.Error, null) { Forwarded = Forwarded }
        : Error is null
        ? new VerbOutcome(true, Value, type, Changed, null, Raw) { DeclaredType = typeof(T).TypeHandle }
        : Error.Code == ErrorCode.Partial && Value is not null
        ? new VerbOutcome(false, Value, type, Changed, Error, null) { DeclaredType = typeof(T).TypeHandle }
        : new VerbOutcome(false, null, null, false, Error, null);
}

public static class Outcome
{
    /// <summary>A successful result that modified something (or, under --dry-run, would have).</summary>
    public static Outcome<T> Changed<T>(T value, bool changed = true) => new(value, changed);
    public static Outcome<T> Unchanged<T>(T value) => new(value, false);

    /// <summary>
    /// Some items failed and the rest were done: exit <c>partial</c> (9) with the result kept, so the
    /// caller sees both what was done (and whether it changed anything) and what was not.
    /// </summary>
    public static Outcome<T> Partial<T>(T value, bool changed, string message, string? hint, System.Text.Json.Nodes.JsonObject? details = null) =>
        new(value, changed, new ReshError(ErrorCode.Partial, message, hint, details));

    /// <summary>
    /// Answer with an envelope built elsewhere, unchanged: ssh:// returns the remote host's envelope
    /// (same shape as a local run, <c>host</c> set) or one fleet envelope. Only its duration is re-measured.
    /// </summary>
    public static Outcome<T> Forward<T>(Output.Envelope envelope) => new Outcome<T>(default!, envelope.Changed) { Forwarded = envelope };
}

/// <summary>An outcome with its type erased, as the executor and writers see it.</summary>
public sealed record VerbOutcome(bool Ok, object? Value, Func<JsonTypeInfo>? Type, bool Changed, ReshError? Error, RawPayload? Raw)
{
    /// <summary>The result type the verb declares (not the value's runtime type), for <see cref="Output.ResultWriters"/>.</summary>
    public RuntimeTypeHandle? DeclaredType { get; init; }
    public Output.Envelope? Forwarded { get; init; }
}
