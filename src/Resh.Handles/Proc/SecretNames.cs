using System.Text.RegularExpressions;

namespace Resh.Handles.Proc;

/// <summary>Decides which environment values must not be shown (SPEC §2: secrets never appear in an envelope).</summary>
internal static partial class SecretNames
{
    static readonly string[] Markers =
        ["PASS", "PWD_", "TOKEN", "SECRET", "KEY", "CREDENTIAL", "AUTH", "PRIVATE", "COOKIE", "SESSION", "SIGNATURE", "SALT", "CERT"];

    public const string Mask = "***";

    public static bool IsSecretName(string name)
    {
        var upper = name.ToUpperInvariant();
        if (upper is "PWD" or "OLDPWD") return false; // working directories, not passwords
        foreach (var m in Markers) if (upper.Contains(m, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The value with any URL password (scheme://user:PASSWORD@host) masked.</summary>
    public static string MaskUrlPassword(string value) => UrlUserInfo().Replace(value, m => m.Groups[1].Value + Mask + "@");

    [GeneratedRegex(@"(\w[\w+.-]*://[^/\s:@]*:)[^@\s/]+@")]
    private static partial Regex UrlUserInfo();
}
