using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Git;

/// <summary>
/// Remote URLs as resh shows and passes them: credentials never printed and never on git's command line.
/// A password in a URL's userinfo (https://user:PASSWORD@host/repo) is taken out of the URL and handed to git
/// through the askpass helper like token=; what envelopes show has every userinfo password, and any userinfo
/// of an http(s) URL (a token is often sent as the user name), replaced by ***.
/// </summary>
public static partial class GitUrl
{
    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^/@\s:]*)(?::(?<pass>[^/@\s]*))?@")]
    private static partial Regex UserInfo();

    /// <summary>Text (a URL, or git's stderr that quotes one) with credentials masked.</summary>
    public static string Display(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        return UserInfo().Replace(text, m =>
        {
            var scheme = m.Groups["scheme"].Value;
            var web = scheme.StartsWith("http", StringComparison.OrdinalIgnoreCase) || scheme.StartsWith("ftp", StringComparison.OrdinalIgnoreCase);
            if (m.Groups["pass"].Success) return web ? scheme + "***@" : $"{scheme}{m.Groups["user"].Value}:***@";
            return web ? scheme + "***@" : m.Value;
        });
    }

    /// <summary>
    /// Splits a URL given by the caller into the URL git gets (no password) and the credentials it held.
    /// A URL that could be read as an option (starts with '-') or holds a line break is refused.
    /// </summary>
    public static (string Url, string? User, string? Password) Split(string url, string argName)
    {
        if (url.Length == 0) throw ReshError.Usage($"`{argName}` is empty.", $"Give a remote: {argName}=https://host/repo.git, {argName}=git@host:repo.git or {argName}=/path/to/repo.").ToException();
        if (url.StartsWith('-'))
            throw ReshError.Usage($"The URL `{Display(url)}` starts with '-', which git would read as an option.", "Give a URL (https://, ssh://, git://, file://), host:path or a path; write ./-name for a local directory.").ToException();
        if (url.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0)
            throw ReshError.Usage($"`{argName}` contains a line break or NUL.", "A remote URL is one line.").ToException();
        var m = UserInfo().Match(url);
        if (!m.Success || m.Index != 0) return (url, null, null);
        var scheme = m.Groups["scheme"].Value;
        var user = Uri.UnescapeDataString(m.Groups["user"].Value);
        if (!m.Groups["pass"].Success)
        {
            // https://TOKEN@host: a user name alone over http(s) is how many hosts take a token: keep it out of argv as well.
            var web = scheme.StartsWith("http", StringComparison.OrdinalIgnoreCase);
            return web && user.Length > 0 ? (scheme + url[m.Length..], "", user) : (url, null, null);
        }
        var password = Uri.UnescapeDataString(m.Groups["pass"].Value);
        var rest = url[m.Length..];
        return (user.Length > 0 ? $"{scheme}{Uri.EscapeDataString(user)}@{rest}" : scheme + rest, user, password);
    }

    /// <summary>True when the text is a remote (URL or scp-like host:path), not a local path.</summary>
    public static bool LooksRemote(string text) =>
        text.Contains("://", StringComparison.Ordinal) ||
        (!text.StartsWith('/') && !text.StartsWith('.') && !text.StartsWith('~') && text.IndexOf(':') is > 0 and var colon && !text[..colon].Contains('/'));
}
