using Resh.Core.Text;

namespace Resh.Handles.Snapshot;

public sealed record DiffChange(string Path,
    [System.ComponentModel.Description("content, mode, type, link or xattrs (extended attributes or ACLs)")] string Change,
    [System.ComponentModel.Description("Unified diff for text files up to 256 KiB (null for binary or large content).")] string? Diff);

public sealed record TreeChanges(List<string> Added, List<string> Removed, List<DiffChange> Modified, long Unchanged)
{
    public bool Any => Added.Count + Removed.Count + Modified.Count > 0;
}

/// <summary>Compares two trees entry by entry: added, removed and modified paths, with text diffs.</summary>
public static class TreeDiff
{
    const long TextDiffLimit = 256 * 1024;

    public static TreeChanges Compare(TreeView from, TreeView to, bool contentDiffs, Func<string, bool>? scope = null)
    {
        var a = from.Entries.Where(e => scope?.Invoke(e.Path) ?? true).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var b = to.Entries.Where(e => scope?.Invoke(e.Path) ?? true).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var added = b.Keys.Where(k => !a.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var removed = a.Keys.Where(k => !b.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var modified = new List<DiffChange>();
        long unchanged = 0;
        foreach (var (path, x) in a.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!b.TryGetValue(path, out var y)) continue;
            string? change = null;
            if (x.Type != y.Type) change = "type";
            else if (x.Type == "symlink" && x.LinkTarget != y.LinkTarget) change = "link";
            else if (x.Type == "file" && (x.Size != y.Size || x.Sha256 != y.Sha256)) change = "content";
            else if (x.Mode != y.Mode) change = "mode";
            else if (!x.SameXattrs(y)) change = "xattrs";
            if (change is null) { unchanged++; continue; }
            string? diff = null;
            if (change == "content" && contentDiffs && x.Size <= TextDiffLimit && y.Size <= TextDiffLimit)
            {
                var oldBytes = Storage.FileTree.ReadAllBytes(from.ContentPath(x));
                var newBytes = Storage.FileTree.ReadAllBytes(to.ContentPath(y));
                if (IsText(oldBytes) && IsText(newBytes)) diff = Diff.Unified(oldBytes, newBytes, PathBytes.Display(path), true);
            }
            modified.Add(new DiffChange(path, change, diff));
        }
        return new TreeChanges(added, removed, modified, unchanged);
    }

    static bool IsText(ReadOnlySpan<byte> data) => data.IndexOf((byte)0) < 0 && System.Text.Unicode.Utf8.IsValid(data);
}
