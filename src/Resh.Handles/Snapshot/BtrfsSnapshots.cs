using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Snapshot;

/// <summary>The btrfs backend: read-only subvolume snapshots made by `btrfs subvolume snapshot -r`.</summary>
public static class BtrfsSnapshots
{
    public static string Tool() => ProcessRunner.Which("btrfs") ?? throw ReshError.Unavailable("backend=btrfs needs the `btrfs` program.", "Install btrfs-progs.").ToException();

    /// <summary>True when the path is the root of a btrfs subvolume (inode 256 on btrfs).</summary>
    public static async Task<bool> IsSubvolumeAsync(string path, CancellationToken ct)
    {
        var st = Posix.Stat(path, follow: false, out _);
        if (st is not { IsDirectory: true } s || s.Inode != 256) return false;
        var r = await ProcessRunner.RunAsync([Tool(), "subvolume", "show", path], null, ct).ConfigureAwait(false);
        return r.Succeeded;
    }

    /// <summary>Where snapshots of a subvolume live: a hidden directory beside it, on the same file system.</summary>
    public static string SnapshotPath(string target, string name) =>
        Path.Combine(Path.GetDirectoryName(target)!, ".resh-snapshots", Path.GetFileName(target), name);

    public static async Task CreateAsync(string target, string snapshot, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!, (UnixFileMode)0x1C0);
        await ProcessRunner.RunCheckedAsync([Tool(), "subvolume", "snapshot", "-r", target, snapshot], null, ct).ConfigureAwait(false);
    }

    public static async Task WritableCopyAsync(string snapshot, string destination, CancellationToken ct) =>
        await ProcessRunner.RunCheckedAsync([Tool(), "subvolume", "snapshot", snapshot, destination], null, ct).ConfigureAwait(false);

    public static async Task DeleteAsync(string subvolume, CancellationToken ct)
    {
        if (!Directory.Exists(subvolume)) return;
        await ProcessRunner.RunCheckedAsync([Tool(), "subvolume", "delete", subvolume], null, ct).ConfigureAwait(false);
    }

    public static async Task<bool> IsReadOnlyAsync(string subvolume, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync([Tool(), "property", "get", "-ts", subvolume, "ro"], null, ct).ConfigureAwait(false);
        return r.Succeeded && r.Stdout.Trim() == "ro=true";
    }
}
