using Resh.Core.Model;

namespace Resh.Handles.Fs;

/// <summary>fs:// — mounted file systems: usage, mounts, info, mount/unmount, quotas, resize, check.</summary>
public static class FsHandle
{
    public static HandleInfo Create() => new("fs",
        "File systems: usage, mounts, info, mount and unmount (fstab), quotas (quota tools, btrfs qgroups), resize, check.",
        "A path (a mount point, any path on a file system, or a device/image for check); empty for all file systems: fs://.usage",
        [
            FsUsageVerb.Verb,
            FsMountsVerb.Verb,
            FsInfoVerb.Verb,
            FsMountVerb.Verb,
            FsUnmountVerb.Verb,
            FsQuotaGet.Verb,
            FsQuotaSet.Verb,
            FsQuotaReport.Verb,
            FsResizeVerb.Verb,
            FsCheckVerb.Verb,
        ])
    {
        Notes = "Mounts are read from /proc/self/mountinfo and sizes from statvfs(3); changes go through mount, umount, setquota, btrfs, resize2fs, " +
                "xfs_growfs and the fsck tools as argv arrays. Mutating results list the commands they ran (or would run under --dry-run).",
    };
}
