namespace Resh.Core.Model;

/// <summary>The value types of SPEC §1. Each kind knows how to parse text and JSON and how to describe itself.</summary>
public enum ArgKind
{
    String,
    Int,
    Bool,
    Duration,
    Size,
    Enum,
    List,
    Json,
    /// <summary>Text or bytes (for file contents); <c>@file</c> and <c>@-</c> deliver raw bytes.</summary>
    Bytes,
    /// <summary>
    /// A password, token or key (SPEC §9): <c>secret:NAME</c>, <c>env:VAR</c>, <c>file:PATH</c> (first line),
    /// <c>@-</c> (stdin; a no-echo prompt on a terminal), <c>@PATH</c> (whole file), or a literal (warned).
    /// Bound to a <see cref="Secrets.SecretRef"/>; resolved at call time by <c>ctx.GetSecret</c>.
    /// </summary>
    Secret,
}

public static class ArgKindExtensions
{
    public static string ToWire(this ArgKind k) => k switch
    {
        ArgKind.String => "string",
        ArgKind.Int => "integer",
        ArgKind.Bool => "bool",
        ArgKind.Duration => "duration",
        ArgKind.Size => "size",
        ArgKind.Enum => "enum",
        ArgKind.List => "list",
        ArgKind.Json => "json",
        ArgKind.Secret => "secret",
        _ => "bytes",
    };
}
