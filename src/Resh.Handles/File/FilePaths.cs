using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.File;

/// <summary>Turns a file:// target into an absolute path.</summary>
public static class FilePaths
{
    public static string Resolve(VerbContext ctx) => Resolve(ctx.Target, ctx.Runtime.Paths.Home);

    public static string Resolve(string target, string home)
    {
        if (target.Length == 0)
            throw ReshError.Usage("The file:// target is empty.", "Name a path: file:///etc/hosts or file://notes.txt.").ToException();
        if (target.Contains('\0'))
            throw ReshError.Usage("The path contains a NUL byte.", null).ToException();
        string path = target;
        if (path == "~") path = home;
        else if (path.StartsWith("~/", StringComparison.Ordinal)) path = Path.Combine(home, path[2..]);
        var full = Path.GetFullPath(path);
        // Keep a trailing slash out of the result; "/" stays "/".
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
