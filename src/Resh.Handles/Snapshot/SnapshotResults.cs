using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Snapshot;

[Description("One snapshot, without its entries.")]
public sealed record SnapshotSummary(string Name, string Path, string Created, string? Message, IReadOnlyList<string> Tags,
    [property: Description("files or btrfs")] string Backend, string? Subvolume, long Files, long Bytes,
    [property: Description("Bytes this snapshot added to the store.")] long NewBytes)
{
    public static SnapshotSummary Of(Manifest m) => new(m.Name, Resh.Core.Text.PathBytes.Display(m.Path), m.Created, m.Message, m.Tags, m.Backend, m.Subvolume, m.Files, m.Bytes, m.NewBytes);
}

[Description("A new snapshot.")]
public sealed record SnapshotCreateResult(SnapshotSummary Snapshot, string Repo, long Directories, long Symlinks,
    [property: Description("Files read and hashed (new or changed since the previous snapshot).")] long Hashed,
    [property: Description("Files whose hash was reused because size, mtime and inode were unchanged.")] long Reused,
    [property: Description("Sockets and device nodes, which a snapshot cannot hold: left out, and kept as they are by a restore.")] IReadOnlyList<string> Skipped,
    [property: Description("Files and directories that could not be read: left out (with a warning), and left as they are by a restore.")] IReadOnlyList<SkippedPath> Unreadable);

public sealed record SnapshotListResult(string Path, string Repo, IReadOnlyList<SnapshotSummary> Snapshots);

public sealed record SnapshotShowResult(SnapshotSummary Snapshot, IReadOnlyList<string> Include, IReadOnlyList<string> Exclude,
    long Count, IReadOnlyList<ManifestEntry> Entries, bool Truncated);

[Description("Differences between two trees (from → to).")]
public sealed record SnapshotDiffResult(string Path, string From, string To,
    IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<DiffChange> Modified, long Unchanged);

[Description("What a restore changed (or, under --dry-run, would change) in the live tree.")]
public sealed record SnapshotRestoreResult(string Name, string Path,
    [property: Description("Paths restored; empty means the whole tree.")] IReadOnlyList<string> Paths,
    [property: Description("Paths the restore creates (absent live).")] IReadOnlyList<string> Created,
    [property: Description("Paths the restore deletes (absent from the snapshot).")] IReadOnlyList<string> Deleted,
    IReadOnlyList<DiffChange> Modified,
    [property: Description("Files copied from the store with their hash checked.")] long Verified,
    [property: Description("Unchanged live files hard-linked into the new tree instead of copied.")] long Linked,
    [property: Description("Sockets and device nodes of the live tree, which a snapshot cannot hold: kept in place, never deleted (as rsync and tar leave what they cannot handle).")] IReadOnlyList<string>? Kept = null);

public sealed record SnapshotDeleteResult(string Name, string Path, bool Deleted,
    [property: Description("Objects no snapshot referenced any more, removed from the store.")] long FreedObjects, long FreedBytes);

public sealed record SnapshotPruneResult(string Path, IReadOnlyList<string> Kept, IReadOnlyList<string> Removed, long FreedObjects, long FreedBytes);

public sealed record SnapshotDamage(string Object, [property: Description("missing or corrupt")] string Problem, IReadOnlyList<string> UsedBy);

[Description("Integrity of the store: every object a snapshot references, re-hashed.")]
public sealed record SnapshotVerifyResult(string Repo, long Snapshots, long Objects, long Bytes, IReadOnlyList<SnapshotDamage> Damaged,
    [property: Description("btrfs snapshots that are missing or no longer read-only.")] IReadOnlyList<string> BadSubvolumes, bool Intact);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SnapshotCreateResult))]
[JsonSerializable(typeof(SnapshotListResult))]
[JsonSerializable(typeof(SnapshotShowResult))]
[JsonSerializable(typeof(SnapshotDiffResult))]
[JsonSerializable(typeof(SnapshotRestoreResult))]
[JsonSerializable(typeof(SnapshotDeleteResult))]
[JsonSerializable(typeof(SnapshotPruneResult))]
[JsonSerializable(typeof(SnapshotVerifyResult))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
