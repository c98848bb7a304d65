using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

/// <summary>What a scan of a live tree found.</summary>
public sealed record ScanResult(List<ManifestEntry> Entries, long Files, long Directories, long Symlinks, long Bytes, long NewBytes,
    long Hashed, long Reused, List<string> Skipped, string RootMode);

/// <summary>
/// Reads a live tree into manifest entries. A file whose size, mtime and inode equal the previous
/// manifest's entry reuses its hash without being read (as git's index and restic do), so a second
/// snapshot of an unchanged tree costs a directory walk.
/// </summary>
public static class TreeScanner
{
    public static ScanResult Scan(string root, PathFilter filter, Manifest? previous, SnapshotRepo? storeInto, bool hash, ProgressBar? progress, CancellationToken ct)
    {
        var prev = previous?.Entries.Where(e => e.Type == "file" && e.Sha256 is not null).ToDictionary(e => e.Path, StringComparer.Ordinal)
                   ?? new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var entries = new List<ManifestEntry>();
        var skipped = new List<string>();
        long files = 0, dirs = 0, links = 0, bytes = 0, newBytes = 0, hashed = 0, reused = 0;
        foreach (var item in TreeWalker.Walk(root, filter, ct))
        {
            var st = item.Status;
            var mtime = SnapshotRepo.ToNs(st.ModifyTime);
            if (st.IsDirectory)
            {
                dirs++;
                entries.Add(new(item.Relative, "directory", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, 0, null, null, st.Inode));
            }
            else if (st.IsSymlink)
            {
                links++;
                entries.Add(new(item.Relative, "symlink", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, 0, null, new FileInfo(item.FullPath).LinkTarget, st.Inode));
            }
            else if (st.IsRegular)
            {
                files++;
                bytes += st.Size;
                string? sha = null;
                if (prev.TryGetValue(item.Relative, out var p) && p.Size == st.Size && p.MtimeNs == mtime && p.Inode == st.Inode
                    && (storeInto is null || storeInto.HasObject(p.Sha256!)))
                {
                    sha = p.Sha256;
                    reused++;
                }
                else if (storeInto is not null)
                {
                    var (s, added) = storeInto.Store(item.FullPath, ct);
                    sha = s;
                    hashed++;
                    if (added) newBytes += st.Size;
                }
                else if (hash)
                {
                    sha = SnapshotRepo.HashFile(item.FullPath, ct);
                    hashed++;
                }
                progress?.Add(st.Size);
                entries.Add(new(item.Relative, "file", SnapshotRepo.Octal(st.Permissions), st.Uid, st.Gid, mtime, st.Size, sha, null, st.Inode));
            }
            else
            {
                skipped.Add(item.Relative); // devices, FIFOs, sockets are not content
            }
        }
        var rootMode = SnapshotRepo.Octal(SnapshotRepo.LStat(root).Permissions);
        return new ScanResult(entries, files, dirs, links, bytes, newBytes, hashed, reused, skipped, rootMode);
    }

    public static long SizeOfTree(string root, PathFilter filter, CancellationToken ct)
    {
        long total = 0;
        foreach (var item in TreeWalker.Walk(root, filter, ct))
            if (item.Status.IsRegular) total += item.Status.Size;
        return total;
    }

    internal static FileStatus? LStatOrNull(string path) => Posix.Stat(path, follow: false, out _);
}
