using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Files;

/// <summary>
/// Removing a directory tree in two steps: a plan (every entry lstat'ed, unreadable directories and
/// nested mount points found) and then the removal, children before parents, never following links.
/// </summary>
internal sealed class TreeRemoval
{
    TreeRemoval(string root, List<WalkEntry> entries, List<string> unreadable, List<string> mounts, long bytes)
    {
        Root = root;
        Entries = entries;
        Unreadable = unreadable;
        MountPoints = mounts;
        Bytes = bytes;
    }

    public string Root { get; }
    public List<WalkEntry> Entries { get; }
    public List<string> Unreadable { get; }
    public List<string> MountPoints { get; }
    /// <summary>Bytes of regular files in the tree.</summary>
    public long Bytes { get; }
    /// <summary>Entries removed, the root included.</summary>
    public long Count => Entries.Count + 1;

    public static TreeRemoval Plan(VerbContext ctx, string root)
    {
        var entries = new List<WalkEntry>();
        var unreadable = new List<string>();
        var mounts = new List<string>();
        long bytes = 0;
        foreach (var e in TreeWalk.Enumerate(root, int.MaxValue, null, (where, _) => unreadable.Add(where), ctx.Cancellation))
        {
            if (e.Stat.IsDirectory && DeleteGuard.IsMountPoint(e.Path, e.Stat)) mounts.Add(e.Path);
            entries.Add(e);
            if (e.Stat.IsRegular) bytes += e.Stat.Size;
        }
        return new TreeRemoval(root, entries, unreadable, mounts, bytes);
    }

    /// <summary>An error when the plan cannot be carried out safely, else null.</summary>
    public ReshError? Refusal(bool force)
    {
        if (Unreadable.Count > 0)
            return ReshError.PermissionDenied($"Cannot read {Unreadable.Count} director{(Unreadable.Count == 1 ? "y" : "ies")} below {Root}; nothing was removed.",
                "Run as a user who can read the whole tree (sudo).",
                new JsonObject { ["path"] = Root, ["unreadable"] = Array(Unreadable) });
        if (MountPoints.Count > 0 && !force)
            return ReshError.Conflict($"Refusing to remove {Root}: {MountPoints.Count} mount point(s) below it.", "Unmount them first, or pass force=true to remove their content too.",
                new JsonObject { ["path"] = Root, ["mount_points"] = Array(MountPoints) });
        return null;
    }

    public void Apply(VerbContext ctx)
    {
        long removed = 0;
        try
        {
            for (int i = Entries.Count - 1; i >= 0; i--)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                var e = Entries[i];
                var errno = e.Stat.IsDirectory ? FileNative.Rmdir(e.Path) : FileNative.Unlink(e.Path);
                if (errno != 0 && errno != FileNative.ENOENT) throw FileErrors.Throw(errno, e.Path, "delete");
                removed++;
            }
            FileErrors.Check(FileNative.Rmdir(Root), Root, "delete");
        }
        catch (ReshException ex)
        {
            var details = ex.Error.Details ?? new JsonObject();
            details["removed_before_failure"] = removed;
            throw (ex.Error with { Details = details }).ToException();
        }
    }

    static JsonArray Array(List<string> items) => new(items.Take(20).Select(u => (JsonNode?)u).ToArray());
}
