namespace Resh.Core.Grammar;

/// <summary>
/// A stage split into its parts: <c>SCHEME://BODY(ARGS)</c>. BODY still holds the target and any
/// <c>.verb</c> suffix; which part is the verb depends on the handle (see <see cref="VerbResolver"/>).
/// </summary>
public sealed record StageSyntax(string Scheme, string Body, IReadOnlyList<ArgPiece> ParenArgs, bool HasParenArgs);

/// <summary>One <c>key=value</c>, <c>key:=json</c> or bare word from a stage's parentheses.</summary>
/// <param name="Key">The key, or null for a bare word.</param>
/// <param name="Json">True for <c>key:=JSON</c>.</param>
/// <param name="Quoted">The value was quoted, so <c>@</c> is literal.</param>
public sealed record ArgPiece(string? Key, string Value, bool Json, bool Quoted);
