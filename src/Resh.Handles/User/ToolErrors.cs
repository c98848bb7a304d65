using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.User;

/// <summary>The one place where an account tool's exit status and message become a resh error code.</summary>
public static class ToolErrors
{
    public static ReshError Translate(IReadOnlyList<string> argv, ProcessResult r)
    {
        var tool = Path.GetFileName(argv[0]);
        var line = r.LastErrorLine;
        var details = new JsonObject
        {
            ["command"] = new JsonArray(argv.Select(a => (JsonNode?)a).ToArray()),
            ["exit_code"] = r.ExitCode,
            ["stderr"] = r.Stderr.Length > 2000 ? r.Stderr[^2000..] : r.Stderr,
        };
        var msg = $"{tool} failed: {line}";
        var lower = r.Stderr.ToLowerInvariant() + r.Stdout.ToLowerInvariant();
        if (lower.Contains("permission denied") || lower.Contains("only root") || (lower.Contains("cannot lock") && LibC.GetEUid() != 0))
            return ReshError.PermissionDenied(msg, "Account changes need root: run resh as root (or with sudo).", details);
        if (lower.Contains("cannot lock") || lower.Contains("try again later"))
            return ReshError.Conflict(msg, "Another program holds the account files' lock; try again.", details) with { Transient = true };
        if (lower.Contains("in use") || lower.Contains("already exists") || lower.Contains("is not unique") || lower.Contains("currently used by process")
            || lower.Contains("primary group"))
            return ReshError.Conflict(msg, null, details);
        if (lower.Contains("does not exist") || lower.Contains("unknown user") || lower.Contains("unknown group") || lower.Contains("not found"))
            return ReshError.NotFound(msg, null, details);
        if (tool is "useradd" or "usermod" or "userdel" or "groupadd" or "groupdel")
        {
            switch (r.ExitCode)
            {
                case 4: case 9: case 8: return ReshError.Conflict(msg, null, details);
                case 6: return ReshError.NotFound(msg, null, details);
            }
        }
        return ReshError.Failed(msg, null, details);
    }
}
