using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Template;

public sealed record TemplateRenderResult(
    [property: Description("The template rendered.")] string Path,
    [property: Description("The file written (null: the text is in `content`).")] string? Dest,
    [property: Description("The rendered text when no dest is given (null when the template read a secret: render those to a file with dest=).")] string? Content,
    [property: Description("Size of the rendered text in bytes (null without dest when the template read a secret: a length answers questions about the value).")] long? Bytes,
    [property: Description("True when dest did not exist and was created.")] bool Created,
    [property: Description("dest's mode after the render (octal).")] string? Mode,
    [property: Description("Unified diff of dest (null when unchanged or without dest); when the template read a secret only the counts of lines added and removed.")] string? Diff,
    [property: Description("Names of the secrets the template read with secret(); their values never appear here.")] IReadOnlyList<string> Secrets,
    [property: Description("Every template file read (the template, its parents, includes and imports), relative to the root.")] IReadOnlyList<string> Templates);

public sealed record TemplateIssue(
    string Message,
    [property: Description("The template file, relative to the root.")] string? File,
    int? Line,
    int? Column,
    [property: Description("The error code this would be on render (usage, not_found, permission_denied...).")] string Code);

public sealed record TemplateVariable(
    string Name,
    [property: Description("Where it is first used: the file relative to the root.")] string File,
    int Line,
    int Column);

public sealed record TemplateValidateResult(
    string Path,
    [property: Description("True when every file parses and, with vars given, nothing is undefined and a render succeeds.")] bool Valid,
    IReadOnlyList<TemplateIssue> Errors,
    [property: Description("Variables used but not in vars (only when vars or facts is given).")] IReadOnlyList<TemplateVariable> Undefined,
    IReadOnlyList<string> Templates);

public sealed record TemplateVarsResult(
    string Path,
    int Count,
    [property: Description("The variables the template reads from its context (not loop variables, sets, macro parameters or imports), by name.")] IReadOnlyList<TemplateVariable> Variables,
    IReadOnlyList<string> Templates,
    [property: Description("include/extends/import tags whose name is an expression, so their files were not read (file:line:column).")] IReadOnlyList<string> NotFollowed);

public sealed record TemplateCaseResult(
    string Name,
    bool Passed,
    [property: Description("Why the case failed (null when it passed).")] string? Message,
    [property: Description("The rendered text of a failed case (at most 4 KiB; null when the render read a secret).")] string? Output);

public sealed record TemplateTestResult(
    string Path,
    [property: Description("The cases file.")] string Cases,
    int Count,
    int Passed,
    int Failed,
    IReadOnlyList<TemplateCaseResult> Results);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TemplateRenderResult))]
[JsonSerializable(typeof(TemplateValidateResult))]
[JsonSerializable(typeof(TemplateVarsResult))]
[JsonSerializable(typeof(TemplateTestResult))]
internal sealed partial class TemplateJson : JsonSerializerContext;
