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
}
