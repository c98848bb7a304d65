using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Refuses the removals no operator means (SPEC §8): the root, top-level system directories, the home
/// directory and its ancestors, and mount points. <c>force=true</c> overrides.
/// </summary>
internal static class DeleteGuard
{
    public static ReshError? Check(VerbContext ctx, string path, FileStatus st, string verb) => Check(ctx, path, st, verb, mountPoints: true);

    /// <summary>
    /// The same catastrophic targets for a recursive chmod or chown (chmod -R 777 / or chown -R of /etc,
    /// /usr, /var, /boot or a home directory): refused without force. Mount points are fine here.
    /// </summary>
    public static ReshError? CheckRecursive(VerbContext ctx, string path, FileStatus st, string verb) => Check(ctx, path, st, verb, mountPoints: false);

    static ReshError? Check(VerbContext ctx, string path, FileStatus st, string verb, bool mountPoints)
    {
        string? why = null;
        if (path == "/") why = "it is the root directory";
        else if (Homes(ctx).FirstOrDefault(h => FilePaths.IsInside(h, path)) is { } home)
            why = home == path ? "it is the home directory" : $"it contains the home directory {home}";
        // Top-level symlinks count too: /bin, /lib and /sbin are links on merged-/usr systems.
        else if (Path.GetDirectoryName(path) == "/" && (st.IsDirectory || st.IsSymlink)) why = "it is a top-level system directory";
        else if (mountPoints && !st.IsSymlink && IsMountPoint(path, st)) why = "it is a mount point";
        if (why is null) return null;
        return ReshError.Conflict($"Refusing to {verb} {FilePaths.Display(path)}: {why}.", "Pass force=true if you really mean it.",
            new JsonObject { ["path"] = FilePaths.Display(path), ["reason"] = why });
    }

    static IEnumerable<string> Homes(VerbContext ctx)
    {
        var homes = new List<string>();
        if (ctx.Runtime.Paths.Home is { Length: > 1 } h) homes.Add(Path.GetFullPath(h).TrimEnd('/'));
        if (Users.User(LibC.GetEUid())?.Home is { Length: > 1 } pw) homes.Add(Path.GetFullPath(pw).TrimEnd('/'));
        return homes.Where(x => x.Length > 1).Distinct();
    }

    /// <summary>The root of a mount: statx says so, or the parent lives on another device.</summary>
    public static bool IsMountPoint(string path, FileStatus st)
    {
        if (st.IsMountRoot) return true;
        var parent = Path.GetDirectoryName(path);
        if (parent is null) return true;
        var p = Posix.Stat(parent, true, out _);
        return p is { } ps && (ps.DevMajor != st.DevMajor || ps.DevMinor != st.DevMinor || (ps.MountId is { } a && st.MountId is { } b && a != b));
    }
}
