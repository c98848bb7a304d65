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
    /// relative paths start with <paramref name="prefix"/> when one is given (the filter sees them so).</summary>
    public static IEnumerable<TreeItem> Walk(string root, PathFilter filter, CancellationToken ct, string prefix = "", bool sameDevice = false)
    {
        var rootStat = Stat(root);
        var stack = new Stack<(string Rel, string Full)>();
        stack.Push((prefix, root));
        while (stack.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (rel, full) = stack.Pop();
            string[] names;
            try
            {
                names = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).OfType<string>().ToArray();
            }
            catch (UnauthorizedAccessException)
            {
                throw ReshError.PermissionDenied($"Cannot read directory {full}.", "Run as a user who can read the whole tree, or exclude it.").ToException();
            }
            Array.Sort(names, StringComparer.Ordinal);
            var subdirs = new List<(string, string)>();
            foreach (var name in names)
            {
                var childRel = rel.Length == 0 ? name : rel + "/" + name;
                var childFull = Path.Combine(full, name);
                if (filter.IsExcluded(childRel)) continue;
                var st = Posix.Stat(childFull, follow: false, out var errno);
                if (st is null)
                {
                    if (errno == 2) continue; // vanished while walking
                    throw ExceptionTranslation.FromErrno(errno, $" ({childFull})").ToException();
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
            for (int i = subdirs.Count - 1; i >= 0; i--) stack.Push(subdirs[i]);
        }
    }

    public static FileStatus Stat(string path)
    {
        var st = Posix.Stat(path, follow: false, out var errno);
        if (st is null) throw ExceptionTranslation.FromErrno(errno, $" ({path})").ToException();
        return st.Value;
    }
}
