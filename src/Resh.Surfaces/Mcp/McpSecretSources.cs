using Resh.Core.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// Sources a client may name in secret-typed arguments. The server resolves them with its own rights and sends the
/// value to where the client says, so over MCP only literal values are taken by default: `file:`, `env:` and `@` are
/// refused, and `secret:NAME` only when an --allow-secret glob of the operator names it. The ssh `inventory` argument
/// is refused too (path arguments in general meet the target patterns: McpToolCall.PathArgRefusal).
/// </summary>
public static class McpSecretSources
{
    /// <summary>Why a call is refused for the sources it names, or null. <paramref name="args"/> are the verb's (target, host and dry_run taken).</summary>
    public static ReshError? Refusal(McpPolicy policy, VerbInfo v, string scheme, JsonObject args)
    {
        foreach (var (key, value) in args)
        {
            var name = key.Replace('-', '_');
            var arg = v.FindArg(name);
            var text = value is JsonValue jv && jv.GetValueKind() == JsonValueKind.String ? jv.GetValue<string>() : null;
            if (name == "inventory")
                return ReshError.PermissionDenied($"`inventory` makes this server read a file of the client's choosing; it is not available over MCP.",
                    "Ask the operator to set the inventory in resh's config ([ssh] inventory) instead.");
            // A secret argument of the verb, or one the ssh:// stage takes (become_password): names the verb does not declare.
            if (text is null || !(arg?.Secret ?? LooksSecret(name))) continue;
            SecretRef source;
            try { source = SecretRef.Parse(text, warnLiteral: false); }
            catch (FormatException) { continue; } // the parser answers with its own usage error
            switch (source.Kind)
            {
                case SecretSourceKind.Literal:
                    continue;
                case SecretSourceKind.Store when policy.AllowSecret.Any(p => Glob.Matches(p, StoreName(source.Name!))):
                    continue;
                case SecretSourceKind.Store:
                    return ReshError.PermissionDenied($"`{name}` names the stored secret {source}, which this MCP server does not give out.",
                        "Ask the operator to restart `resh mcp --allow-secret NAME` for it, or pass the value itself.");
                default:
                    return ReshError.PermissionDenied($"`{name}` names {(source.Kind == SecretSourceKind.Env ? "an environment variable" : source.Kind == SecretSourceKind.File ? "a file" : "an input")} of the server; over MCP a secret argument takes only its value (or secret:NAME where --allow-secret allows it).",
                        "Pass the value itself in the argument.");
            }
        }
        // @-, @FILE in any argument is refused by the parser (no stdin); nothing else here.
        return null;
    }

    /// <summary>secret:BACKEND:NAME is matched by its NAME.</summary>
    static string StoreName(string name) => name.IndexOf(':') is var c and >= 0 ? name[(c + 1)..] : name;

    static bool LooksSecret(string name) => name.Contains("password") || name.Contains("token") || name.Contains("secret") || name.EndsWith("key") || name.Contains("bearer");
}
