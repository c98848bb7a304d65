using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Secret.Backends;

namespace Resh.Handles.Secret;

/// <summary>Arguments several secret verbs share, and the name/backend every verb starts from.</summary>
internal static class SecretArgs
{
    public static readonly Arg<string?> Backend = Arg.Enum("backend",
        "Where secrets live: local (the encrypted keystore), env, file (a directory such as /run/secrets) or pass (password-store); default [secret] backend in the config, else local.",
        SecretBackends.Names);
    public static readonly Arg<string?> Dir = Arg.String("dir", "Directory of the file backend (default /run/secrets) or the pass store (default ~/.password-store).", path: PathUse.Read);
    public static readonly Arg<IReadOnlyList<string>> Tags = Arg.List("tags", "Labels as KEY=VALUE (replace the secret's tags).", examples: ["env=prod,owner=db"]);
    public static readonly Arg<long?> Version = Arg.Int("version", "A version other than the current one.", min: 1);
    public static readonly Arg<string?> Charset = Arg.Enum("charset", "Characters of a generated value.", Generator.Charsets);
    public static readonly Arg<long?> Length = Arg.Int("length", "Length of a generated value in characters (default 32).", min: 8, max: 4096);
    public static readonly Arg<long?> Bytes = Arg.Int("bytes", "Generate this many random bytes instead of characters (a binary key).", min: 8, max: 4096);

    public static ArgInfo[] BackendArgs => [Backend, Dir];

    /// <summary>The secret's name from the target; a usage error when it is missing or not a valid name.</summary>
    public static string Name(VerbContext ctx)
    {
        var name = ctx.Target.Trim('/');
        if (name.Length == 0)
            throw ReshError.Usage($"secret.{ctx.Verb.Name} needs a secret name: secret://NAME.{ctx.Verb.Name}.", "Example: secret://db/app." + ctx.Verb.Name).ToException();
        if (!SecretNames.IsValid(name))
            throw ReshError.Usage($"`{Clip(name)}` is not a valid secret name.", SecretNames.Rule).ToException();
        return name;
    }

    /// <summary>The target as a name prefix for list and export (empty: everything).</summary>
    public static string Prefix(VerbContext ctx)
    {
        var prefix = ctx.Target.TrimStart('/');
        if (prefix.Length > 0 && !SecretNames.IsValid(prefix.TrimEnd('/')))
            throw ReshError.Usage($"`{Clip(prefix)}` is not a valid secret name prefix.", SecretNames.Rule).ToException();
        return prefix;
    }

    public static ISecretBackend BackendFor(VerbContext ctx) => SecretBackends.For(ctx.Runtime, ctx.Get(Backend), ctx.Get(Dir));

    /// <summary>The local keystore, for verbs that write; other backends are read-only.</summary>
    public static LocalBackend Writable(VerbContext ctx)
    {
        var backend = BackendFor(ctx);
        return backend as LocalBackend
            ?? throw ReshError.Unsupported($"The {backend.Name} backend is read-only; secret.{ctx.Verb.Name} writes only the local keystore.",
                "Drop backend= (or use backend=local).").ToException();
    }

    public static Dictionary<string, string>? TagsOf(VerbContext ctx)
    {
        if (!ctx.IsSet(Tags)) return null;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in ctx.Get(Tags))
        {
            var eq = t.IndexOf('=');
            if (eq <= 0) throw ReshError.Usage($"Tag `{Clip(t)}` is not KEY=VALUE.", "Example: tags=env=prod,owner=db").ToException();
            tags[t[..eq]] = t[(eq + 1)..];
        }
        return tags;
    }

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
