namespace Resh.Core.Secrets;

/// <summary>Where a secret-typed value comes from (SPEC §9).</summary>
public enum SecretSourceKind
{
    /// <summary><c>secret:NAME</c> or <c>secret:BACKEND:NAME</c>: the secret store (<c>secret://</c>).</summary>
    Store,
    /// <summary><c>env:VAR</c>: an environment variable of the resh process.</summary>
    Env,
    /// <summary><c>file:PATH</c>: the first line of a file.</summary>
    File,
    /// <summary><c>@-</c> (stdin, or a no-echo prompt on a terminal) or <c>@PATH</c> (a whole file).</summary>
    Input,
    /// <summary>The value itself, written where others may read it: accepted with a warning.</summary>
    Literal,
}

/// <summary>
/// A secret-typed argument or config value as written, before it is resolved: what
/// <c>ctx.Get(arg)</c> returns for an <see cref="Model.Arg.Secret"/> argument. Its text form names the
/// source (<c>secret:db/app</c>, <c>env:PGPASSWORD</c>) and never the value; resolve it with
/// <c>ctx.GetSecret(arg)</c> (or <c>ctx.ResolveSecret</c>) at call time.
/// </summary>
public sealed class SecretRef
{
    public const string StorePrefix = "secret:";
    public const string EnvPrefix = "env:";
    public const string FilePrefix = "file:";
    /// <summary>
    /// A value this resh resolved and forwarded to another resh (a remote host's, a become user's) on its stdin:
    /// base64 after the prefix, taken as given input (never looked up again, never warned about as a literal).
    /// </summary>
    public const string ForwardedPrefix = "resh-forwarded-b64:";

    /// <summary>The forwarded form of a value resolved here (see <see cref="ForwardedPrefix"/>).</summary>
    public static string Forwarded(SecretValue value) => ForwardedPrefix + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value.Reveal()));

    SecretRef(SecretSourceKind kind, string? name, SecretValue? value)
    {
        Kind = kind;
        Name = name;
        Value = value;
    }

    public SecretSourceKind Kind { get; }
    /// <summary>The secret name, variable name or path (<c>@-</c> or <c>@FILE</c> for input, null for a literal).</summary>
    public string? Name { get; }
    /// <summary>The value itself for <see cref="SecretSourceKind.Input"/> and <see cref="SecretSourceKind.Literal"/>.</summary>
    internal SecretValue? Value { get; }
    /// <summary>A literal written on the command line or in a request: the envelope carries a warning.</summary>
    public bool WarnLiteral { get; private init; }

    /// <summary>
    /// Reads <c>secret:NAME</c>, <c>env:VAR</c>, <c>file:PATH</c>, or else takes the text as a literal value.
    /// Throws <see cref="FormatException"/> for a prefix with nothing after it.
    /// </summary>
    public static SecretRef Parse(string text, bool warnLiteral = true)
    {
        if (TryPrefix(text, ForwardedPrefix, out var forwarded))
        {
            try { return new SecretRef(SecretSourceKind.Input, "@-", SecretValue.FromText(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(forwarded)))); }
            catch (FormatException) { throw new FormatException($"`{ForwardedPrefix}` needs base64 after it."); }
        }
        if (TryPrefix(text, StorePrefix, out var name))
        {
            // secret:NAME, or secret:BACKEND:NAME to name the backend (secret:pass:web/api).
            var colon = name.IndexOf(':');
            var backend = colon < 0 ? null : name[..colon];
            if (!SecretNames.IsValid(colon < 0 ? name : name[(colon + 1)..]) || backend is not null && (backend.Length == 0 || !backend.All(char.IsAsciiLetterLower)))
                throw new FormatException($"`{StorePrefix}{Clip(name)}` is not a valid secret name.");
            return new SecretRef(SecretSourceKind.Store, name, null);
        }
        if (TryPrefix(text, EnvPrefix, out var variable))
        {
            if (variable.Length == 0 || variable.Contains('=') || variable.Contains('\0'))
                throw new FormatException($"`{EnvPrefix}` needs an environment variable name, as in env:PGPASSWORD.");
            return new SecretRef(SecretSourceKind.Env, variable, null);
        }
        if (TryPrefix(text, FilePrefix, out var path))
        {
            if (path.Length == 0 || path.Contains('\0'))
                throw new FormatException($"`{FilePrefix}` needs a path, as in file:/run/secrets/db.");
            return new SecretRef(SecretSourceKind.File, path, null);
        }
        return new SecretRef(SecretSourceKind.Literal, null, SecretValue.FromText(text)) { WarnLiteral = warnLiteral };
    }

    /// <summary>A value read from stdin, a prompt or a whole file (<c>@-</c>, <c>@PATH</c>): never interpreted, never warned about.</summary>
    public static SecretRef FromInput(SecretValue value, string display = "@-") => new(SecretSourceKind.Input, display, value);

    /// <summary>The source, never the value: <c>secret:db/app</c>, <c>env:PGPASSWORD</c>, <c>file:/run/secrets/db</c>, <c>@-</c> or <c>***</c>.</summary>
    public override string ToString() => Kind switch
    {
        SecretSourceKind.Store => StorePrefix + Name,
        SecretSourceKind.Env => EnvPrefix + Name,
        SecretSourceKind.File => FilePrefix + Name,
        SecretSourceKind.Input => Name!,
        _ => SecretRedactor.Mask,
    };

    static bool TryPrefix(string text, string prefix, out string rest)
    {
        if (text.StartsWith(prefix, StringComparison.Ordinal))
        {
            rest = text[prefix.Length..];
            return true;
        }
        rest = "";
        return false;
    }

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
