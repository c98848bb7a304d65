using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>The archive:// target as an absolute path, and opening it by its exact bytes.</summary>
public static class ArchivePaths
{
    public static string Resolve(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length == 0) throw ReshError.Usage("The archive:// target is empty.", "Name the archive file: archive:///tmp/x.tar.zst.list").ToException();
        if (t.Contains('\0')) throw ReshError.Usage("The path contains a NUL byte.", null).ToException();
        if (t == "~" || t.StartsWith("~/", StringComparison.Ordinal)) t = Path.Combine(ctx.Runtime.Paths.Home, t.TrimStart('~').TrimStart('/'));
        var full = Path.GetFullPath(t);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    public static string Absolute(string path, VerbContext ctx)
    {
        if (path.Contains('\0')) throw ReshError.Usage("The path contains a NUL byte.", null).ToException();
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal)) path = Path.Combine(ctx.Runtime.Paths.Home, path.TrimStart('~').TrimStart('/'));
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>Opens a file for reading by its exact name bytes (the runtime would mangle a name that is not UTF-8).</summary>
    public static FileStream OpenRead(string path)
    {
        var fd = AtCalls.OpenAt(AtCalls.AT_FDCWD, path, AtCalls.O_RDONLY);
        if (fd < 0) throw ArchiveErrors.FromErrno(-fd, path).ToException();
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1 << 16);
    }

    /// <summary>lstat by exact name bytes; null when missing.</summary>
    public static Resh.Core.Platform.FileStatus? Stat(string path, bool follow = false) => AtCalls.StatAt(AtCalls.AT_FDCWD, path, follow, out _);
}
