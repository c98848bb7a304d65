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
    /// <summary>--allow-reveal: arguments of role <see cref="ArgRole.Reveal"/> (secret.get and config's `reveal`) may show secret values.</summary>
    public bool AllowReveal { get; init; }
    /// <summary>
    /// --allow-plugin-reads: under --read-only, plugin verbs whose manifest says `read` are listed and may run. Without it
    /// they are not: resh cannot check what a plugin's program does, so its `read` is only the author's claim.
    /// </summary>
    public bool AllowPluginReads { get; init; }
    /// <summary>
    /// Verbs that run programs of the caller's choosing (<see cref="VerbInfo.RunsPrograms"/>: proc.spawn, lock.run, ssh.*,
    /// git.*, plugins...) may be listed and called. `resh mcp` on stdio: true (its --allow/--deny decide); a role of
    /// `resh serve` or of an agent: its `exec` key, false by default.
    /// </summary>
    public bool Exec { get; init; } = true;
    /// <summary>Whether a scheme is an installed plugin's (not built into resh).</summary>
    public Func<string, bool> IsPlugin { get; init; } = static _ => false;
    /// <summary>
    /// Set by `resh serve` for a token's role ([roles.NAME]): deny by default (a role without allow patterns grants
    /// nothing), and refusals name the role rather than this server's flags.
    /// </summary>
    public string? Role { get; init; }

    string DenySource => Role is null ? "--deny pattern" : $"deny pattern of the role `{Role}`";

    bool RefusesPlugin(VerbInfo v) => ReadOnly && !AllowPluginReads && IsPlugin(v.HandleScheme);

    /// <summary>
    /// One --allow/--deny pattern: a glob of `handle.verb`, and optionally of the target URI after a colon. A target glob
    /// that ends in `*` right after an endpoint (`cache://127.0.0.1*`) also covers every path on that endpoint.
    /// </summary>
    public sealed record Pattern(string Text, string Verb, string? Target)
    {
        readonly string? _withPaths = Target is { } t && t.EndsWith('*') && t.IndexOf("://", StringComparison.Ordinal) is var sep and >= 0
            && t.IndexOf('/', sep + 3) < 0 ? t + "/**" : null;

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

        public bool MatchesVerb(VerbInfo v) => MatchesVerb(v.FullName);
        public bool MatchesVerb(string fullName) => Glob.Matches(Verb, fullName);
        public bool Matches(VerbInfo v, string? targetUri) => Matches(v.FullName, targetUri);
        public bool Matches(string fullName, string? targetUri) => MatchesVerb(fullName) && (Target is null
            || (targetUri is not null && (Glob.Matches(Target, targetUri) || (_withPaths is not null && Glob.Matches(_withPaths, targetUri)))));
    }

    /// <summary>Listed in tools/list: what could be called with some target.</summary>
    public bool Lists(VerbInfo v)
    {
        if (ReadOnly && v.Effect != Effect.Read) return false;
        if (ReadOnly && McpReadOnlyRules.Refuses(v)) return false;
        if (RefusesPlugin(v)) return false;
        if (!Exec && v.RunsPrograms) return false;
        if (McpRevealRule.RefusesVerb(this, v)) return false;
        if (Deny.Any(d => d.Target is null && d.MatchesVerb(v))) return false;
        return (Allow.Count == 0 && Role is null) || Allow.Any(a => a.MatchesVerb(v));
    }

    /// <summary>Why a verb (resolved on <paramref name="handle"/>) that runs programs is refused, or null.</summary>
    public ReshError? ExecRefusal(HandleInfo handle, VerbInfo v)
    {
        if (Exec || !handle.VerbRunsPrograms(v)) return null;
        if (handle.Scheme != v.HandleScheme)
        {
            // An inner stage over ssh:// (or another remote handle): the remote command is what runs, not the inner verb
            // itself; the refusal names both (s40 user D8), so nobody looks for why system.uptime would run programs.
            var what = $"{v.FullName} over {handle.Scheme}:// runs as a command on the remote host ({handle.Scheme}.* runs programs of the caller's choosing)";
            return Role is null
                ? ReshError.PermissionDenied($"{what}, which this server does not allow; nothing was run.", "Ask the operator to allow it.")
                : ReshError.PermissionDenied($"{what}, which the role `{Role}` does not allow (exec = false); nothing was run.",
                    $"Set exec = true in [roles.{Role}] of the config file to allow {handle.Scheme}:// stages (its allow patterns must grant {v.FullName} too).");
        }
        return Role is null
            ? ReshError.PermissionDenied($"{v.FullName} runs a program or command of the caller's choosing, which this server does not allow; nothing was run.",
                "Ask the operator to allow it.")
            : ReshError.PermissionDenied($"{v.FullName} runs a program or command of the caller's choosing, which the role `{Role}` does not allow (exec = false); nothing was run.",
                $"Set exec = true in [roles.{Role}] of the config file to allow it (its allow patterns must grant {v.FullName} too).");
    }

    /// <summary>The refusal of a call that runs programs only for some targets or arguments (<see cref="VerbInfo.RunsProgramsWhen"/>).</summary>
    public ReshError ExecRefusalFor(VerbInfo v, string when) => Role is null
        ? ReshError.PermissionDenied($"{v.FullName} {when} runs a program of the caller's choosing, which this server does not allow; nothing was run.",
            "Ask the operator to allow it.")
        : ReshError.PermissionDenied($"{v.FullName} {when} runs a program of the caller's choosing, which the role `{Role}` does not allow (exec = false); nothing was run.",
            $"Set exec = true in [roles.{Role}] of the config file to allow it.");

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
            return Role is null
                ? ReshError.PermissionDenied($"{v.FullName} changes state and this MCP server runs with --read-only.",
                    "Ask the operator to restart `resh mcp` without --read-only to allow changes.")
                : ReshError.PermissionDenied($"{v.FullName} changes state and the role `{Role}` is read-only.",
                    "Ask the operator for a token whose role may change state.");
        if (RefusesPlugin(v))
            return ReshError.PermissionDenied($"{v.FullName} is a plugin's verb: its effect `read` is only what the plugin's manifest claims, and this MCP server runs with --read-only.",
                "Ask the operator to add --allow-plugin-reads (trusting the read verbs of installed plugins), or to restart `resh mcp` without --read-only.");
        return Refusal(v.FullName, target, $"{v.FullName} on {shown}", "the target");
    }

    /// <summary>
    /// Why a path argument (<see cref="ArgInfo.Path"/>) of this call is refused, or null: it meets the same --allow/--deny
    /// patterns as the tool's target would (deny on any form, allow on every canonical form).
    /// </summary>
    public ReshError? ArgRefusal(VerbInfo v, ArgInfo a, McpTarget path, string shown) =>
        Refusal(v.FullName, new McpTargetText(path), $"{v.FullName} with `{a.Name}` {shown}", $"`{a.Name}`");

    /// <summary>
    /// Whether a pattern with a target glob names this verb: then where the verb writes is checked again at the write,
    /// on the directory it really writes into (<see cref="WriteRefusal"/>, Resh.Core.Platform.PathConfinement).
    /// </summary>
    public bool RestrictsTargets(VerbInfo v) => Allow.Any(p => p.Target is not null && p.MatchesVerb(v)) || Deny.Any(p => p.Target is not null && p.MatchesVerb(v));

    /// <summary>
    /// Why the verb may not act on <paramref name="realPath"/>, the kernel's name of what it reads, removes or writes (a
    /// descriptor's /proc/self/fd name plus the final name), or null: the same patterns as the path arguments, on that
    /// one form. A path argument is checked by name before the call; this closes the gap between that check and the act
    /// (a symlink flipped meanwhile by whoever owns a directory on the way: s36 attacker #3, s37 attacker #1).
    /// </summary>
    public ReshError? PathRefusal(VerbInfo v, string scheme, Resh.Core.Platform.PathAct act, string realPath)
    {
        var doing = act switch { Resh.Core.Platform.PathAct.Read => "reading", Resh.Core.Platform.PathAct.Delete => "removing", _ => "writing" };
        var what = act switch { Resh.Core.Platform.PathAct.Read => "the file read", Resh.Core.Platform.PathAct.Delete => "the file removed", _ => "the file written" };
        return Refusal(v.FullName, new McpTargetText(scheme + "://" + realPath), $"{v.FullName} {doing} {scheme}://{realPath} (where the path leads now)", what);
    }

    /// <summary>As <see cref="PathRefusal"/> for a write.</summary>
    public ReshError? WriteRefusal(VerbInfo v, string scheme, string realPath) => PathRefusal(v, scheme, Resh.Core.Platform.PathAct.Write, realPath);

    /// <summary>No call may carry `host`: a --deny names all of ssh without a target, or --allow patterns grant none of it.</summary>
    public bool RefusesEveryHost => Deny.Any(d => d.Target is null && d.MatchesVerb("ssh.*"))
        || (Allow.Count > 0 && !Allow.Any(a => a.MatchesVerb("ssh.*")));

    /// <summary>
    /// A call with `host` runs through ssh://HOST, so it also needs the patterns that name the whole ssh handle (`ssh`,
    /// `ssh.*`, `*`): checked as `ssh.*` on ssh://HOST. A host expression that fans out (a,b, @group, web[01:20]) is
    /// refused by any such target pattern, and by --allow, unless an --allow pattern names it literally.
    /// </summary>
    public ReshError? HostRefusal(VerbInfo v, string host, string home)
    {
        const string Ssh = "ssh.*";
        var at = host.LastIndexOf('@');
        var masked = at > 0 && host.IndexOf(':') is var colon and >= 0 && colon < at ? host[..colon] + ":***" + host[at..] : host;
        var shown = $"{v.FullName} on host `{masked}`";
        if (McpHosts.FansOut(host))
        {
            if (Allow.Any(a => a.MatchesVerb(Ssh) && a.Target == "ssh://" + host)) return null;
            if (Deny.FirstOrDefault(d => d.MatchesVerb(Ssh) && d.Target is null) is { } all)
                return ReshError.PermissionDenied($"{shown} is refused by the --deny pattern `{all.Text}` (a call with `host` runs through ssh://).",
                    "Call the tool without `host`, on this machine.");
            if (Allow.Count > 0 || Deny.Any(d => d.MatchesVerb(Ssh)))
                return ReshError.PermissionDenied($"{shown} names several hosts, which this server's patterns cannot check one by one.",
                    host.Contains(',') ? "Call it once per host." : $"Call it once per host, or ask the operator to add --allow 'ssh.*:ssh://{masked}'.");
            return null;
        }
        return Refusal(Ssh, new McpTargetText(McpTarget.Of("ssh", host, home, remote: false)), shown, "the host");
    }

    ReshError? Refusal(string verb, McpTargetText target, string subject, string what)
    {
        if (target.Opaque && Deny.Concat(Allow).FirstOrDefault(p => p.Target is not null && p.MatchesVerb(verb)) is { } restricted)
            return ReshError.PermissionDenied($"{subject} is refused: {what} has `..` segments that this server cannot resolve, and the pattern `{restricted.Text}` restricts this verb's targets.",
                "Write the path without `..` segments (as an absolute path for a remote host).");
        if (Deny.FirstOrDefault(d => target.Deny.Any(t => d.Matches(verb, t))) is { } deny)
            return ReshError.PermissionDenied($"{subject} is refused by the {DenySource} `{deny.Text}`.",
                "The operator's --deny patterns decide what this server may do (patterns match canonical and symlink-resolved forms of targets, path arguments and hosts); choose another.");
        if (Role is not null && !target.Allow.All(t => Allow.Any(a => a.Matches(verb, t))))
            return ReshError.PermissionDenied($"{subject} is not granted by the role `{Role}`.",
                Allow.Count == 0 ? $"The role grants nothing: add allow = [...] to its [roles.{Role}] table." : $"The role allows: {string.Join(", ", Allow.Select(a => a.Text))}.");
        if (Allow.Count > 0 && !target.Allow.All(t => Allow.Any(a => a.Matches(verb, t))))
            return ReshError.PermissionDenied($"{subject} is not granted by any --allow pattern of this server.",
                $"Allowed: {string.Join(", ", Allow.Select(a => a.Text))} (matched against canonical and symlink-resolved forms of targets, path arguments and hosts).");
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
