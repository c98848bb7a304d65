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
    [property: Description("Inode when captured: with size and mtime it lets the next snapshot skip rehashing.")] ulong Inode,
    [property: Description("Hard link count when captured: files with more than one link and the same inode are restored as hard links of each other.")] uint Links = 0,
    [property: Description("True when the path (or link target) is not valid UTF-8: both are then percent-escaped (%XX per raw byte, %25 for %).")] bool Escaped = false,
    [property: Description("Extended attributes of files and directories (name → base64 value): user.*, POSIX ACLs (system.posix_acl_*), and security.*/trusted.* as far as the capturing user can read them.")] IReadOnlyDictionary<string, string>? Xattrs = null)
{
    /// <summary>True when both carry the same extended attributes (none and empty are the same).</summary>
    public bool SameXattrs(ManifestEntry other)
    {
        var a = Xattrs ?? EmptyXattrs;
        var b = other.Xattrs ?? EmptyXattrs;
        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    static readonly Dictionary<string, string> EmptyXattrs = new(StringComparer.Ordinal);

    /// <summary>The entry as JSON carries it: names that are not UTF-8 percent-escaped and flagged.</summary>
    public ManifestEntry ForDisplay()
    {
        var path = Resh.Core.Text.PathBytes.Display(Path, out var e1);
        bool e2 = false;
        var link = LinkTarget is null ? null : Resh.Core.Text.PathBytes.Display(LinkTarget, out e2);
        return e1 || e2 ? this with { Path = path, LinkTarget = link, Escaped = true } : this;
    }

    /// <summary>The entry with its names back as path strings (raw bytes as U+DC80–U+DCFF).</summary>
    public ManifestEntry FromDisplay() => !Escaped ? this : this with
    {
        Path = Resh.Core.Grammar.PercentDecoding.Decode(Path),
        LinkTarget = LinkTarget is null ? null : Resh.Core.Grammar.PercentDecoding.Decode(LinkTarget),
        Escaped = false,
    };
}

/// <summary>A path a snapshot could not read, left out (and kept as it is by a restore).</summary>
public sealed record SkippedPath(string Path, [property: Description("Why it could not be read.")] string Reason, bool Escaped = false);

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
    IReadOnlyList<ManifestEntry> Entries,
    [property: Description("Paths that could not be read when the snapshot was taken; a restore leaves them as they are.")] IReadOnlyList<SkippedPath>? Unreadable = null,
    [property: Description("True when the tree's path is not UTF-8 and `path` holds it percent-escaped.")] bool PathEscaped = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
