using System.ComponentModel;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

[Description("Mounted file systems with their space and inode usage (statvfs), like df.")]
public sealed record DiskResult(
    [property: Description("One entry per visible mount point, in mount order.")] IReadOnlyList<FilesystemUsage> Filesystems,
    [property: Description("Number of entries.")] int Count);

[Description("One mounted file system.")]
public sealed record FilesystemUsage(
    [property: Description("Where it is mounted (escapes such as \\040 decoded).")] string MountPoint,
    [property: Description("The mount source: a device, a server path or a label.")] string Device,
    [property: Description("File system type, e.g. ext4, xfs, tmpfs, nfs4.")] string Fstype,
    [property: Description("Device number major:minor.")] string MajorMinor,
    [property: Description("The directory of the file system mounted here (not / for bind mounts of a subtree).")] string Root,
    [property: Description("Mount options (per mount point), e.g. rw, noatime.")] IReadOnlyList<string> Options,
    [property: Description("Options of the file system itself (super block).")] IReadOnlyList<string> FsOptions,
    [property: Description("Mounted read-only.")] bool ReadOnly,
    [property: Description("Total size in bytes.")] long? Size,
    [property: Description("Bytes used (size - free)."), Unit(UnitAttribute.Bytes)] long? Used,
    [property: Description("Bytes free, including blocks reserved for root."), Unit(UnitAttribute.Bytes)] long? Free,
    [property: Description("Bytes available to unprivileged users (df's Avail)."), Unit(UnitAttribute.Bytes)] long? Available,
    [property: Description("used / (used + available) * 100, as df computes Use%.")] double? UsedPercent,
    [property: Description("Fragment size in bytes (statvfs f_frsize).")] long? BlockSize,
    [property: Description("Total inodes; 0 when the file system has no fixed inode table (btrfs).")] long? InodesTotal,
    long? InodesUsed,
    long? InodesFree,
    [property: Description("inodes_used / inodes_total * 100; null without inodes.")] double? InodesUsedPercent,
    [property: Description("Why the sizes are missing (statvfs failed or a network file system did not answer in time).")] string? Error);
