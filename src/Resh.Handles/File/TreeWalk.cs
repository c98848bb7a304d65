using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>One entry met while walking a tree: its path, name, lstat and depth below the root (1 = child).</summary>
internal readonly record struct WalkEntry(string Path, string Name, FileStatus Stat, int Depth);

/// <summary>
/// Walk of a directory tree that never follows symlinks (lstat throughout), so a link to / inside a
/// tree can never drag a recursive verb out of it. Every directory comes before its descendants
/// (reverse the sequence to handle children first, as delete does).
/// </summary>
internal static class TreeWalk
{
    static readonly EnumerationOptions Options = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <param name="maxDepth">Deepest level to return (1 = direct children only); int.MaxValue for all.</param>
    /// <param name="descend">Whether to enter a directory entry (e.g. skip hidden ones); null enters all.</param>
    /// <param name="onError">Called for a directory that cannot be read; the walk goes on.</param>
    public static IEnumerable<WalkEntry> Enumerate(string root, int maxDepth, Func<WalkEntry, bool>? descend,
        Action<string, Exception> onError, CancellationToken ct)
    {
        var stack = new Stack<(string Dir, int Depth)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (dir, depth) = stack.Pop();
            List<string> names;
            try
            {
                names = Directory.EnumerateFileSystemEntries(dir, "*", Options).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                onError(dir, ex);
                continue;
            }
            names.Sort(StringComparer.Ordinal);
            var children = new List<WalkEntry>(names.Count);
            foreach (var p in names)
            {
                var st = Posix.Stat(p, false, out var errno);
                if (st is null)
                {
                    if (errno != FileNative.ENOENT) onError(p, new IOException(Posix.StrError(errno), errno));
                    continue; // removed while we looked
                }
                children.Add(new WalkEntry(p, System.IO.Path.GetFileName(p), st.Value, depth + 1));
            }
            for (int i = children.Count - 1; i >= 0; i--)
            {
                var c = children[i];
                if (c.Stat.IsDirectory && c.Depth < maxDepth && (descend is null || descend(c))) stack.Push((c.Path, c.Depth));
            }
            foreach (var c in children) yield return c;
        }
    }
}
