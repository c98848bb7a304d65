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
}
