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
    /// <summary>Content left unread (<c>@file</c> or <c>@-</c> for an argument that streams, <see cref="ArgInfo.Streams"/>).</summary>
    public ContentSource? Source { get; private init; }

    public static RawValue FromText(string text, ValueOrigin origin = ValueOrigin.CommandLine) => new(origin) { Text = text };
    /// <summary>A bare word of the command line (not key=value): a command's words are taken exactly as the shell gave them.</summary>
    public static RawValue Word(string text) => new(ValueOrigin.CommandLine) { Text = text, IsWord = true };
    public bool IsWord { get; private init; }
    public static RawValue FromJson(JsonNode? json, ValueOrigin origin) => new(origin) { Json = json, IsJson = true };
    public static RawValue FromBytes(byte[] bytes, ValueOrigin origin) => new(origin) { Bytes = bytes };
    public static RawValue FromSource(ContentSource source, ValueOrigin origin) => new(origin) { Source = source };

    public override string ToString() => Text ?? (IsJson ? Json?.ToJsonString() ?? "null" : Source is not null ? $"<{Source.Origin}>" : $"<{Bytes?.Length ?? 0} bytes>");
}
