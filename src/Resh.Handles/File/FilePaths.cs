using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Files;

/// <summary>Turns a file:// target (or a path argument such as <c>to=</c>) into an absolute path.</summary>
public static class FilePaths
{
    public static string Resolve(VerbContext ctx) => Resolve(ctx.Target, ctx.Runtime.Paths.Home);

    /// <summary>A path given as an argument: absolute, relative to the current directory, <c>~/...</c>, or a file:// URI.</summary>
    public static string ResolveArg(VerbContext ctx, string value, string argName)
    {
        var v = value.StartsWith("file://", StringComparison.Ordinal) ? Resh.Core.Grammar.PercentDecoding.Decode(value["file://".Length..]) : value;
        if (v.Length == 0)
            throw ReshError.Usage($"`{argName}` is empty.", $"Give a path: {argName}=/abs/path or {argName}=relative/path.").ToException();
        return Resolve(v, ctx.Runtime.Paths.Home);
    }

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

    /// <summary>A path as results and messages show it: unchanged when it is UTF-8, else percent-escaped (<see cref="Resh.Core.Text.PathBytes"/>).</summary>
    public static string Display(string path) => Resh.Core.Text.PathBytes.Display(path);

    /// <summary>The path relative to <paramref name="root"/>, with '/' separators.</summary>
    public static string Relative(string root, string path) => Path.GetRelativePath(root, path);

    /// <summary>True when <paramref name="path"/> is <paramref name="dir"/> or lies inside it.</summary>
    public static bool IsInside(string path, string dir)
    {
        if (dir == "/") return true;
        return path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);
    }
}
