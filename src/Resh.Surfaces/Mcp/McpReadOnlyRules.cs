using Resh.Core.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// What `--read-only` must take away besides verbs of effect mutate and destroy: path arguments of read verbs that
/// write (declared <see cref="PathUse.Write"/> or <see cref="PathUse.LinkTarget"/> on the argument, the one rule for
/// every handle), and read verbs that start long-lived children.
/// </summary>
public static class McpReadOnlyRules
{
    /// <summary>Read verbs refused whole under --read-only: they open listeners or leave children running.</summary>
    static readonly string[] RefusedVerbs = ["ssh.tunnel"];

    public static bool Refuses(VerbInfo v) => RefusedVerbs.Any(r => Glob.Matches(r, v.FullName));

    public static bool Writes(ArgInfo a) => a.Path is PathUse.Write or PathUse.LinkTarget;

    /// <summary>Why this call is refused under --read-only (the verb, or a write argument it sets), or null.</summary>
    public static ReshError? Refusal(McpPolicy policy, VerbInfo v, JsonObject args)
    {
        if (!policy.ReadOnly) return null;
        if (Refuses(v))
            return ReshError.PermissionDenied($"{v.FullName} opens a listener and keeps a child running, and this MCP server runs with --read-only.",
                "Ask the operator to restart `resh mcp` without --read-only to allow it.");
        foreach (var (key, value) in args)
        {
            if (value is null || v.FindArg(key.Replace('-', '_')) is not { } a || !Writes(a)) continue;
            return ReshError.PermissionDenied($"{v.FullName} with `{a.Name}` writes files, and this MCP server runs with --read-only.",
                $"Call {v.FullName} without `{a.Name}` (the result carries the content), or ask the operator to restart `resh mcp` without --read-only.");
        }
        return null;
    }

    /// <summary>
    /// The tool's JSON as listed: under --read-only its write arguments are not offered, `reveal` is not offered without
    /// --allow-reveal, and `host` is not offered where the patterns refuse every host.
    /// </summary>
    /// <summary>Whether <see cref="Trim"/> would leave anything out of this tool's JSON under this policy.</summary>
    public static bool Trims(McpPolicy policy, McpTool tool) =>
        (tool.TakesHost && policy.RefusesEveryHost) || tool.Verb.Args.Any(a => (policy.ReadOnly && Writes(a)) || McpRevealRule.Hides(policy, a));

    public static JsonObject Trim(McpPolicy policy, McpTool tool, JsonObject json)
    {
        if (json["inputSchema"] is not JsonObject schema || schema["properties"] is not JsonObject props) return json;
        if (tool.TakesHost && policy.RefusesEveryHost) props.Remove(McpTool.HostArg);
        foreach (var a in tool.Verb.Args)
        {
            if (!(policy.ReadOnly && Writes(a)) && !McpRevealRule.Hides(policy, a)) continue;
            props.Remove(a.Name);
            if (schema["required"] is JsonArray req && req.FirstOrDefault(n => n?.GetValue<string>() == a.Name) is { } r) req.Remove(r);
        }
        return json;
    }
}
