using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Core.Config;

/// <summary>
/// A state directory whose files resh trusts (queues, the event trail, webhook replay logs) must be the caller's own:
/// a real directory (not a link), owned by the caller, writable by no one else. Anything planted by another user is
/// refused rather than followed or trusted.
/// </summary>
public static class OwnedStateDir
{
    /// <param name="st">The directory's lstat (null: it could not be read).</param>
    /// <param name="noun">What it is, for messages: "queue directory".</param>
    /// <param name="contents">What it holds, for messages: "messages".</param>
    public static void Check(string dir, FileStatus? st, string noun, string contents)
    {
        if (st is not { } s)
            throw ReshError.PermissionDenied($"The {noun} {dir} cannot be read as this user.",
                "Run as the user that owns it, or set RESH_HOME to a state directory of your own.").ToException();
        if (!s.IsDirectory)
            throw ReshError.PermissionDenied($"{dir} is a {(s.IsSymlink ? "symbolic link" : "file")}, not the {noun}; resh does not follow it.",
                $"Remove it; resh creates the {noun} itself.").ToException();
        if (s.Uid != LibC.GetEUid())
            throw ReshError.PermissionDenied($"The {noun} {dir} belongs to user {s.Uid}, not to you; resh does not use another user's {contents}.",
                "Use a state directory of your own (RESH_HOME), or remove that directory.", new JsonObject { ["owner_uid"] = s.Uid }).ToException();
        if ((s.Mode & 0x12) != 0)
            throw ReshError.PermissionDenied($"The {noun} {dir} is writable by other users, so its {contents} cannot be trusted.", $"chmod 700 {dir}").ToException();
    }

    /// <summary>
    /// A config file a long-running service takes its grants from (the agent's trusted callers, roles, exec) must be
    /// changeable by no one but the service's user and root: the file owned by the caller or root and writable by neither
    /// group nor others, and its directory the same (or sticky, like /tmp, where others cannot replace a file they do not
    /// own). Otherwise another user could grant themselves every verb on the next start or SIGHUP.
    /// </summary>
    public static void CheckTrustedFile(string path, string noun)
    {
        var euid = LibC.GetEUid();
        var full = System.IO.Path.GetFullPath(path);
        if (Posix.Stat(full, follow: true, out _) is not { } f) return; // missing or unreadable: the parser says so
        if (f.Uid != euid && f.Uid != 0)
            throw ReshError.PermissionDenied($"The {noun} {full} belongs to user {f.Uid}, not to you or root; resh does not take its grants from a file another user can change.",
                $"chown {euid} {full}  (or root), then start again.", new JsonObject { ["path"] = full, ["owner_uid"] = f.Uid }).ToException();
        if ((f.Permissions & 0x12) != 0)
            throw ReshError.PermissionDenied($"The {noun} {full} is writable by group or others (mode {Convert.ToString(f.Permissions, 8)}), so its grants cannot be trusted.",
                $"chmod go-w {full}", new JsonObject { ["path"] = full, ["mode"] = Convert.ToString(f.Permissions, 8) }).ToException();
        var dir = System.IO.Path.GetDirectoryName(full);
        if (dir is null || Posix.Stat(dir, follow: true, out _) is not { } d) return;
        if (d.Uid != euid && d.Uid != 0 && (d.Permissions & 0x200) == 0)
            throw ReshError.PermissionDenied($"The directory {dir} of the {noun} belongs to user {d.Uid}, who could replace the file; resh does not trust it.",
                $"Move the file to a directory you or root own (chown {euid} {dir}).", new JsonObject { ["path"] = dir, ["owner_uid"] = d.Uid }).ToException();
        if ((d.Permissions & 0x12) != 0 && (d.Permissions & 0x200) == 0)
            throw ReshError.PermissionDenied($"The directory {dir} of the {noun} is writable by group or others, who could replace the file; resh does not trust it.",
                $"chmod go-w {dir}", new JsonObject { ["path"] = dir, ["mode"] = Convert.ToString(d.Permissions, 8) }).ToException();
    }
}
