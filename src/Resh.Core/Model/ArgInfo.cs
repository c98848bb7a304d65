using System.Text.Json.Nodes;

namespace Resh.Core.Model;

/// <summary>
/// One declared argument of a verb. The declaration is the only description of the argument:
/// parsing, validation, help, JSON Schema, completion and docs all read it.
/// </summary>
public abstract class ArgInfo
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required ArgKind Kind { get; init; }
    public bool Required { get; init; }
    /// <summary>The default as JSON, for help and schema; null when there is none.</summary>
    public JsonNode? DefaultJson => _defaultJson ??= DefaultJsonFactory?.Invoke();
    JsonNode? _defaultJson;
    /// <summary>
    /// Makes <see cref="DefaultJson"/> when help or schema first asks: building JSON values at declaration
    /// time would start the JSON converters on every call, for arguments that are never described.
    /// </summary>
    public Func<JsonNode?>? DefaultJsonFactory { get; init; }
    public IReadOnlyList<string>? Choices { get; init; }
    public IReadOnlyList<string> Examples { get; init; } = [];
    public IReadOnlyList<string> Aliases { get; init; } = [];
    /// <summary>A secret-typed argument (<see cref="Arg.Secret"/>): never echoed in envelopes, logs or errors.</summary>
    public bool Secret { get; init; }
    /// <summary>Collects bare words and everything after <c>--</c> (a list argument).</summary>
    public bool Positional { get; init; }
    public long? Minimum { get; init; }
    /// <summary>A leading <c>@</c> is part of the value (cron's <c>@daily</c>, ssh's <c>@group</c>), not a file reference.</summary>
    public bool LiteralAt { get; init; }
    public long? Maximum { get; init; }
    /// <summary>The value names a local file or directory the verb reads or writes (<see cref="PathUse"/>).</summary>
    public PathUse Path { get; init; }
    /// <summary>What the values stand for beyond data: more targets of the handle, or secret sources (<see cref="ArgRole"/>).</summary>
    public ArgRole Role { get; init; }
    /// <summary>A content argument whose <c>@file</c> and <c>@-</c> values are streamed to the verb, not read into memory first.</summary>
    public bool Streams { get; init; }
    /// <summary>
    /// The verb resolves this path argument to a descriptor and has <see cref="Platform.PathConfinement"/> judge the
    /// kernel's name before it acts through the descriptor: a server surface whose path patterns restrict the verb
    /// refuses a path argument without it (its check by name could not hold the verb to what it acts on).
    /// </summary>
    public bool ConfinesPath { get; private set; }

    internal void MarkConfined() => ConfinesPath = true;

    /// <summary>Types all values given for this argument; throws <see cref="ArgValueException"/> on bad input.</summary>
    internal abstract object? BindBoxed(IReadOnlyList<RawValue> values);
    internal abstract object? DefaultBoxed { get; }

    public bool Matches(string name)
    {
        if (string.Equals(Name, name, StringComparison.Ordinal)) return true;
        foreach (var a in Aliases) if (string.Equals(a, name, StringComparison.Ordinal)) return true;
        return false;
    }
}

/// <summary>A typed argument; <see cref="Execution.VerbContext.Get{T}"/> reads it back with its type.</summary>
public sealed class Arg<T> : ArgInfo
{
    public required Func<ArgInfo, IReadOnlyList<RawValue>, T> Parser { get; init; }
    public T Default { get; init; } = default!;

    /// <summary>Marks the argument as <see cref="ArgInfo.ConfinesPath"/>.</summary>
    public Arg<T> WithPathConfinement()
    {
        MarkConfined();
        return this;
    }

    internal override object? BindBoxed(IReadOnlyList<RawValue> values) => Parser(this, values);
    internal override object? DefaultBoxed => Default;
}

/// <summary>A value that does not fit its argument's declared type.</summary>
public sealed class ArgValueException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}
