using Resh.Core.Text;
using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// What this server lets its client list and call: `--read-only` (read verbs only), `--allow` and `--deny`
/// patterns of `handle.verb` with an optional `:target` glob (deny wins; with any --allow, what no allow
/// pattern matches is refused), and whether destructive verbs may run without a confirmation.
/// </summary>
public sealed class McpPolicy
{
    public bool ReadOnly { get; init; }
    public bool AllowDestructive { get; init; }
    /// <summary>Every call runs as a dry run (`resh mcp --dry-run`).</summary>
    public bool ForceDryRun { get; init; }
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyList<Pattern> Allow { get; init; } = [];
    public IReadOnlyList<Pattern> Deny { get; init; } = [];
    /// <summary>--allow-secret: globs of secret-store names a secret argument may name as secret:NAME (other sources are refused).</summary>
    public IReadOnlyList<string> AllowSecret { get; init; } = [];

    /// <summary>One --allow/--deny pattern: a glob of `handle.verb`, and optionally of the target URI after a colon.</summary>
    public sealed record Pattern(string Text, string Verb, string? Target)
    {
        public static Pattern Parse(string text)
        {
            var trimmed = text.Trim();
            if (trimmed.Length == 0) throw ReshError.Usage("An --allow or --deny pattern is empty.", "Example: --allow 'svc.*' --deny 'file.delete'").ToException();
            // handle.verb:target — the first colon after the verb part; a target glob may itself hold colons (file:///...).
            var colon = trimmed.IndexOf(':');
            var verb = colon < 0 ? trimmed : trimmed[..colon];
            var target = colon < 0 ? null : trimmed[(colon + 1)..];
            // `svc://nginx` is a URI, not a pattern: its colon starts `://`.
            if (verb.Length == 0 || (colon >= 0 && trimmed.AsSpan(colon).StartsWith("://")) || target is { Length: 0 })
                throw ReshError.Usage($"`{text}` is not a pattern of handle.verb[:target].", "Examples: svc.*, file.read, 'file.read:file:///var/log/**'").ToException();
            if (!verb.Contains('.') && !verb.Contains('*'))
                verb += ".*"; // `svc` alone means every verb of svc://
            return new Pattern(text, verb, target);
        }

        public bool MatchesVerb(VerbInfo v) => Glob.Matches(Verb, v.FullName);
        public bool Matches(VerbInfo v, string? targetUri) => MatchesVerb(v) && (Target is null || (targetUri is not null && Glob.Matches(Target, targetUri)));
    }

    /// <summary>Listed in tools/list: what could be called with some target.</summary>
    public bool Lists(VerbInfo v)
    {
        if (ReadOnly && v.Effect != Effect.Read) return false;
        if (ReadOnly && McpReadOnlyRules.Refuses(v)) return false;
        if (Deny.Any(d => d.Target is null && d.MatchesVerb(v))) return false;
        return Allow.Count == 0 || Allow.Any(a => a.MatchesVerb(v));
    }

    /// <summary>Why this call is refused, or null when it may run (subject to confirmation of destructive verbs).</summary>
    public ReshError? Refusal(VerbInfo v, string targetUri) => Refusal(v, new McpTargetText(targetUri), targetUri);

    /// <summary>
    /// As above for a call's target: target patterns are matched against every form of it (<see cref="McpTarget"/>):
    /// a --deny refuses when it matches any form, an --allow grants only when it matches every canonical form.
    /// <paramref name="shown"/> is the target as messages may show it (a password masked).
    /// </summary>
    public ReshError? Refusal(VerbInfo v, McpTarget target, string shown) => Refusal(v, new McpTargetText(target), shown);

    ReshError? Refusal(VerbInfo v, McpTargetText target, string shown)
    {
        if (ReadOnly && v.Effect != Effect.Read)
            return ReshError.PermissionDenied($"{v.FullName} changes state and this MCP server runs with --read-only.",
                "Ask the operator to restart `resh mcp` without --read-only to allow changes.");
        if (target.Opaque && Deny.Concat(Allow).FirstOrDefault(p => p.Target is not null && p.MatchesVerb(v)) is { } restricted)
            return ReshError.PermissionDenied($"{v.FullName} on {shown} is refused: the target has `..` segments that this server cannot resolve, and the pattern `{restricted.Text}` restricts this verb's targets.",
                "Write the target without `..` segments (as an absolute path for a remote host).");
        if (Deny.FirstOrDefault(d => target.Deny.Any(t => d.Matches(v, t))) is { } deny)
            return ReshError.PermissionDenied($"{v.FullName} on {shown} is refused by the --deny pattern `{deny.Text}`.",
                "The operator's --deny patterns decide what this server may do (patterns match the target's canonical and symlink-resolved forms); choose another verb or target.");
        if (Allow.Count > 0 && !target.Allow.All(t => Allow.Any(a => a.Matches(v, t))))
            return ReshError.PermissionDenied($"{v.FullName} on {shown} is not granted by any --allow pattern of this server.",
                $"Allowed: {string.Join(", ", Allow.Select(a => a.Text))} (matched against the target's canonical and symlink-resolved forms).");
        return null;
    }

    readonly struct McpTargetText
    {
        public readonly IReadOnlyList<string> Deny;
        public readonly IReadOnlyList<string> Allow;
        public readonly bool Opaque;
        public McpTargetText(string uri) { Deny = [uri]; Allow = [uri]; Opaque = false; }
        public McpTargetText(McpTarget t) { Deny = t.Deny; Allow = t.Allow; Opaque = t.Opaque; }
    }
}
