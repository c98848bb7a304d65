using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Backup;

[Description("One snapshot (restic) or archive (borg).")]
public sealed record BackupSnapshot(
    [property: Description("What to name it by: restic's short id, borg's archive name.")] string Id,
    [property: Description("restic's full id, borg's archive id.")] string FullId,
    string Time, string? Host, string? User, IReadOnlyList<string> Paths, IReadOnlyList<string> Tags,
    [property: Description("borg's archive name (null for restic).")] string? Name);

public sealed record BackupInitResult(string Repository, string Backend,
    [property: Description("The repository id (restic) or null.")] string? Id,
    [property: Description("True when a repository of this kind was already there (the password opened it).")] bool Existed);

[Description("What a backup run stored.")]
public sealed record BackupCreateResult(string Repository, string Backend,
    [property: Description("The new snapshot's id (restic short id, borg archive name); null under --dry-run.")] string? Snapshot,
    string? SnapshotId, IReadOnlyList<string> Paths, IReadOnlyList<string> Tags,
    long FilesNew, long FilesChanged, long FilesUnmodified, long FilesProcessed, long BytesProcessed,
    [property: Description("Bytes added to the repository (after deduplication and compression).")] long BytesAdded,
    double DurationSeconds,
    [property: Description("Files the tool could not read (left out, with a warning).")] long Unreadable);

public sealed record BackupListResult(string Repository, string Backend, IReadOnlyList<BackupSnapshot> Snapshots);

public sealed record BackupEntry(string Path,
    [property: Description("file, dir, symlink, fifo, socket, dev, chardev or other")] string Type,
    long Size, [property: Description("Permission bits in octal.")] string Mode, string? Mtime, string? Link, long? Uid, long? Gid);

public sealed record BackupLsResult(string Repository, string Backend, string Snapshot, long Count, IReadOnlyList<BackupEntry> Entries, bool Truncated);

[Description("What a restore wrote below the target (paths keep their full original path under it).")]
public sealed record BackupRestoreResult(string Repository, string Backend, string Snapshot, string Target, IReadOnlyList<string> Paths,
    long Files, long Directories, long Symlinks, long Bytes);

[Description("Differences between two snapshots (from → to); directories end in /.")]
public sealed record BackupDiffResult(string Repository, string Backend, string From, string To,
    IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Modified);

public sealed record BackupCheckResult(string Repository, string Backend, bool Intact,
    [property: Description("Whether every data blob was read back and verified (read_data=true).")] bool ReadData,
    IReadOnlyList<string> Errors);

[Description("Snapshots kept and removed by the keep rules (under --dry-run: would be removed).")]
public sealed record BackupForgetResult(string Repository, string Backend, IReadOnlyList<string> Kept, IReadOnlyList<string> Removed,
    [property: Description("Whether unreferenced data was then deleted (prune=true).")] bool Pruned);

public sealed record BackupPruneResult(string Repository, string Backend,
    [property: Description("The tool's own summary lines.")] IReadOnlyList<string> Summary);

public sealed record BackupStatsResult(string Repository, string Backend, long Snapshots,
    [property: Description("Bytes the snapshots hold when restored (restic: restore-size of all snapshots; borg: original size of all archives).")] long? TotalSize,
    long? TotalFiles,
    [property: Description("Bytes the repository stores (deduplicated, compressed).")] long? StoredSize);

public sealed record BackupUnlockResult(string Repository, string Backend,
    [property: Description("Lock files removed (local repositories), or null when not known (SFTP).")] long? Removed);

[Description("The scheduled job: a cron entry or systemd timer (cron://ID) that runs resh backup://TARGET.create.")]
public sealed record BackupScheduleResult(string Name,
    [property: Description("The cron:// job id (backup-NAME).")] string Job,
    string Backend, string? Path, string? Schedule, IReadOnlyList<string> Command, bool Removed, string? Diff);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BackupInitResult))]
[JsonSerializable(typeof(BackupCreateResult))]
[JsonSerializable(typeof(BackupListResult))]
[JsonSerializable(typeof(BackupLsResult))]
[JsonSerializable(typeof(BackupRestoreResult))]
[JsonSerializable(typeof(BackupDiffResult))]
[JsonSerializable(typeof(BackupCheckResult))]
[JsonSerializable(typeof(BackupForgetResult))]
[JsonSerializable(typeof(BackupPruneResult))]
[JsonSerializable(typeof(BackupStatsResult))]
[JsonSerializable(typeof(BackupUnlockResult))]
[JsonSerializable(typeof(BackupScheduleResult))]
internal sealed partial class BackupJson : JsonSerializerContext;
