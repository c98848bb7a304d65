namespace Resh.Core.Text;

/// <summary>
/// One public key line of an OpenSSH authorized_keys file, <c>[options] type base64 [comment]</c>, split
/// the way sshd reads it (double quotes in options keep spaces). One parser for user:// (local files) and
/// ssh:// (remote files).
/// </summary>
public sealed record AuthorizedKeyLine(string Text, string? Options, string Type, string Blob, string? Comment)
{
    /// <summary>
    /// The key line in <paramref name="text"/>, or null when it is not one. With
    /// <paramref name="requireBase64Blob"/> a blob that cannot be base64 also makes it not a key line.
    /// </summary>
    public static AuthorizedKeyLine? Parse(string text, bool requireBase64Blob)
    {
        text = text.Trim();
        var words = Words(text);
        for (int i = 0; i < Math.Min(words.Count - 1, 2); i++)
        {
            if (!IsKeyType(words[i].Text) || (requireBase64Blob && !IsBase64(words[i + 1].Text))) continue;
            var options = i == 0 ? null : text[..words[i].Start].Trim();
            var comment = words.Count > i + 2 ? text[words[i + 2].Start..].Trim() : null;
            return new AuthorizedKeyLine(text, options, words[i].Text, words[i + 1].Text, comment);
        }
        return null;
    }

    /// <summary>The key lines of a whole file with their 1-based line numbers; blank and # lines skipped.</summary>
    public static List<(AuthorizedKeyLine Key, int Number)> ParseAll(string content, bool requireBase64Blob)
    {
        var list = new List<(AuthorizedKeyLine, int)>();
        var lines = content.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t.Length == 0 || t[0] == '#') continue;
            if (Parse(t, requireBase64Blob) is { } k) list.Add((k, i + 1));
        }
        return list;
    }

    public static bool LooksPrivate(string text) => text.Contains("PRIVATE KEY", StringComparison.Ordinal);

    static bool IsKeyType(string s) => s.StartsWith("ssh-", StringComparison.Ordinal) || s.StartsWith("ecdsa-sha2-", StringComparison.Ordinal)
        || s.StartsWith("sk-ssh-", StringComparison.Ordinal) || s.StartsWith("sk-ecdsa-", StringComparison.Ordinal);

    static bool IsBase64(string s) => s.Length >= 16 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=');

    /// <summary>Whitespace-separated words; double quotes (in options) keep spaces.</summary>
    static List<(string Text, int Start)> Words(string s)
    {
        var words = new List<(string, int)>();
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && s[i] is ' ' or '\t') i++;
            if (i >= s.Length) break;
            int start = i;
            bool quoted = false;
            while (i < s.Length && (quoted || s[i] is not (' ' or '\t')))
            {
                if (s[i] == '"') quoted = !quoted;
                else if (s[i] == '\\' && quoted) i++;
                i++;
            }
            words.Add((s[start..Math.Min(i, s.Length)], start));
        }
        return words;
    }
}
