using Resh.Core.Errors;

namespace Resh.Handles.Git;

/// <summary>Checks on names and revisions that reach git's command line.</summary>
public static class GitRefs
{
    /// <summary>A branch or tag name: refused when git could read it as an option or git's ref rules refuse it.</summary>
    public static string Name(string? name, string what)
    {
        if (string.IsNullOrEmpty(name))
            throw ReshError.Usage($"The {what} name is empty.", $"Give a {what} name: name=release-1.").ToException();
        if (name.StartsWith('-'))
            throw ReshError.Usage($"The {what} name `{name}` starts with '-'.", $"git does not allow a {what} name that starts with '-'; choose another name.").ToException();
        if (name.Any(c => c < 0x20 || c == 0x7f || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\')
            || name.Contains("..", StringComparison.Ordinal) || name.Contains("@{", StringComparison.Ordinal) || name.EndsWith('/') || name.EndsWith(".lock", StringComparison.Ordinal)
            || name.StartsWith('/') || name.EndsWith('.') || name.Contains("//", StringComparison.Ordinal) || name == "@" || name.Split('/').Any(c => c.StartsWith('.')))
            throw ReshError.Usage($"`{name}` is not a valid {what} name.", "git ref names may not hold spaces, control characters, ~ ^ : ? * [ \\, '..', '@{', or end in / . or .lock.").ToException();
        return name;
    }

    /// <summary>A revision given by the caller (ref=, from=, to=): passed after --end-of-options, so never an option; line breaks refused.</summary>
    public static string Rev(string rev, string argName)
    {
        if (rev.Length == 0) throw ReshError.Usage($"`{argName}` is empty.", $"Give a branch, tag or commit: {argName}=main.").ToException();
        if (rev.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0) throw ReshError.Usage($"`{argName}` contains a line break or NUL.", "A revision is one word: a branch, tag or commit.").ToException();
        return rev;
    }

    /// <summary>True when the text looks like an abbreviated or full commit hash.</summary>
    public static bool LooksLikeHash(string s) => s.Length is >= 7 and <= 64 && s.All(Uri.IsHexDigit);
}
