using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// One entry met while walking a tree: its path, name, lstat and depth below the root (1 = child), and the
/// descriptor of the directory holding it (valid only while the entry is being handled), so a change can
/// be made relative to it (fchmodat, fchownat, unlinkat) and never through a path looked up again.
/// </summary>
internal readonly record struct WalkEntry(string Path, string Name, FileStatus Stat, int Depth, int DirFd);

/// <summary>
/// Walk of a directory tree through descriptors (getdents64, fstatat, openat O_NOFOLLOW): names are
/// bytes (a name that is not UTF-8 comes through intact, see <see cref="Resh.Core.Text.PathBytes"/>),
/// symlinks are never followed, and a directory swapped for a symlink mid-walk cannot drag the walk
/// out of the tree. Depth-first pre-order: every entry is followed by its own subtree, siblings in
/// ordinal name order (so output streams in a stable tree order). Open descriptors stay bounded by
/// the depth, not the width, of the tree.
/// </summary>
internal static class TreeWalk
{
    sealed class Dir(int fd, string path)
    {
        public int Fd => fd;
        public string Path => path;
        public void Release() => Posix.Close(fd);
    }

    /// <param name="maxDepth">Deepest level to return (1 = direct children only); int.MaxValue for all.</param>
    /// <param name="descend">Whether to enter a directory entry (e.g. skip hidden ones); null enters all.</param>
    /// <param name="onError">Called with a path and errno for a directory that cannot be read; the walk goes on.</param>
    /// <param name="followRoot">Open the root even when it is a symlink to a directory (list does; mutations resolve it first).</param>
    public static IEnumerable<WalkEntry> Enumerate(string root, int maxDepth, Func<WalkEntry, bool>? descend,
        Action<string, int> onError, CancellationToken ct, bool followRoot = true)
    {
        var rootFd = Posix.OpenAt(Posix.AT_FDCWD, root, Posix.O_RDONLY | Posix.O_DIRECTORY | (followRoot ? 0 : Posix.O_NOFOLLOW));
        if (rootFd < 0)
        {
            onError(root, -rootFd);
            return [];
        }
        return Walk(new Dir(rootFd, root), maxDepth, descend, onError, ct);
    }

    /// <summary>Walks the directory <paramref name="name"/> inside <paramref name="parentFd"/> (opened without following a link).</summary>
    public static IEnumerable<WalkEntry> EnumerateAt(int parentFd, string name, string path, int maxDepth, Func<WalkEntry, bool>? descend,
        Action<string, int> onError, CancellationToken ct)
    {
        var fd = Posix.OpenAt(parentFd, name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
        if (fd < 0)
        {
            onError(path, -fd);
            return [];
        }
        return Walk(new Dir(fd, path), maxDepth, descend, onError, ct);
    }

    /// <summary>Depth-first, pre-order: each entry is followed by its own subtree, siblings in ordinal name order.</summary>
    static IEnumerable<WalkEntry> Walk(Dir root, int maxDepth, Func<WalkEntry, bool>? descend, Action<string, int> onError, CancellationToken ct)
    {
        var frames = new Stack<(Dir Dir, List<WalkEntry> Children, int Next)>();
        int seen = 0;
        try
        {
            if (Read(root, 0, onError) is { } top) frames.Push((root, top, 0));
            else root.Release();
            while (frames.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                var (dir, children, next) = frames.Pop();
                if (next == children.Count)
                {
                    dir.Release();
                    continue;
                }
                frames.Push((dir, children, next + 1));
                var c = children[next];
                ListingSpool.Pace(++seen);
                yield return c;
                if (!c.Stat.IsDirectory || c.Depth >= maxDepth || (descend is not null && !descend(c))) continue;
                var fd = Posix.OpenAt(dir.Fd, c.Name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
                if (fd < 0)
                {
                    if (-fd != Posix.ENOENT) onError(c.Path, -fd);
                    continue;
                }
                var sub = new Dir(fd, c.Path);
                if (Read(sub, c.Depth, onError) is { } list) frames.Push((sub, list, 0));
                else sub.Release();
            }
        }
        finally
        {
            // Abandoned early (limit, error): close what is still open.
            while (frames.Count > 0) frames.Pop().Dir.Release();
        }
    }

    /// <summary>The entries of one open directory, lstat'ed and sorted; null when it cannot be read.</summary>
    static List<WalkEntry>? Read(Dir dir, int depth, Action<string, int> onError)
    {
        var names = Posix.ReadDirectory(dir.Fd, out var errno);
        if (names is null)
        {
            onError(dir.Path, errno);
            return null;
        }
        names.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var children = new List<WalkEntry>(names.Count);
        foreach (var n in names)
        {
            var st = Posix.StatAt(dir.Fd, n.Name, follow: false, out errno);
            if (st is null)
            {
                if (errno != Posix.ENOENT) onError(Join(dir.Path, n.Name), errno);
                continue; // removed while we looked
            }
            children.Add(new WalkEntry(Join(dir.Path, n.Name), n.Name, st.Value, depth + 1, dir.Fd));
        }
        return children;
    }

    public static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;
}
