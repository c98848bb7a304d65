namespace Resh.Core.Model;

/// <summary>
/// What a string or list argument's values stand for, besides plain data, for surfaces that restrict calls (resh mcp's
/// --allow/--deny target patterns and its secret-source rule). Declaring the role is what puts an argument under those
/// rules, as <see cref="PathUse"/> does for file paths.
/// </summary>
public enum ArgRole
{
    None,
    /// <summary>Each value is one more target of the same handle (pkg's `packages=`, a repo's `name=`): the verb acts on it as on the target.</summary>
    Target,
    /// <summary>Each value is NAME=SOURCE where SOURCE is a secret-typed source (secret:NAME, env:VAR, file:PATH or a literal): `secret_env`.</summary>
    SecretSources,
    /// <summary>A boolean that shows secret values in clear (`reveal`): a surface may refuse it (resh mcp without --allow-reveal).</summary>
    Reveal,
    /// <summary>
    /// A command or stage run beside what the verb does, now or later (template.render's `validate`, webhook.listen's
    /// `action`, event.rules.add's `run`): a server surface (resh mcp, resh serve) refuses it, since its patterns judge
    /// the verb's targets and paths, not what that program or stage does (s38 attacker #13, #14).
    /// </summary>
    SideCommand,
}
