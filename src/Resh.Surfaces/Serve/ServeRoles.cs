using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Surfaces.Mcp;

namespace Resh.Surfaces.Serve;

/// <summary>
/// Roles of `resh serve`, from the config file: <c>[roles.NAME]</c> with <c>allow</c> (patterns of handle.verb[:target],
/// the same as `resh mcp --allow`), <c>deny</c>, <c>read_only</c>, <c>allow_secret</c>, <c>allow_reveal</c> and <c>exec</c> (verbs that run programs:
/// <see cref="Resh.Core.Model.VerbInfo.RunsPrograms"/>; false by default). Deny by
/// default: a role without `allow` may call nothing, and an identity without a role nothing at all. Each role becomes
/// the <see cref="McpPolicy"/> its calls are checked against, so REST and MCP refuse the same things the same way.
/// </summary>
public static class ServeRoles
{
    static readonly string[] Keys = ["allow", "deny", "read_only", "allow_secret", "allow_reveal", "exec"];

    public static JsonObject? Find(ReshConfig config, string role) =>
        TokenStore.ValidName(role) ? config.Section("roles")?[role] as JsonObject : null;

    /// <summary>The policy of a role, or the refusal when the config has no such role or it is malformed.</summary>
    public static McpPolicy Policy(ReshConfig config, string role, TimeSpan? timeout, bool dryRun, Func<string, bool> isPlugin)
    {
        var table = Find(config, role)
            ?? throw ReshError.PermissionDenied($"The role `{role}` is not defined in the config file, so it may call nothing.",
                $"Add a [roles.{role}] table with allow = [\"svc.status\", ...] to the config file.").ToException();
        foreach (var (key, _) in table)
            if (Array.IndexOf(Keys, key) < 0)
                throw ReshError.Usage($"[roles.{role}] has an unknown key `{key}`.", $"A role has {string.Join(", ", Keys)}.").ToException();
        var allow = Strings(table, "allow", role);
        return new McpPolicy
        {
            Allow = allow.Select(McpPolicy.Pattern.Parse).ToArray(),
            Deny = Strings(table, "deny", role).Select(McpPolicy.Pattern.Parse).ToArray(),
            ReadOnly = Bool(table, "read_only", role),
            AllowReveal = Bool(table, "allow_reveal", role),
            Exec = Bool(table, "exec", role),
            AllowSecret = Strings(table, "allow_secret", role),
            AllowDestructive = true, // no one to ask over REST: a role's allow patterns are the consent
            AllowPluginReads = false,
            IsPlugin = isPlugin, // a read_only role runs no plugin verb: its `read` is only the manifest's claim
            ForceDryRun = dryRun,
            Timeout = timeout,
            Role = role,
        };
    }

    static IReadOnlyList<string> Strings(JsonObject table, string key, string role)
    {
        var node = table[key];
        if (node is null) return [];
        if (node is JsonArray arr && arr.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            return arr.Select(n => n!.GetValue<string>()).ToArray();
        throw ReshError.Usage($"[roles.{role}] {key} must be a list of strings.", $"Example: {key} = [\"svc.status\", \"file.read:file:///var/log/**\"]").ToException();
    }

    static bool Bool(JsonObject table, string key, string role)
    {
        var node = table[key];
        if (node is null) return false;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw ReshError.Usage($"[roles.{role}] {key} must be true or false.", $"Example: {key} = true").ToException();
    }
}
