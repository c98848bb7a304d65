using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// Secret values in clear are the operator's to hand out: an argument of role <see cref="ArgRole.Reveal"/> (`reveal` of
/// secret.get and config://) is not offered and is refused unless the server runs with --allow-reveal, --read-only or not.
/// </summary>
public static class McpRevealRule
{
    public static bool Hides(McpPolicy policy, ArgInfo a) => !policy.AllowReveal && a.Role == ArgRole.Reveal;

    /// <summary>
    /// Verbs that hand secret values to a program the client writes: its output is masked for the exact values only, so
    /// the program can return them transformed (reversed, base64). Over MCP they are reveals, listed and run only with --allow-reveal.
    /// </summary>
    static readonly string[] RevealingVerbs = ["secret.exec"];

    public static bool RefusesVerb(McpPolicy policy, VerbInfo v) => !policy.AllowReveal && Array.IndexOf(RevealingVerbs, v.FullName) >= 0;

    /// <summary>Why this call is refused (it sets a reveal argument to true without --allow-reveal), or null.</summary>
    public static ReshError? Refusal(McpPolicy policy, VerbInfo v, JsonObject args)
    {
        if (policy.AllowReveal) return null;
        if (RefusesVerb(policy, v))
            return ReshError.PermissionDenied($"{v.FullName} hands secret values to a program the client chooses, which can return them in any form, and this MCP server does not reveal secrets.",
                "Ask the operator to restart `resh mcp` with --allow-reveal to allow it.");
        foreach (var (key, value) in args)
        {
            if (v.FindArg(key.Replace('-', '_')) is not { } a || a.Role != ArgRole.Reveal) continue;
            if (value is JsonValue j && (j.TryGetValue<bool>(out var b) ? !b : j.TryGetValue<string>(out var s) && s.Trim().ToLowerInvariant() is "false" or "no" or "0" or "off"))
                continue;
            if (value is null) continue;
            return ReshError.PermissionDenied($"{v.FullName} with `{a.Name}` would show secret values in clear, and this MCP server does not reveal them.",
                $"Call {v.FullName} without `{a.Name}` (secret values come back as ***), or ask the operator to restart `resh mcp` with --allow-reveal.");
        }
        return null;
    }
}
