using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Archive;

/// <summary>The archive:// target as an absolute path.</summary>
public static class ArchivePaths
{
    public static string Resolve(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length == 0) throw ReshError.Usage("The archive:// target is empty.", "Name the archive file: archive:///tmp/x.tar.zst.list").ToException();
        if (t.Contains('\0')) throw ReshError.Usage("The path contains a NUL byte.", null).ToException();
        if (t == "~" || t.StartsWith("~/", StringComparison.Ordinal)) t = Path.Combine(ctx.Runtime.Paths.Home, t.TrimStart('~').TrimStart('/'));
        return Path.GetFullPath(t).TrimEnd('/');
    }

    public static string Absolute(string path, VerbContext ctx)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal)) path = Path.Combine(ctx.Runtime.Paths.Home, path.TrimStart('~').TrimStart('/'));
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
