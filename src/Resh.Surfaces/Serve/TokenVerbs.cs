using System.ComponentModel;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Surfaces.Serve;

/// <summary>`resh token create/list/revoke`: the API tokens `resh serve` accepts (verbs of the hidden resh handle, like `resh audit`).</summary>
public static class TokenVerbs
{
    static readonly Arg<string?> Name = Arg.String("name", "The token's name: who or what uses it (ci, grafana); letters, digits, _ - .", required: true, examples: ["ci"]);
    static readonly Arg<string?> Role = Arg.String("role", "The role it acts as: a [roles.NAME] table of the config file (what it may call).", required: true, examples: ["ops"]);
    static readonly Arg<TimeSpan?> Expires = Arg.Duration("expires", "It stops working this long from now (30d, 12h); without it, it never expires.", examples: ["30d", "12h"]);

    public static IEnumerable<VerbInfo> Create()
    {
        yield return VerbInfo.Define("token.create", Effect.Mutate, "Create an API token for `resh serve` and print it once.", [Name, Role, Expires],
            () => ServeJson.Default.TokenCreateResult,
            ctx => CreateToken(ctx),
            notes: "The token is shown only in this answer: resh keeps its SHA-256 alone (serve/tokens.json in the state dir, 0600). " +
                   "Clients send it as `Authorization: Bearer TOKEN`. The role is looked up in the config file, which a running server re-reads when it changes (or on SIGHUP), so changing a role's grants needs no new token and no restart.",
            examples:
            [
                new("token create name=ci role=ops expires=30d", "A token for CI that acts as the ops role for 30 days."),
                new("token create name=ci role=ops --format raw", "Prints the bare token (TOKEN=$(resh token create ... --format raw))."),
            ]);
        yield return VerbInfo.Define("token.list", Effect.Read, "List the API tokens (names, roles, expiry; never the tokens).", [],
            () => ServeJson.Default.TokenListResult,
            ctx => new TokenListResult(TokenStore.Load(TokenStore.PathOf(ctx.Runtime.Paths)).Select(Entry).ToArray()),
            examples: [new("token list --format table", "Every token and its state.")]); // auto: a table on a terminal, JSON when piped
        yield return VerbInfo.Define("token.revoke", Effect.Mutate, "Revoke an API token: the server refuses it from its next request.", [Name],
            () => ServeJson.Default.TokenEntry,
            ctx => Revoke(ctx),
            examples: [new("token revoke name=ci", "CI's token stops working.")]);
    }

    static Outcome<TokenCreateResult> CreateToken(VerbContext ctx)
    {
        var name = ctx.Get(Name)!;
        var role = ctx.Get(Role)!;
        if (!TokenStore.ValidName(name)) return ReshError.Usage($"`{Clip(name)}` is not a token name.", "Use 1 to 64 letters, digits, `_`, `-` or `.` (name=ci).");
        if (!TokenStore.ValidName(role)) return ReshError.Usage($"`{Clip(role)}` is not a role name.", "Use the name of a [roles.NAME] table of the config file (role=ops).");
        var expires = ctx.Get(Expires);
        if (expires is { } e && e <= TimeSpan.Zero) return ReshError.Usage("expires= must be a positive duration.", "Example: expires=30d");
        if (expires is { } far && far > TimeSpan.FromDays(3650)) return ReshError.Usage("expires= is at most 3650d (ten years).", "Leave expires out for a token that never expires, or give at most 3650d.");
        var now = DateTime.UtcNow;
        var expiry = expires is { } d ? (now + d).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : null;
        if (ServeRoles.Find(ctx.Runtime.Config, role) is null)
            ctx.Warn($"The config file has no [roles.{role}] table yet: the server refuses every call of this token until it does.");
        if (ctx.DryRun)
        {
            var exists = TokenStore.Load(TokenStore.PathOf(ctx.Runtime.Paths)).Any(t => t.Name == name && t.Revoked is null);
            if (exists) return Exists(name);
            return Outcome.Changed(new TokenCreateResult(name, role, null, expiry, TokenStore.PathOf(ctx.Runtime.Paths)), true);
        }
        var secret = TokenStore.NewSecret();
        var created = TokenStore.Update(ctx.Runtime.Paths, tokens =>
        {
            if (tokens.Any(t => t.Name == name && t.Revoked is null)) return false;
            tokens.RemoveAll(t => t.Name == name); // a revoked token of that name gives way
            tokens.Add(new StoredToken(name, role, TokenStore.Hash(secret), TokenStore.Now(), expiry, null));
            return true;
        });
        if (!created) return Exists(name);
        var result = Outcome.Changed(new TokenCreateResult(name, role, secret, expiry, TokenStore.PathOf(ctx.Runtime.Paths)), true);
        return ctx.WantsRaw ? result.WithRaw(RawPayload.FromText(secret)) : result; // TOKEN=$(resh token create ... --format raw)
    }

    static ReshError Exists(string name) => ReshError.Conflict($"A token named `{name}` exists.", $"Revoke it first (resh token revoke name={name}) or choose another name.");

    static Outcome<TokenEntry> Revoke(VerbContext ctx)
    {
        var name = ctx.Get(Name)!;
        var found = TokenStore.Update(ctx.Runtime.Paths, tokens =>
        {
            var i = tokens.FindIndex(t => t.Name == name);
            if (i < 0) return ((StoredToken?)null, false);
            if (tokens[i].Revoked is not null) return (tokens[i], false);
            if (!ctx.DryRun) tokens[i] = tokens[i] with { Revoked = TokenStore.Now() };
            return (tokens[i], true);
        }, write: !ctx.DryRun);
        if (found.Item1 is null)
            return ReshError.NotFound($"No token named `{Clip(name)}`.", "Run `resh token list` for the names.");
        return Outcome.Changed(Entry(found.Item1), found.Item2);
    }

    static TokenEntry Entry(StoredToken t)
    {
        var expired = TokenStore.ParseTime(t.Expires) is { } x && x <= DateTime.UtcNow;
        return new TokenEntry(t.Name, t.Role, t.Created, t.Expires, t.Revoked, t.Revoked is not null ? "revoked" : expired ? "expired" : "active");
    }

    static string Clip(string s) => s.Length > 64 ? s[..64] + "…" : s;
}

public sealed record TokenCreateResult(
    [property: Description("The token's name.")] string Name,
    [property: Description("The role it acts as.")] string Role,
    [property: Description("The token: send it as `Authorization: Bearer TOKEN`. Shown only here; null in a dry run.")] string? Token,
    [property: Description("When it stops working (UTC), or null for never.")] string? Expires,
    [property: Description("The file that keeps its hash.")] string Path);

public sealed record TokenEntry(
    string Name,
    string Role,
    [property: Description("When it was created (UTC).")] string Created,
    [property: Description("When it stops working (UTC), or null for never.")] string? Expires,
    [property: Description("When it was revoked (UTC), or null.")] string? Revoked,
    [property: Description("active, expired or revoked.")] string State);

public sealed record TokenListResult([property: Description("Every token, oldest first.")] IReadOnlyList<TokenEntry> Tokens);
