using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

/// <summary>snapshot:// — point-in-time copies of a directory tree, to roll back a change that broke something.</summary>
public static class SnapshotHandle
{
    public static HandleInfo Create() => new("snapshot",
        "Point-in-time copies of a directory tree: create, list, show, diff, restore atomically, delete, prune, verify.",
        "The directory tree: snapshot:///etc/nginx (absolute) or snapshot://app (relative to the current directory).",
        [
            SnapshotCreate.Verb,
            SnapshotList.Verb,
            SnapshotShow.Verb,
            SnapshotDiff.Verb,
            SnapshotRestore.Verb,
            SnapshotDelete.Verb,
            SnapshotPrune.Verb,
            SnapshotVerify.Verb,
        ])
    {
        Notes = "Snapshots live in a content-addressed store (state directory snapshots/, or repo=): file contents are named by SHA-256 and stored once " +
                "across all snapshots and trees; manifests are JSON. With backend=btrfs a btrfs subvolume gets a real read-only subvolume snapshot instead.",
    };
}
