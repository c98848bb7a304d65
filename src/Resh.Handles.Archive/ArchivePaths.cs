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

    /// <summary>
    /// A path given as an argument (sources, base_dir, destination): a plain path, or a file:// URI whose
    /// percent-escapes give the name's exact bytes (file:///srv/%FF names a directory that is not UTF-8).
    /// </summary>
    /// <summary>
    /// The archive to read (list, test, info, extract). As with tar -f -, the target `-` (or /dev/stdin, or any
    /// pipe) reads the archive from a stream: it is first copied to an anonymous temporary file (O_TMPFILE,
    /// gone when resh exits), so every format works, zip and 7z included, and the format is found from its
    /// magic bytes as for a file.
    /// </summary>
    public static string ResolveInput(VerbContext ctx)
    {
        var path = ctx.Target == "-" ? "/dev/stdin" : Resolve(ctx);
        var st = Stat(path, follow: true);
        if (st is not { } s || s.IsRegular || s.IsDirectory || s.FileType == Resh.Core.Platform.FileStatus.S_IFBLK) return path;
        using var input = OpenRead(path);
        var tmp = AtCalls.OpenAt(AtCalls.AT_FDCWD, Path.GetTempPath(), AtCalls.O_RDWR | AtCalls.O_TMPFILE, 0x180);
        if (tmp < 0) throw ArchiveErrors.FromErrno(-tmp, Path.GetTempPath()).ToException();
        // Not disposed: the descriptor stays open (and the file alive) until the process exits.
        var spool = new FileStream(new SafeFileHandle(tmp, ownsHandle: false), FileAccess.ReadWrite, 1);
        input.CopyTo(spool, 1 << 20);
        spool.Flush();
        return $"/proc/self/fd/{tmp}";
    }

    public static string Absolute(string path, VerbContext ctx)
    {
        if (path.StartsWith("file://", StringComparison.Ordinal)) path = Resh.Core.Grammar.PercentDecoding.Decode(path["file://".Length..]);
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
