using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Resh.Core.Introspection;

namespace Resh.Core.Meta;

public sealed record HandlesResult([property: Description("Every handle of this build, by scheme.")] IReadOnlyList<HandleSummary> Handles);

public sealed record HelpResult(
    [property: Description("What help was asked for: empty, a handle, or handle.verb.")] string Topic,
    [property: Description("overview, handle or verb")] string Kind,
    IReadOnlyList<HandleSummary>? Handles,
    IReadOnlyList<CommandDoc>? Commands,
    IReadOnlyList<FlagDoc>? GlobalFlags,
    HandleDoc? Handle,
    VerbDoc? Verb);

public sealed record VerbSchema(
    [property: Description("handle.verb")] string Name,
    string Effect,
    string Summary,
    [property: Description("JSON Schema of the arguments.")] JsonObject Args,
    [property: Description("JSON Schema of the result.")] JsonObject Result,
    [property: Description("JSON Schema of the whole envelope, when asked for.")] JsonObject? Envelope);

public sealed record SchemaResult(IReadOnlyList<VerbSchema> Schemas);

public sealed record CompletionResult(string Shell, string Script);

public sealed record CompleteResult(IReadOnlyList<string> Candidates);

public sealed record DocsFile(string Handle, string Path, [property: Description("True when the file's content changed.")] bool Changed);

public sealed record DocsResult(IReadOnlyList<DocsFile> Files, [property: Description("The markdown, when no out directory was given.")] string? Markdown);

public sealed record ManResult(string Topic, [property: Description("The page in man(7) format; `resh man file | man -l -` shows it.")] string Roff);

/// <summary>
/// What `resh version` prints. <c>EnvelopeVersion</c> is <see cref="Output.Envelope.SchemaVersion"/>: scripts compare it
/// with the version they were written for before relying on the envelope's shape.
/// </summary>
public sealed record VersionResult(string Version, string Commit, string? BuildDate, string Runtime, string Rid, string Arch, bool NativeAot, int EnvelopeVersion);

public sealed record BatchResult(int Requests, int Failed);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(HandlesResult))]
[JsonSerializable(typeof(HelpResult))]
[JsonSerializable(typeof(SchemaResult))]
[JsonSerializable(typeof(CompletionResult))]
[JsonSerializable(typeof(CompleteResult))]
[JsonSerializable(typeof(DocsResult))]
[JsonSerializable(typeof(VersionResult))]
[JsonSerializable(typeof(ManResult))]
[JsonSerializable(typeof(BatchResult))]
internal sealed partial class MetaJson : JsonSerializerContext;
