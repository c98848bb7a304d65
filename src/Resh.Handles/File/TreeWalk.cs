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

    /// <summary>Walks the open directory <paramref name="fd"/> (O_RDONLY|O_DIRECTORY; the walk owns and closes it), named <paramref name="root"/>.</summary>
    public static IEnumerable<WalkEntry> EnumerateFd(int fd, string root, int maxDepth, Func<WalkEntry, bool>? descend,
        Action<string, int> onError, CancellationToken ct) =>
        Walk(new Dir(fd, root), maxDepth, descend, onError, ct);

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

    /// <summary>
    /// Depth-first, pre-order: each entry is followed by its own subtree, siblings in ordinal name order.
    /// A directory's frame holds only its sorted names; each child is lstat'ed when it is reached, so the
    /// memory of a walk is the names of the open directories, not their stat records (a directory of a
    /// few thousand entries held ~150 bytes per entry in large-object arrays, which only a full collection
    /// frees, so a listing's peak grew with the number of big directories in the tree).
    /// </summary>
    static IEnumerable<WalkEntry> Walk(Dir root, int maxDepth, Func<WalkEntry, bool>? descend, Action<string, int> onError, CancellationToken ct)
    {
        var frames = new Stack<Frame>();
        int seen = 0;
        try
        {
            if (Read(root, 0, onError) is { } top) frames.Push(top);
            else root.Release();
            while (frames.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                var frame = frames.Peek();
                if (frame.Next == frame.Names.Count)
                {
                    frames.Pop().Dir.Release();
                    continue;
                }
                var name = frame.Names[frame.Next++].Name;
                var st = Posix.StatAt(frame.Dir.Fd, name, follow: false, out var errno);
                if (st is null)
                {
                    if (errno != Posix.ENOENT) onError(Join(frame.Dir.Path, name), errno);
                    continue; // removed while we looked
                }
                var c = new WalkEntry(Join(frame.Dir.Path, name), name, st.Value, frame.Depth + 1, frame.Dir.Fd);
                ListingSpool.Pace(++seen);
                yield return c;
                if (!c.Stat.IsDirectory || c.Depth >= maxDepth || (descend is not null && !descend(c))) continue;
                var fd = Posix.OpenAt(frame.Dir.Fd, c.Name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
                if (fd < 0)
                {
                    if (-fd != Posix.ENOENT) onError(c.Path, -fd);
                    continue;
                }
                var sub = new Dir(fd, c.Path);
                if (Read(sub, c.Depth, onError) is { } list) frames.Push(list);
                else sub.Release();
            }
        }
        finally
        {
            // Abandoned early (limit, error): close what is still open.
            while (frames.Count > 0) frames.Pop().Dir.Release();
        }
    }

    /// <summary>An open directory being walked: its children's names, sorted, and the next one to visit.</summary>
    sealed class Frame(Dir dir, List<Posix.DirEntry> names, int depth)
    {
        public Dir Dir => dir;
        public List<Posix.DirEntry> Names => names;
        public int Depth => depth;
        public int Next;
    }

    /// <summary>The sorted names of one open directory; null when it cannot be read.</summary>
    static Frame? Read(Dir dir, int depth, Action<string, int> onError)
    {
        var names = Posix.ReadDirectory(dir.Fd, out var errno);
        if (names is null)
        {
            onError(dir.Path, errno);
            return null;
        }
        names.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new Frame(dir, names, depth);
    }

    public static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;
}
