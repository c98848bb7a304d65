using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// The file a content change lands on, resolved through descriptors by <see cref="SafePath"/>: with
/// follow (the default) every symlink is followed by resh itself under the fs.protected_symlinks rule,
/// and the file it reaches is replaced in its own directory (the link stays); with follow=false a final
/// symlink is itself replaced by a regular file (install's habit). Every later step is relative to the
/// directory descriptor, never a path looked up again.
/// </summary>
internal sealed class WriteTarget : IDisposable
{
    WriteTarget(string path, ResolvedPath resolved, FileStatus? existing)
    {
        Path = path;
        Resolved = resolved;
        Existing = existing;
    }

    /// <summary>The path as the caller named it.</summary>
    public string Path { get; }
    public ResolvedPath Resolved { get; }
    /// <summary>lstat of the file written, null when it does not exist yet.</summary>
    public FileStatus? Existing { get; private set; }
    public int DirFd => Resolved.DirFd;
    public string Name => Resolved.Name;
    /// <summary>Where the bytes land (the link's final target when one was followed).</summary>
    public string FullPath => Resolved.FullPath;

    public static WriteTarget Open(string path, bool follow, string action)
    {
        var resolved = SafePath.Resolve(path, follow, out var failure);
        if (resolved is null) throw Error(path, failure, action).ToException();
        // A surface's path patterns (resh mcp --allow/--deny) judge the directory descriptor every later step goes
        // through, not the name they checked before the call: a symlink flipped meanwhile cannot take the write elsewhere.
        if (PathConfinement.Check(PathAct.Write, resolved.DirFd, resolved.Name) is { } refused)
        {
            resolved.Dispose();
            throw refused.ToException();
        }
        var existing = resolved.Stat(out var errno);
        if (existing is null && errno != Posix.ENOENT)
        {
            resolved.Dispose();
            throw FileErrors.Throw(errno, path, action);
        }
        return new WriteTarget(path, resolved, existing);
    }

    /// <summary>follow=false met a symlink: it is replaced like an absent file (the rename lands on the link itself).</summary>
    public void ReplaceLink() => Existing = null;

    /// <summary>Looks at the file again (after a change).</summary>
    public FileStatus? Refresh() => Existing = Resolved.Stat(out _);

    /// <summary>Opens the file itself (never a symlink planted meanwhile: O_NOFOLLOW).</summary>
    public SafeFileHandle? OpenFile(int flags, uint mode, out int errno) =>
        Posix.OpenHandle(DirFd, Name, flags | Posix.O_NOFOLLOW | Posix.O_NOCTTY, mode, out errno);

    /// <summary>The whole current content (bounded), read through the descriptor.</summary>
    public byte[] ReadAll(long max, CancellationToken ct)
    {
        using var handle = OpenFile(Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, Path, "read");
        return FileContent.ReadAll(handle, Path, max, ct);
    }

    /// <summary>The failure of a resolution as an envelope: a refused link says why.</summary>
    public static ReshError Error(string path, SafePath.Failure failure, string action)
    {
        if (failure.RefusedLink is { } link)
            return ReshError.PermissionDenied(
                $"Refusing to follow the symlink {FilePaths.Display(link)}: it sits in a sticky world-writable directory and belongs to another user (the fs.protected_symlinks rule).",
                "Check who planted it; write to the real path, or pass follow=false to replace the link itself.",
                new JsonObject { ["path"] = FilePaths.Display(path), ["link"] = FilePaths.Display(link) });
        if (failure.Errno == Posix.EISDIR)
            return ReshError.Usage($"{FilePaths.Display(path)} is a directory; {action} needs a file.", "Name a file inside it.",
                new JsonObject { ["path"] = FilePaths.Display(path) });
        return FileErrors.FromErrno(failure.Errno, failure.At == "/" ? path : failure.At, action);
    }

    public void Dispose() => Resolved.Dispose();
}
