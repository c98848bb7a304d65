using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Plugin.Sources;

[Description("One plugin checked by update.")]
public sealed record PluginUpdateEntry(
    string Name,
    [property: Description("The installed version before.")] string? From,
    [property: Description("The version installed now (or, under --dry-run, that would be); equal to from when up to date.")] string? To,
    [property: Description("updated, would_update, up_to_date, skipped (no source to re-resolve) or failed (the source could not be read: see reason).")] string Action,
    [property: Description("directory, archive, git or registry.")] string? Source,
    [property: Description("Why it was skipped or failed; null otherwise.")] string? Reason);

public sealed record PluginUpdateResult(
    [property: Description("Plugins updated (or that would be, under --dry-run).")] int Updated,
    IReadOnlyList<PluginUpdateEntry> Plugins);

[Description("One plugin of the registry index.")]
public sealed record PluginSearchEntry(
    string Name,
    string? Summary,
    [property: Description("The highest release listed.")] string? Latest,
    IReadOnlyList<string> Versions,
    [property: Description("The version installed here; null when not installed.")] string? Installed);

public sealed record PluginSearchResult(
    [property: Description("The index URL.")] string Registry,
    [property: Description("True when the index's Ed25519 signature verified with a trusted key.")] bool Verified,
    [property: Description("The trusted key that signed it (ed25519: and the first characters of its base64).")] string? Key,
    int Count,
    IReadOnlyList<PluginSearchEntry> Plugins);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PluginUpdateResult))]
[JsonSerializable(typeof(PluginSearchResult))]
internal sealed partial class PluginSourcesJson : JsonSerializerContext;
