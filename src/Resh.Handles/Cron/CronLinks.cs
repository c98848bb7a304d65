using Resh.Core.Errors;

namespace Resh.Handles.Cron;

/// <summary>
/// A crontab file that is a symlink is not replaced: the atomic rename would turn the link into a
/// regular file (breaking whatever manages the target), and following it as root could write wherever
/// the link points. The call is refused with the target named, so the operator can edit that file.
/// </summary>
internal static class CronLinks
{
    public static ReshError? Refuse(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget is not { } target) return null;
        return ReshError.Conflict($"{path} is a symlink to {target}; resh does not replace links or write through them.",
            $"Edit the file it points to ({target}) yourself, or replace the link with a regular file first.",
            new System.Text.Json.Nodes.JsonObject { ["path"] = path, ["link_target"] = target });
    }
}
