using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>A path on disk that goes into an archive, under <see cref="Name"/>.</summary>
public sealed record SourceEntry(string Name, string FullPath, ItemKind Kind, FileStatus Status, string? LinkTarget);

/// <summary>
/// Turns create/add sources into archive entries: each source is stored under its own name (or
/// relative to base_dir), trees are walked in sorted order without following symlinks, a file with
/// several links becomes one file plus hard-link entries, filters apply to the stored names.
/// </summary>
public static class SourceCollector
{
    public static List<SourceEntry> Collect(IReadOnlyList<string> sources, string? baseDir, PathFilter filter, CancellationToken ct)
    {
        if (sources.Count == 0) throw ReshError.Usage("No sources given.", "Name what to archive: sources=/path/to/dir[,more].").ToException();
        var raw = new List<SourceEntry>();
        var seenInodes = new Dictionary<(uint, uint, ulong), string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var full = Path.GetFullPath(source, baseDir ?? Environment.CurrentDirectory).TrimEnd('/');
            if (full.Length == 0) full = "/";
            var st = Posix.Stat(full, follow: false, out var errno);
            if (st is null)
            {
                if (errno == 2) throw ReshError.NotFound($"Source {full} does not exist.", "Check the sources list.", new System.Text.Json.Nodes.JsonObject { ["path"] = full }).ToException();
                throw ExceptionTranslation.FromErrno(errno, $" ({full})").ToException();
            }
            string name;
            if (baseDir is not null)
            {
                var rel = Path.GetRelativePath(baseDir, full);
                if (rel == "." || rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel))
                    throw ReshError.Usage($"Source {full} is not inside base_dir {baseDir}.", "Give sources under base_dir, or drop base_dir to store each source under its own name.").ToException();
                name = rel;
            }
            else
            {
                name = Path.GetFileName(full);
                if (name.Length == 0) throw ReshError.Usage("The root directory cannot be archived under its own name.", "Pass base_dir=/ and the directories to store.").ToException();
            }
            if (!names.Add(name))
                throw ReshError.Usage($"Two sources would both be stored as `{name}`.", "Use base_dir so the stored names differ.").ToException();
            if (filter.Selects(name) || st.Value.IsDirectory)
                raw.Add(Make(name, full, st.Value, seenInodes));
            if (st.Value.IsDirectory)
                foreach (var item in TreeWalker.Walk(full, filter, ct, prefix: name))
                    raw.Add(Make(item.Relative, item.FullPath, item.Status, seenInodes));
        }
        if (!filter.HasIncludes) return raw;
        // With include patterns, keep a directory only when it is included itself or holds something that is.
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in raw)
        {
            if (e.Kind == ItemKind.Directory && !filter.IsIncluded(e.Name)) continue;
            needed.Add(e.Name);
            for (var i = e.Name.LastIndexOf('/'); i > 0; i = e.Name.LastIndexOf('/', i - 1)) needed.Add(e.Name[..i]);
        }
        return raw.Where(e => needed.Contains(e.Name)).ToList();
    }

    static SourceEntry Make(string name, string full, FileStatus st, Dictionary<(uint, uint, ulong), string> seen)
    {
        switch (st.FileType)
        {
            case FileStatus.S_IFDIR: return new(name, full, ItemKind.Directory, st, null);
            case FileStatus.S_IFLNK: return new(name, full, ItemKind.Symlink, st, new FileInfo(full).LinkTarget ?? "");
            case FileStatus.S_IFCHR: return new(name, full, ItemKind.CharDevice, st, null);
            case FileStatus.S_IFBLK: return new(name, full, ItemKind.BlockDevice, st, null);
            case FileStatus.S_IFIFO: return new(name, full, ItemKind.Fifo, st, null);
            case FileStatus.S_IFSOCK: return new(name, full, ItemKind.Other, st, null);
        }
        if (st.Links > 1)
        {
            var key = (st.DevMajor, st.DevMinor, st.Inode);
            if (seen.TryGetValue(key, out var first)) return new(name, full, ItemKind.Hardlink, st, first);
            seen[key] = name;
        }
        return new(name, full, ItemKind.File, st, null);
    }
}
