using System.ComponentModel;
using System.Text.Json.Serialization;
using Resh.Core.Model;

namespace Resh.Handles.Fs;

// The numbers carry the names system.disk gives them: free includes root's reserve, available is df's Avail.
[Description("Space and inodes of one mounted file system (statvfs).")]
public sealed record FsUsage(string MountPoint, string Source, string FsType,
    [property: Description("Total size in bytes.")] long Size,
    [property: Description("Bytes used (size - free)."), Unit(UnitAttribute.Bytes)] long Used,
    [property: Description("Bytes free, including blocks reserved for root."), Unit(UnitAttribute.Bytes)] long Free,
    [property: Description("Bytes available to unprivileged users (df's Avail)."), Unit(UnitAttribute.Bytes)] long Available,
    [property: Description("used / (used + available) * 100, as df computes Use%.")] double UsedPercent,
    [property: Description("Total inodes; 0 when the file system has no fixed inode table (btrfs).")] long InodesTotal,
    long InodesUsed, long InodesFree, double? InodesUsedPercent, bool ReadOnly,
    [property: Description("True when mount_point or source names bytes that are not UTF-8: they are percent-escaped (%XX), the form a target takes back.")] bool Escaped = false);

public sealed record FsUsageResult(IReadOnlyList<FsUsage> Filesystems);

[Description("One mount from /proc/self/mountinfo.")]
public sealed record FsMount(long MountId, string MountPoint, string Source, string FsType, IReadOnlyList<string> Options,
    [property: Description("Options of the file system itself (super block).")] IReadOnlyList<string> SuperOptions,
    [property: Description("The directory of the file system mounted here (not / for bind mounts).")] string Root,
    [property: Description("major:minor")] string Device, bool ReadOnly,
    [property: Description("Backing file when the source is a loop device.")] string? BackingFile,
    [property: Description("True when mount_point, source or root names bytes that are not UTF-8: they are percent-escaped (%XX), the form a target takes back.")] bool Escaped = false);

public sealed record FsMountsResult(long Count, IReadOnlyList<FsMount> Mounts);

public sealed record FsInfoResult(string Path, FsMount Mount, string? Uuid, string? Label, FsUsage? Usage);

[Description("A mount (or unmount) and what it ran.")]
public sealed record FsMountResult(string MountPoint, string? Source, string? FsType, IReadOnlyList<string> Options,
    [property: Description("True when something is mounted at mount_point afterwards.")] bool Mounted,
    [property: Description("The fstab file edited (persist=true), else null.")] string? Fstab,
    [property: Description("Unified diff of the fstab change.")] string? FstabDiff,
    [property: Description("Programs run (or, under --dry-run, that would run), as argv arrays.")] IReadOnlyList<IReadOnlyList<string>> Commands);

[Description("Usage and limits of one user, group or btrfs qgroup.")]
public sealed record FsQuota(
    [property: Description("user, group or qgroup")] string Kind,
    [property: Description("User or group name, or the subvolume path of a qgroup.")] string Name,
    [property: Description("Numeric id or qgroup id (0/257).")] string? Id,
    [property: Description("Bytes used (btrfs: referenced).")] long Used,
    [property: Description("Soft byte limit; null when none.")] long? SoftLimit,
    [property: Description("Hard byte limit; null when none (btrfs: max referenced).")] long? HardLimit,
    long? Files, long? FileSoftLimit, long? FileHardLimit,
    [property: Description("btrfs: exclusive bytes.")] long? Exclusive,
    [property: Description("Grace time left when over the soft limit, as reported.")] string? Grace);

public sealed record FsQuotaResult(string Path, string MountPoint,
    [property: Description("quota (Linux quota tools) or btrfs (qgroups).")] string Backend,
    IReadOnlyList<FsQuota> Quotas, IReadOnlyList<IReadOnlyList<string>> Commands);

public sealed record FsResizeResult(string MountPoint, string Device, string FsType,
    [property: Description("File system size in bytes before.")] long SizeBefore,
    [property: Description("File system size after (the requested size under --dry-run).")] long? SizeAfter,
    IReadOnlyList<IReadOnlyList<string>> Commands);

public sealed record FsCheckResult(string Device, string FsType,
    [property: Description("True when the checker found no problem.")] bool Clean,
    [property: Description("True when repair=true fixed something.")] bool Repaired,
    int ExitCode, IReadOnlyList<IReadOnlyList<string>> Commands,
    [property: Description("The checker's last output lines.")] string Output);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FsUsageResult))]
[JsonSerializable(typeof(FsMountsResult))]
[JsonSerializable(typeof(FsInfoResult))]
[JsonSerializable(typeof(FsMountResult))]
[JsonSerializable(typeof(FsQuotaResult))]
[JsonSerializable(typeof(FsResizeResult))]
[JsonSerializable(typeof(FsCheckResult))]
internal sealed partial class FsJson : JsonSerializerContext;
