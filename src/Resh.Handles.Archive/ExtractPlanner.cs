using Resh.Core.Platform;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>One entry of a dry-run extraction and what a real run would do with it.</summary>
public sealed record ExtractAction(
    [System.ComponentModel.Description("The entry name; percent-escaped when it is not UTF-8.")] string Path,
    [System.ComponentModel.Description("file, directory, symlink, hardlink, fifo, char_device, block_device")] string Type,
    [System.ComponentModel.Description("create (absent), replace (differs; overwrite=replace), unchanged (already identical), update (a directory whose mode changes), skip (differs; overwrite=skip), conflict (differs; overwrite=error) or refused (unsafe, not extracted)")] string Action);

/// <summary>
/// Compares what an extraction would make with an existing destination without writing anything, the
/// way the real merge (<see cref="TreeMerger"/>) will decide: tar -d / rsync -n -i for extraction.
/// The destination is looked at by directory handle with O_NOFOLLOW, so a symlink in it is a path that
/// differs (never followed). Entries beneath one that is created, replaced, kept or in conflict get the
/// same action, as they move with it.
/// </summary>
public static class ExtractPlanner
{
    public static List<ExtractAction> Plan(SafeExtractor extractor, int destFd, string overwrite, MergePlan counts)
    {
        var actions = new List<ExtractAction>();
        var decided = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, kind, link, mode, same, linkOf) in extractor.Model.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var type = TypeName(kind);
            if (Inherited(decided, name) is { } inherited) { actions.Add(new(name, type, inherited)); continue; }
            var dest = destFd < 0 ? null : Look(destFd, name);
            string action;
            if (dest is not { } d) { action = "create"; counts.Created.Add(name); decided[name] = action; }
            else if (kind == ItemKind.Directory && d.IsDirectory)
            {
                action = d.Permissions == mode ? "unchanged" : "update";
                if (action == "update") counts.MetaUpdates.Add((name, mode));
            }
            else if (Same(destFd, name, kind, link, mode, same, linkOf, d)) { action = "unchanged"; counts.Unchanged.Add(name); }
            else
            {
                action = overwrite switch { "skip" => "skip", "replace" => "replace", _ => "conflict" };
                (action == "skip" ? counts.Skipped : action == "replace" ? counts.Replaced : counts.Conflicts).Add(name);
                decided[name] = action;
            }
            actions.Add(new(name, type, action));
        }
        return actions;
    }

    static string? Inherited(Dictionary<string, string> decided, string name)
    {
        for (var slash = name.LastIndexOf('/'); slash > 0; slash = name.LastIndexOf('/', slash - 1))
            if (decided.TryGetValue(name[..slash], out var a)) return a;
        return null;
    }

    static string TypeName(ItemKind kind) => kind switch
    {
        ItemKind.File => "file",
        ItemKind.Directory => "directory",
        ItemKind.Symlink => "symlink",
        ItemKind.Hardlink => "hardlink",
        ItemKind.Fifo => "fifo",
        ItemKind.CharDevice => "char_device",
        ItemKind.BlockDevice => "block_device",
        _ => "other",
    };

    /// <summary>The destination's entry at <paramref name="rel"/>, its parents opened without following symlinks.</summary>
    static FileStatus? Look(int destFd, string rel) => AtParent(destFd, rel, (fd, leaf) => AtCalls.StatAt(fd, leaf, false, out _));

    /// <summary>Runs <paramref name="at"/> on the directory holding <paramref name="rel"/> (opened O_NOFOLLOW below the destination) and its last name; null when that directory cannot be reached.</summary>
    static T? AtParent<T>(int destFd, string rel, Func<int, string, T?> at)
    {
        var slash = rel.LastIndexOf('/');
        var fd = slash < 0 ? destFd : AtCalls.OpenBeneath(destFd, rel[..slash], AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
        if (fd < 0) return default;
        try { return at(fd, slash < 0 ? rel : rel[(slash + 1)..]); }
        finally { if (fd != destFd) AtCalls.Close(fd); }
    }

    static bool Same(int destFd, string name, ItemKind kind, string? link, uint mode, bool? same, string? linkOf, FileStatus d) => kind switch
    {
        ItemKind.File => d.IsRegular && same == true,
        // Already the same inode as the file it links to (which must itself be unchanged).
        ItemKind.Hardlink => d.IsRegular && linkOf is not null && Look(destFd, linkOf) is { } t && t.Inode == d.Inode && t.DevMajor == d.DevMajor && t.DevMinor == d.DevMinor,
        ItemKind.Symlink => d.IsSymlink && ReadLink(destFd, name) == link,
        ItemKind.Fifo => d.FileType == FileStatus.S_IFIFO && d.Permissions == mode,
        _ => false,
    };

    static string? ReadLink(int destFd, string rel) => AtParent(destFd, rel, (fd, leaf) => AtCalls.ReadLinkAt(fd, leaf, out _));

    /// <summary>
    /// True when <paramref name="rel"/> in the destination is a regular file with exactly <paramref name="mode"/>
    /// and the bytes of <paramref name="content"/> (read to its end either way, so the archive reader moves on).
    /// </summary>
    public static bool SameFile(int destFd, string rel, uint mode, Stream content)
    {
        var fd = AtCalls.OpenBeneath(destFd, rel, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK);
        var buffer = new byte[1 << 16];
        if (fd < 0) { Drain(content, buffer); return false; }
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (AtCalls.FStat(fd, out _) is not { IsRegular: true } st || st.Permissions != mode) { Drain(content, buffer); return false; }
        return FileCompare.SameAsStream(handle, st.Size, content);
    }

    static void Drain(Stream s, byte[] buffer)
    {
        while (s.Read(buffer, 0, buffer.Length) > 0) { }
    }
}
