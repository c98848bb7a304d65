namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// A remote resh's hints name stages as it sees them (<c>resh svc://nginx.logs</c>); pasted here they would run
/// locally. Each stage of a known handle in a hint gets the host in front (<c>resh ssh://web01/svc://nginx.logs</c>).
/// </summary>
public static class RemoteHints
{
    public static string? Prefix(string? hint, string host, Func<string, bool> isScheme)
    {
        if (hint is null) return hint;
        var sb = new System.Text.StringBuilder(hint.Length + 32);
        int copied = 0;
        for (int i = hint.IndexOf("://", StringComparison.Ordinal); i > 0; i = hint.IndexOf("://", i + 3, StringComparison.Ordinal))
        {
            int start = i;
            while (start > 0 && (char.IsAsciiLetterOrDigit(hint[start - 1]) || hint[start - 1] is '+' or '-' or '.')) start--;
            if (start == i || !char.IsAsciiLetter(hint[start])) continue;
            // Already a nested stage (ssh://host/svc://x), or part of a longer word or path.
            if (start > 0 && (hint[start - 1] == '/' || char.IsAsciiLetterOrDigit(hint[start - 1]))) continue;
            var scheme = hint[start..i];
            if (scheme == "ssh" || !isScheme(scheme)) continue;
            sb.Append(hint, copied, start - copied).Append("ssh://").Append(host).Append('/');
            copied = start;
        }
        if (copied == 0) return hint;
        sb.Append(hint, copied, hint.Length - copied);
        return sb.ToString();
    }
}
