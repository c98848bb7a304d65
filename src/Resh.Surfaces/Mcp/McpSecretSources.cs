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
            // NAME=SOURCE items (secret_env, declared ArgRole.SecretSources): each SOURCE meets the same rule.
            if (arg?.Role == ArgRole.SecretSources)
            {
                foreach (var item in Items(value))
                {
                    var eq = item.IndexOf('=');
                    if (eq <= 0) continue; // the verb answers with its own usage error
                    if (SourceRefusal(policy, $"`{name}` entry {item[..eq].Trim()}", item[(eq + 1)..]) is { } itemRefusal) return itemRefusal;
                }
                continue;
            }
            // A secret argument of the verb, or one the ssh:// stage takes (become_password): names the verb does not declare.
            if (text is null || !(arg?.Secret ?? SecretKeys.LooksSecret(name))) continue;
            if (SourceRefusal(policy, $"`{name}`", text) is { } refusal) return refusal;
        }
        // @-, @FILE in any argument is refused by the parser (no stdin); nothing else here.
        return null;
    }

    /// <summary>Why the source <paramref name="text"/> (of the argument or list item <paramref name="what"/>) is refused, or null.</summary>
    static ReshError? SourceRefusal(McpPolicy policy, string what, string text)
    {
        SecretRef source;
        try { source = SecretRef.Parse(text, warnLiteral: false); }
        catch (FormatException) { return null; } // the parser answers with its own usage error
        return source.Kind switch
        {
            SecretSourceKind.Literal => null,
            SecretSourceKind.Store when policy.AllowSecret.Any(p => Glob.Matches(p, StoreName(source.Name!))) => null,
            SecretSourceKind.Store => ReshError.PermissionDenied($"{what} names the stored secret {source}, which this MCP server does not give out.",
                "Ask the operator to restart `resh mcp --allow-secret NAME` for it, or pass the value itself."),
            _ => ReshError.PermissionDenied($"{what} names {(source.Kind == SecretSourceKind.Env ? "an environment variable" : source.Kind == SecretSourceKind.File ? "a file" : "an input")} of the server; over MCP a secret argument takes only its value (or secret:NAME where --allow-secret allows it).",
                "Pass the value itself in the argument."),
        };
    }

    /// <summary>The items of a list argument as the parser splits them: a JSON array's strings, or a string's comma-separated parts.</summary>
    static IEnumerable<string> Items(JsonNode? value) => value switch
    {
        JsonArray arr => arr.Select(e => e is JsonValue ev && ev.TryGetValue<string>(out var s) ? s : e?.ToJsonString() ?? ""),
        JsonValue v when v.TryGetValue<string>(out var s) => s.Split(',').Select(p => p.Trim()),
        _ => [],
    };

    /// <summary>secret:BACKEND:NAME is matched by its NAME.</summary>
    static string StoreName(string name) => name.IndexOf(':') is var c and >= 0 ? name[(c + 1)..] : name;
}
