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
    /// A template is such a program: secret("NAME") hands it any keystore secret, and whether it renders, fails or how
    /// long its output is answers questions about the value (s36 user #1: a 10-character secret recovered in 516 calls).
    /// For a REST role (policy.Role set) the template verbs run without allow_reveal, with
    /// <see cref="Resh.Core.Execution.ReshRuntime.SecretsWithheld"/> set so that their secret() is refused (s37 user #6);
    /// `resh mcp` still lists them only with --allow-reveal.
    static readonly string[] RevealingVerbs = ["secret.exec", "template.render", "template.validate", "template.test"];

    /// <summary>Who refuses: the REST role or the MCP server (s37 user #6: the message named MCP over REST).</summary>
    static string Refuser(McpPolicy policy) => policy.Role is { } role ? $"the role `{role}` does not reveal secrets (allow_reveal)" : "this MCP server does not reveal secrets";
    static string Remedy(McpPolicy policy) => policy.Role is { } role ? $"Ask the operator to set allow_reveal = true in [roles.{role}]" : "Ask the operator to restart `resh mcp` with --allow-reveal";

    public static bool RefusesVerb(McpPolicy policy, VerbInfo v) => !policy.AllowReveal && Array.IndexOf(RevealingVerbs, v.FullName) >= 0
        && (policy.Role is null || v.FullName == "secret.exec");

    /// <summary>
    /// Why this verb is refused (it hands secrets to a client-written program) without --allow-reveal, or null. A reveal
    /// argument is checked after binding (McpToolCall), so a client's "yes" and a config file default meet the same rule.
    /// </summary>
    public static ReshError? Refusal(McpPolicy policy, VerbInfo v) => RefusesVerb(policy, v)
        ? ReshError.PermissionDenied($"{v.FullName} hands secret values to a program the client chooses, which can return them in any form, and {Refuser(policy)}.",
            $"{Remedy(policy)} to allow it.")
        : null;

    /// <summary>Why a bound reveal argument set to true is refused, or null.</summary>
    public static ReshError? ArgRefusal(McpPolicy policy, VerbInfo v, ArgInfo a, object? value, bool fromDefaults) =>
        Hides(policy, a) && value is true
            ? ReshError.PermissionDenied($"{v.FullName} with `{a.Name}`{(fromDefaults ? " (a default from the config file)" : "")} would show secret values in clear, and {Refuser(policy)}.",
                fromDefaults ? $"Ask the operator to remove the default, or: {Remedy(policy)}."
                    : $"Call {v.FullName} without `{a.Name}` (secret values come back as ***), or: {Remedy(policy)}.")
            : null;
}
