using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Snapshot;

/// <summary>One path of a snapshot. Files name their content by SHA-256 (the object in the store).</summary>
public sealed record ManifestEntry(
    string Path,
    [property: Description("file, directory or symlink")] string Type,
    [property: Description("Permission bits, octal.")] string Mode,
    long Uid,
    long Gid,
    [property: Description("Modification time, nanoseconds since the Unix epoch.")] long MtimeNs,
    long Size,
    [property: Description("SHA-256 of the content (files; null for btrfs snapshots).")] string? Sha256,
    string? LinkTarget,
    [property: Description("Inode when captured: with size and mtime it lets the next snapshot skip rehashing.")] ulong Inode);

/// <summary>A snapshot: what was captured, when, how, and every entry.</summary>
public sealed record Manifest(
    string Name,
    string Path,
    string Created,
    string? Message,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    [property: Description("files (content-addressed store) or btrfs (read-only subvolume snapshot).")] string Backend,
    [property: Description("The read-only subvolume (btrfs backend).")] string? Subvolume,
    long Files,
    long Bytes,
    [property: Description("Bytes this snapshot added to the store (content not stored before).")] long NewBytes,
    string RootMode,
    IReadOnlyList<ManifestEntry> Entries);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
