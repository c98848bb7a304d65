using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>
/// A path on disk that goes into an archive, under <see cref="Name"/>. It is read later through
/// <see cref="Root"/> (a directory opened once) and <see cref="Rel"/> beneath it, never following a
/// symlink, so a tree changed in the meantime cannot make resh read a file elsewhere.
/// </summary>
public sealed record SourceEntry(string Name, string Root, string Rel, ItemKind Kind, FileStatus Status, string? LinkTarget);

/// <summary>
/// Turns create/add sources into archive entries: each source is stored under its own name (or
/// relative to base_dir); trees are walked by directory handle, depth-first in name order (a
/// directory, then everything under it, then its next sibling, as GNU tar writes, so tar restores
/// directory times), never following symlinks, names as bytes; a file with several links becomes
/// one file plus hard-link entries; filters apply to the stored names.
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
            var full = Path.GetFullPath(source, baseDir ?? Environment.CurrentDirectory);
            if (full.Length > 1) full = full.TrimEnd('/');
            var st = AtCalls.StatAt(AtCalls.AT_FDCWD, full, false, out var errno);
            if (st is null)
            {
                if (errno == 2) throw ReshError.NotFound($"Source {PathBytes.Display(full)} does not exist.", "Check the sources list.", new System.Text.Json.Nodes.JsonObject { ["path"] = PathBytes.Display(full) }).ToException();
                throw ArchiveErrors.FromErrno(errno, full).ToException();
            }
            string name;
            if (baseDir is not null)
            {
                var rel = Path.GetRelativePath(baseDir, full);
                if (rel == "." || rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel))
                    throw ReshError.Usage($"Source {PathBytes.Display(full)} is not inside base_dir {PathBytes.Display(baseDir)}.", "Give sources under base_dir, or drop base_dir to store each source under its own name.").ToException();
                name = rel;
            }
            else
            {
                name = Path.GetFileName(full);
                if (name.Length == 0) throw ReshError.Usage("The root directory cannot be archived under its own name.", "Pass base_dir=/ and the directories to store.").ToException();
            }
            if (!names.Add(name))
                throw ReshError.Usage($"Two sources would both be stored as `{PathBytes.Display(name)}`.", "Use base_dir so the stored names differ.").ToException();
            var parent = Path.GetDirectoryName(full) ?? "/";
            var leaf = Path.GetFileName(full);
            if (filter.Selects(name) || st.Value.IsDirectory)
                raw.Add(Make(name, parent, leaf, st.Value, seenInodes, AtCalls.AT_FDCWD, full));
            if (st.Value.IsDirectory)
            {
                var fd = AtCalls.OpenAt(AtCalls.AT_FDCWD, full, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                if (fd < 0) throw Unreadable(-fd, full);
                try { Walk(fd, full, "", name, filter, raw, seenInodes, ct); }
                finally { AtCalls.Close(fd); }
            }
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

    static void Walk(int dirfd, string root, string rel, string prefix, PathFilter filter, List<SourceEntry> into,
        Dictionary<(uint, uint, ulong), string> seen, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var children = AtCalls.ReadDir(dirfd, out var errno) ?? throw Unreadable(errno, rel.Length == 0 ? root : root + "/" + rel);
        children.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, _) in children)
        {
            var childRel = rel.Length == 0 ? name : rel + "/" + name;
            var childName = prefix + "/" + name;
            if (filter.IsExcluded(childName)) continue;
            var st = AtCalls.StatAt(dirfd, name, false, out var e);
            if (st is null)
            {
                if (e == AtCalls.ENOENT) continue; // vanished while walking
                throw ArchiveErrors.FromErrno(e, root + "/" + childRel).ToException();
            }
            if (st.Value.IsDirectory)
            {
                into.Add(Make(childName, root, childRel, st.Value, seen, dirfd, name));
                var sub = AtCalls.OpenAt(dirfd, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                if (sub == -AtCalls.ENOENT) continue;
                if (sub < 0) throw Unreadable(-sub, root + "/" + childRel);
                try { Walk(sub, root, childRel, childName, filter, into, seen, ct); }
                finally { AtCalls.Close(sub); }
            }
            else if (filter.IsIncluded(childName))
            {
                into.Add(Make(childName, root, childRel, st.Value, seen, dirfd, name));
            }
        }
    }

    static Exception Unreadable(int errno, string path) => errno is AtCalls.EACCES or AtCalls.EPERM
        ? ReshError.PermissionDenied($"Cannot read directory {PathBytes.Display(path)}.", "Run as a user who can read the whole tree, or exclude it.").ToException()
        : ArchiveErrors.FromErrno(errno, path).ToException();

    static SourceEntry Make(string name, string root, string rel, FileStatus st, Dictionary<(uint, uint, ulong), string> seen, int dirfd, string leaf)
    {
        switch (st.FileType)
        {
            case FileStatus.S_IFDIR: return new(name, root, rel, ItemKind.Directory, st, null);
            case FileStatus.S_IFLNK: return new(name, root, rel, ItemKind.Symlink, st, AtCalls.ReadLinkAt(dirfd, leaf, out _) ?? "");
            case FileStatus.S_IFCHR: return new(name, root, rel, ItemKind.CharDevice, st, null);
            case FileStatus.S_IFBLK: return new(name, root, rel, ItemKind.BlockDevice, st, null);
            case FileStatus.S_IFIFO: return new(name, root, rel, ItemKind.Fifo, st, null);
            case FileStatus.S_IFSOCK: return new(name, root, rel, ItemKind.Other, st, null);
        }
        if (st.Links > 1)
        {
            var key = (st.DevMajor, st.DevMinor, st.Inode);
            if (seen.TryGetValue(key, out var first)) return new(name, root, rel, ItemKind.Hardlink, st, first);
            seen[key] = name;
        }
        return new(name, root, rel, ItemKind.File, st, null);
    }
}
