using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Storage;

/// <summary>One path met while walking a tree: its path relative to the root ("" is the root) and its lstat.</summary>
public readonly record struct TreeItem(string Relative, string FullPath, FileStatus Status);

/// <summary>
/// Walks a directory tree without following symlinks, in ordinal name order (so results are
/// deterministic), pruning excluded directories early.
/// </summary>
public static class TreeWalker
{
    /// <summary>Everything under <paramref name="root"/> (not the root itself) that the filter selects, parents before children;
    /// relative paths start with <paramref name="prefix"/> when one is given (the filter sees them so). Names are read as
    /// bytes (getdents64) and stat'ed relative to their directory, so a name that is not UTF-8 comes through intact
    /// (<see cref="Resh.Core.Text.PathBytes"/>). A directory that cannot be read fails the walk, unless
    /// <paramref name="onUnreadable"/> is given: then it is called with the directory's relative path and errno, and skipped.</summary>
    public static IEnumerable<TreeItem> Walk(string root, PathFilter filter, CancellationToken ct, string prefix = "", bool sameDevice = false,
        Action<string, int>? onUnreadable = null)
    {
        var rootStat = Stat(root);
        var stack = new Stack<(string Rel, string Full)>();
        stack.Push((prefix, root));
        bool atRoot = true;
        while (stack.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (rel, full) = stack.Pop();
            // The root may be a link to a directory (as given); nothing below it is followed.
            var dirFd = Posix.OpenAt(Posix.AT_FDCWD, full, Posix.O_RDONLY | Posix.O_DIRECTORY | (atRoot ? 0 : Posix.O_NOFOLLOW));
            atRoot = false;
            List<Posix.DirEntry>? entries = null;
            int errno = dirFd < 0 ? -dirFd : 0;
            if (dirFd >= 0)
            {
                entries = Posix.ReadDirectory(dirFd, out errno);
                if (entries is null) { Posix.Close(dirFd); dirFd = -1; }
            }
            if (entries is null)
            {
                if (errno == Posix.ENOENT && full != root) continue; // vanished while walking
                if (onUnreadable is not null) { onUnreadable(rel, errno); continue; }
                if (errno is Posix.EACCES or Posix.EPERM)
                    throw ReshError.PermissionDenied($"Cannot read directory {Resh.Core.Text.PathBytes.Display(full)}.", "Run as a user who can read the whole tree, or exclude it.").ToException();
                throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(full)})").ToException();
            }
            var subdirs = new List<(string, string)>();
            try
            {
                entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                foreach (var entry in entries)
                {
                    var name = entry.Name;
                    var childRel = rel.Length == 0 ? name : rel + "/" + name;
                    var childFull = full == "/" ? "/" + name : full + "/" + name;
                    if (filter.IsExcluded(childRel)) continue;
                    var st = Posix.StatAt(dirFd, name, follow: false, out errno);
                    if (st is null)
                    {
                        if (errno == Posix.ENOENT) continue; // vanished while walking
                        throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(childFull)})").ToException();
                    }
                    var s = st.Value;
                    if (s.IsDirectory)
                    {
                        if (sameDevice && (s.DevMajor != rootStat.DevMajor || s.DevMinor != rootStat.DevMinor)) continue;
                        // A directory is emitted when it is selected itself or may hold selected entries.
                        yield return new TreeItem(childRel, childFull, s);
                        subdirs.Add((childRel, childFull));
                    }
                    else if (filter.IsIncluded(childRel))
                    {
                        yield return new TreeItem(childRel, childFull, s);
                    }
                }
            }
            finally
            {
                Posix.Close(dirFd);
            }
            for (int i = subdirs.Count - 1; i >= 0; i--) stack.Push(subdirs[i]);
        }
    }

    public static FileStatus Stat(string path)
    {
        var st = Posix.Stat(path, follow: false, out var errno);
        if (st is null) throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
        return st.Value;
    }
}
