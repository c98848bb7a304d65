using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Plugin;

[Description("What an install did (or, under --dry-run, would do).")]
public sealed record PluginInstallResult(
    string Name,
    string Version,
    string Scheme,
    [property: Description("The installed copy in the plugin store.")] string Path,
    [property: Description("The version it replaced; null for a new install.")] string? PreviousVersion,
    int VerbCount,
    int FileCount,
    IReadOnlyList<string> Verbs,
    [property: Description("Where it was installed from (a directory, archive, git URL or registry entry).")] string Origin,
    [property: Description("Notes about the install (a broken old copy replaced, a mode this resh does not speak).")] IReadOnlyList<string> Notes)
{
    /// <summary>Whether the store changed (or would, under --dry-run); false when the same content was installed already.</summary>
    [JsonIgnore] public bool Changed { get; init; }
}

[Description("One installed plugin.")]
public sealed record PluginListEntry(
    string Name,
    string? Version,
    string? Scheme,
    bool Enabled,
    int VerbCount,
    string Path,
    [property: Description("Why the plugin does not load (a bad manifest, changed files, foreign ownership); null when it loads.")] string? Problem,
    string? Summary);

public sealed record PluginListResult(IReadOnlyList<PluginListEntry> Plugins);

[Description("A plugin verb as declared.")]
public sealed record PluginVerbSummary(string Name, string Effect, string Summary, IReadOnlyList<string> Args, int Examples);

public sealed record PluginInfoResult(
    string Name,
    string Version,
    string Scheme,
    string Summary,
    string Target,
    string Executable,
    string Mode,
    int Protocol,
    bool Enabled,
    string Path,
    string? Origin,
    string? InstalledAt,
    IReadOnlyList<PluginVerbSummary> Verbs,
    [property: Description("True when every file matches the manifest's checksums.")] bool ChecksumsOk,
    [property: Description("Files that are missing or differ from their checksums.")] IReadOnlyList<string> Mismatched,
    [property: Description("Ownership or permission problem of the store copy; null when none.")] string? Problem);

public sealed record PluginToggleResult(string Name, bool Enabled);

public sealed record PluginRemoveResult(string Name, string? Version, string Path, bool Removed);

public sealed record PluginNewResult(
    string Name,
    string Language,
    [property: Description("The plugin directory written.")] string Dir,
    IReadOnlyList<string> Files,
    [property: Description("What the plugin's executable needs at run time.")] string Requires,
    [property: Description("Commands to try it.")] IReadOnlyList<string> Next);

public sealed record PluginChecksumsResult(string Dir, string Name, IReadOnlyDictionary<string, string> Checksums, IReadOnlyList<string> Updated);

[Description("One example of a plugin verb, run.")]
public sealed record PluginTestCase(
    string Verb,
    string Call,
    bool Passed,
    [property: Description("What failed: the request against the args schema, the envelope, the result against the result schema, or the expected result.")] IReadOnlyList<string> Problems,
    double DurationMs,
    JsonNode? Result,
    JsonNode? Error);

public sealed record PluginTestResult(string Name, string Version, string Dir, int Passed, int Failed, IReadOnlyList<PluginTestCase> Cases);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PluginInstallResult))]
[JsonSerializable(typeof(PluginListResult))]
[JsonSerializable(typeof(PluginInfoResult))]
[JsonSerializable(typeof(PluginToggleResult))]
[JsonSerializable(typeof(PluginRemoveResult))]
[JsonSerializable(typeof(PluginNewResult))]
[JsonSerializable(typeof(PluginChecksumsResult))]
[JsonSerializable(typeof(PluginTestResult))]
[JsonSerializable(typeof(JsonNode))]
public sealed partial class PluginJson : JsonSerializerContext;
