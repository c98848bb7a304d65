using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Model;
using Resh.Core.Values;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// Verbs the MCP server confirms (elicitation) or refuses without --allow-destructive: effect destroy, and verbs
/// declared mutate whose change cannot be undone (a killed process, a revoked certificate, a deleted config key, a
/// lock broken with force=true).
/// </summary>
public static class McpDestructive
{
    static readonly string[] Irreversible = ["proc.signal", "cert.revoke", "config.delete", "archive.remove", "cache.expire"];

    /// <summary>Signals that end nothing (proc.signal with one of these is not destructive).</summary>
    static readonly string[] Harmless = ["0", "HUP", "SIGHUP", "1", "USR1", "SIGUSR1", "10", "USR2", "SIGUSR2", "12", "CONT", "SIGCONT", "18", "WINCH", "SIGWINCH", "28"];

    public static bool Is(VerbInfo v) => v.Effect == Effect.Destroy || Array.IndexOf(Irreversible, v.FullName) >= 0;

    /// <summary>This call: proc.signal with a harmless signal is not destructive, without one (default TERM) it is.</summary>
    public static bool Is(VerbInfo v, JsonObject args)
    {
        // lock.release force=true breaks another holder's lock (its command runs on, unguarded): it cannot be undone.
        if (v.FullName == "lock.release")
            return args["force"] is JsonValue f && (f.GetValueKind() == JsonValueKind.True
                || f.GetValueKind() is JsonValueKind.String or JsonValueKind.Number && BoolValue.TryParse(f.ToString(), out var force) && force);
        if (!Is(v)) return false;
        if (v.FullName != "proc.signal") return true;
        return !((args["signal"] ?? args["sig"]) is JsonValue s && s.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                 && Array.IndexOf(Harmless, s.ToString().Trim().ToUpperInvariant()) >= 0);
    }
}
