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

    Outcome(T value, bool changed, ReshError error)
    {
        Value = value;
        Changed = changed;
        Error = error;
        Raw = null;
    }

    /// <summary>A <c>partial</c> failure that keeps its result (which items failed and why).</summary>
    internal static Outcome<T> PartialOf(T value, ReshError error, bool changed) => new(value, changed, error);

    Outcome(ReshError error)
    {
        Value = default;
        Changed = false;
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
    /// Part of the work failed (exit 9): the envelope keeps <paramref name="value"/> as its result, saying
    /// what was done and what was not, and <paramref name="error"/> (code <c>partial</c>) says why.
    /// </summary>
    public static Outcome<T> Partial<T>(T value, ReshError error, bool changed = true) =>
        Outcome<T>.PartialOf(value, error.Code == ErrorCode.Partial ? error : error with { Code = ErrorCode.Partial }, changed);

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
