using System.Text.Json.Nodes;

namespace Resh.Core.Model;

/// <summary>Where an argument value came from; used in error messages.</summary>
public enum ValueOrigin
{
    CommandLine,
    Parentheses,
    ArgsJson,
    Batch,
    File,
    Stdin,
    /// <summary>The <c>[defaults]</c> of the config file.</summary>
    Config,
}

/// <summary>
/// An argument value before it is typed by the verb's declaration: text (from <c>key=value</c>),
/// JSON (from <c>key:=</c>, <c>--args</c> or batch) or bytes (from <c>key=@file</c>, <c>key=@-</c>).
/// </summary>
public sealed class RawValue
{
    RawValue(ValueOrigin origin) => Origin = origin;

    public ValueOrigin Origin { get; }
    public string? Text { get; private init; }
    public JsonNode? Json { get; private init; }
    public bool IsJson { get; private init; }
    public byte[]? Bytes { get; private init; }

    public static RawValue FromText(string text, ValueOrigin origin = ValueOrigin.CommandLine) => new(origin) { Text = text };
    public static RawValue FromJson(JsonNode? json, ValueOrigin origin) => new(origin) { Json = json, IsJson = true };
    public static RawValue FromBytes(byte[] bytes, ValueOrigin origin) => new(origin) { Bytes = bytes };

    public override string ToString() => Text ?? (IsJson ? Json?.ToJsonString() ?? "null" : $"<{Bytes?.Length ?? 0} bytes>");
}
