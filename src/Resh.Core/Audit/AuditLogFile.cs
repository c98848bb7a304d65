using Resh.Core.Errors;

namespace Resh.Core.Audit;

/// <summary>Opens an audit log for reading: a missing log is <c>not_found</c>, one the caller may not read is <c>permission_denied</c>.</summary>
public static class AuditLogFile
{
    public static FileStream OpenRead(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw ReshError.NotFound($"There is no audit log at {path}.",
                "Turn the trail on with `[audit] enabled = true` in the config (the servers always keep one), or pass path=.").ToException();
        }
        catch (UnauthorizedAccessException)
        {
            throw ReshError.PermissionDenied($"The audit log {path} may not be read by this user.",
                "Read it as its owner (root's trail is /var/lib/resh/audit/audit.jsonl) or with sudo.").ToException();
        }
    }
}
