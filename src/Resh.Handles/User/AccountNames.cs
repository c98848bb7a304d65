using Resh.Core.Errors;

namespace Resh.Handles.User;

/// <summary>
/// What may be a user or group name. Checked before any program runs, so a name can never be read as an
/// option (`-o`), break a passwd line (`:`, newline) or reach a shell: shadow-utils' own rule
/// (letters, digits, `_`, `.`, `-`, an optional trailing `$`, not starting with `-`, not all digits), 32 bytes at most.
/// </summary>
public static class AccountNames
{
    public const int MaxLength = 32;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength) return false;
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        bool allDigits = true;
        for (int i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '$' && i == name.Length - 1 && i > 0) continue;
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) return false;
            if (!char.IsAsciiDigit(c)) allDigits = false;
        }
        return !allDigits;
    }

    public static string Check(string? name, string what)
    {
        if (IsValid(name)) return name!;
        var shown = Shown(name);
        throw ReshError.Usage($"`{shown}` is not a valid {what} name.",
            $"A {what} name is 1-{MaxLength} letters, digits, '_', '.' or '-', starting with a letter or '_' (e.g. deploy).").ToException();
    }

    /// <summary>A passwd text field (GECOS, home, shell): no ':' or line breaks, which would corrupt the file.</summary>
    public static string CheckField(string value, string field)
    {
        foreach (var c in value)
        {
            if (c is ':' or '\n' or '\r' or '\0')
                throw ReshError.Usage($"{field} may not contain ':' or line breaks.", null).ToException();
        }
        if (value.Length > 1024) throw ReshError.Usage($"{field} is longer than 1024 characters.", null).ToException();
        return value;
    }

    /// <summary>A value safe to quote in a message: control characters replaced, clipped to 40 characters.</summary>
    public static string Shown(string? value)
    {
        if (value is null) return "";
        var clipped = value.Length > 40 ? value[..40] + "…" : value;
        var chars = clipped.ToCharArray();
        for (int i = 0; i < chars.Length; i++) if (char.IsControl(chars[i]) || char.IsSurrogate(chars[i])) chars[i] = '?';
        return new string(chars);
    }

    public static string CheckPath(string value, string field)
    {
        CheckField(value, field);
        if (!value.StartsWith('/')) throw ReshError.Usage($"{field} must be an absolute path, got `{value}`.", $"Example: /home/deploy").ToException();
        return value;
    }
}
