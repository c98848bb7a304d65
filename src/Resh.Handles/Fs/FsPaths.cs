using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Fs;

/// <summary>The fs:// target: a path (mount point, device, image or any path on a file system), or empty for all.</summary>
public static class FsPaths
{
    public static string? Optional(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length == 0) return null;
        return Absolute(t, ctx);
    }

    public static string Required(VerbContext ctx, string what)
    {
        return Optional(ctx) ?? throw ReshError.Usage($"fs:// needs a target here: {what}.", $"Example: resh fs:///mnt/data.{ctx.Verb.Name}").ToException();
    }

    public static string Absolute(string t, VerbContext ctx)
    {
        if (t == "~" || t.StartsWith("~/", StringComparison.Ordinal)) t = Path.Combine(ctx.Runtime.Paths.Home, t.TrimStart('~').TrimStart('/'));
        var full = Path.GetFullPath(t);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>
    /// A path handed to mount(8), umount(8) and the other tools goes on their command line, which .NET can only
    /// pass as UTF-8 text: a name that is not UTF-8 would reach them changed (U+FFFD), naming another path.
    /// Refused instead, naming it in its escaped form.
    /// </summary>
    public static string ForTool(string path, string tool)
    {
        if (Resh.Core.Text.PathBytes.HasRawBytes(path))
            throw ReshError.Unsupported($"{Resh.Core.Text.PathBytes.Display(path)} is not UTF-8 and cannot be passed to {tool}.",
                "Rename it (or mount on a UTF-8 path): fs:// reads such mounts but does not hand them to mount or umount.").ToException();
        return path;
    }
}
