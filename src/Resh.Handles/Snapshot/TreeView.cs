using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

/// <summary>A tree to compare or restore from: its entries and where each file's bytes can be read.</summary>
public sealed record TreeView(string Label, IReadOnlyList<ManifestEntry> Entries, Func<ManifestEntry, string> ContentPath)
{
    public static TreeView Of(Manifest m, SnapshotRepo repo) => m.Backend == "btrfs"
        ? new(m.Name, m.Entries, e => m.Subvolume + "/" + e.Path)
        : new(m.Name, m.Entries, e => repo.ObjectPath(e.Sha256!));

    public static TreeView Live(string root, ScanResult scan) => new("live", scan.Entries, e => (root == "/" ? "" : root) + "/" + e.Path);

    /// <summary>A btrfs snapshot is scanned (and hashed) when compared, since its manifest lists no hashes.</summary>
    public static TreeView Resolve(Manifest m, SnapshotRepo repo, CancellationToken ct)
    {
        if (m.Backend != "btrfs") return Of(m, repo);
        var scan = TreeScanner.Scan(m.Subvolume!, PathFilter.All, null, null, hash: true, null, ct);
        return new(m.Name, scan.Entries, e => m.Subvolume + "/" + e.Path);
    }
}
