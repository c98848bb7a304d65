using System.Text.RegularExpressions;

namespace Resh.Handles.Proc;

/// <summary>
/// Decides which environment values and command-line arguments must not be shown (SPEC §2: secrets
/// never appear in an envelope). A variable is secret when its name has a secret-sounding word, as a
/// part (MYSQL_PWD, GH_PAT, OTP_SEED, SIM_PIN) or inside a longer word (DBPASSWORD, CLIENTSECRET).
/// In values, credentials in URLs and DSNs are masked (user:PASS@, a key as the whole user part,
/// password=... pairs); in argv, the values of --password=X, --token X and NAME_TOKEN=X.
/// </summary>
internal static partial class SecretNames
{
    /// <summary>Matched anywhere in the upper-cased name: long enough not to hit ordinary words.</summary>
    static readonly string[] Inside =
    [
        "PASS", "TOKEN", "SECRET", "KEY", "CREDENTIAL", "AUTH", "PRIVATE", "COOKIE", "SESSION", "SIGNATURE", "SALT", "CERT",
        "JWT", "BEARER", "APIKEY", "CREDS", "DSN", "CONNSTR", "CONNECTION_STRING",
    ];

    /// <summary>Matched only as a whole part of the name (split at _ - . and digits): short words that occur inside ordinary ones.</summary>
    static readonly string[] Parts = ["PWD", "PW", "PIN", "OTP", "TOTP", "HOTP", "PAT", "SIG", "MFA", "2FA", "NONCE", "SEED", "PSK"];

    public const string Mask = "***";

    public static bool IsSecretName(string name)
    {
        var upper = name.ToUpperInvariant();
        if (upper is "PWD" or "OLDPWD") return false; // working directories, not passwords
        foreach (var m in Inside) if (upper.Contains(m, StringComparison.Ordinal)) return true;
        foreach (var part in upper.Split(['_', '-', '.'], StringSplitOptions.RemoveEmptyEntries))
            foreach (var p in Parts) if (part == p) return true;
        return false;
    }

    /// <summary>
    /// The value with credentials masked: a URL's password (scheme://user:***@host), a userinfo without a
    /// password that may be a key (a Sentry-style DSN: scheme://***@host), and key=value credentials inside
    /// DSNs and query strings (password=***, pwd=***;, token=***&amp;).
    /// </summary>
    public static string MaskUrlPassword(string value)
    {
        if (value.Length == 0) return value;
        // Cheap checks first: this runs on every argument of every process in a listing.
        var url = value.Contains("://", StringComparison.Ordinal) && value.Contains('@');
        var pair = value.AsSpan().IndexOfAny('=', ':') >= 0 && CredentialWord(value);
        if (!url && !pair) return value;
        var masked = !url ? value : UrlUserInfo().Replace(value, m => m.Groups["pass"].Success
            ? m.Groups["scheme"].Value + m.Groups["user"].Value + ":" + Mask + "@"
            : LooksLikeKey(m.Groups["user"].Value) ? m.Groups["scheme"].Value + Mask + "@" : m.Value);
        if (pair) masked = KeyValueCredential().Replace(masked, m => m.Groups["key"].Value + m.Groups["sep"].Value + Mask);
        return masked;
    }

    /// <summary>argv with the values of secret options masked (--password=X, --password X, --api-key X, TOKEN=X).</summary>
    public static string[] MaskArgv(string[] argv)
    {
        string[]? copy = null;
        for (int i = 0; i < argv.Length; i++)
        {
            var a = argv[i];
            string? replacement = null;
            if (a.StartsWith('-') && a.TrimStart('-') is { Length: > 0 } opt)
            {
                var eq = opt.IndexOf('=');
                var name = eq < 0 ? opt : opt[..eq];
                if (IsSecretOption(name))
                {
                    if (eq >= 0) replacement = a[..(a.Length - opt.Length + eq + 1)] + Mask;
                    else if (i + 1 < argv.Length && !argv[i + 1].StartsWith('-'))
                    {
                        copy ??= (string[])argv.Clone();
                        copy[i + 1] = Mask;
                        i++;
                        continue;
                    }
                }
            }
            else if (a.IndexOf('=') is > 0 and var eq && IsAssignmentName(a[..eq]) && IsSecretName(a[..eq]))
                replacement = a[..(eq + 1)] + Mask;
            if (replacement is null)
            {
                var m = MaskUrlPassword(a);
                if (!string.Equals(m, a, StringComparison.Ordinal)) replacement = m;
            }
            if (replacement is not null)
            {
                copy ??= (string[])argv.Clone();
                copy[i] = replacement;
            }
        }
        return copy ?? argv;
    }

    static bool IsSecretOption(string name)
    {
        var upper = name.ToUpperInvariant().Replace('-', '_');
        // Options that only name a file holding the secret are safe to show.
        if (upper.EndsWith("_FILE", StringComparison.Ordinal) || upper.EndsWith("_PATH", StringComparison.Ordinal) || upper is "PASSWORD_STDIN" or "KEYFILE") return false;
        return IsSecretName(upper);
    }

    static bool CredentialWord(string value) =>
        value.Contains("pass", StringComparison.OrdinalIgnoreCase) || value.Contains("pwd", StringComparison.OrdinalIgnoreCase)
        || value.Contains("secret", StringComparison.OrdinalIgnoreCase) || value.Contains("token", StringComparison.OrdinalIgnoreCase)
        || value.Contains("key", StringComparison.OrdinalIgnoreCase) || value.Contains("signature", StringComparison.OrdinalIgnoreCase);

    /// <summary>A user part that is a key rather than a login name (a Sentry DSN's 32 hex digits): long, with letters and digits.</summary>
    static bool LooksLikeKey(string user) =>
        user.Length >= 16 && user.Any(char.IsAsciiDigit) && user.Any(char.IsAsciiLetter) && user.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '%' or '.');

    static bool IsAssignmentName(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?<user>[^/\s:@]*)(?::(?<pass>[^@\s/]*))?@")]
    private static partial Regex UrlUserInfo();

    [GeneratedRegex(@"(?<key>\b(?:password|passwd|pwd|pass|passphrase|secret|token|api[_-]?key|access[_-]?key|signature|x-amz-signature)\b)(?<sep>\s*[=:]\s*)(?!\*\*\*)[^;&\s,'""]+", RegexOptions.IgnoreCase)]
    private static partial Regex KeyValueCredential();
}
