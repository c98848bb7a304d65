namespace Resh.Core.Secrets;

/// <summary>
/// Credentials written inside a value rather than under a secret-looking key: the password of a URL's userinfo
/// (<c>postgres://app:PASSWORD@db/app</c>, <c>redis://:PASSWORD@cache:6379</c>) and the <c>Password=</c> / <c>Pwd=</c>
/// fields of a connection string (<c>Server=db;User Id=app;Password=PASSWORD</c>, or libpq's space-separated
/// <c>host=db password=PASSWORD</c>). <see cref="Spans"/> says where they are, so callers can mask just that part
/// (<c>postgres://app:***@db/app</c>); the authority rule is the one envelope targets use (<c>Invocation.WithoutPassword</c>).
/// </summary>
public static class CredentialText
{
    /// <summary>Where the password of an authority (<c>user:PASSWORD@host...</c>, the text after <c>scheme://</c>) is; null when there is none.</summary>
    public static (int Start, int Length)? AuthorityPassword(string text, int from = 0)
    {
        var end = text.IndexOf('/', from);
        if (end < 0) end = text.Length;
        if (end <= from) return null;
        var at = text.LastIndexOf('@', end - 1, end - from);
        if (at < 0) return null;
        var colon = text.IndexOf(':', from, at - from);
        return colon < 0 ? null : (colon + 1, at - colon - 1);
    }

    /// <summary>The parts of <paramref name="value"/> that are credentials, in order; empty for almost every value.</summary>
    public static List<(int Start, int Length)> Spans(string value)
    {
        var spans = new List<(int, int)>();
        if (value.Length < 3) return spans;
        // URLs: every scheme:// in the value (a list of them, a value quoting one).
        for (int i = value.IndexOf("://", StringComparison.Ordinal); i > 0; i = value.IndexOf("://", i + 3, StringComparison.Ordinal))
        {
            if (!char.IsAsciiLetterOrDigit(value[i - 1]) && value[i - 1] is not ('+' or '.' or '-')) continue;
            if (AuthorityPassword(value, i + 3) is { Length: > 0 } p) spans.Add(p);
        }
        if (value.IndexOf('=') > 0) ConnectionStringPasswords(value, spans);
        spans.Sort();
        return spans;
    }

    /// <summary>The value with every credential in it as <c>***</c>; the same instance when there is none.</summary>
    public static string Mask(string value)
    {
        var spans = Spans(value);
        if (spans.Count == 0) return value;
        var sb = new System.Text.StringBuilder(value.Length);
        int pos = 0;
        foreach (var (start, length) in spans)
        {
            if (start < pos) continue; // overlapping (a URL inside a Password= field): masked once
            sb.Append(value, pos, start - pos).Append(SecretRedactor.Mask);
            pos = start + length;
        }
        return sb.Append(value, pos, value.Length - pos).ToString();
    }

    /// <summary>
    /// <c>Password=</c>/<c>Pwd=</c> (any case) fields: separated by <c>;</c> (ADO.NET, ODBC, JDBC properties) when the
    /// value has one, else by whitespace (libpq). A field value may be quoted ("..." '...') or braced ({...}, ODBC).
    /// </summary>
    static void ConnectionStringPasswords(string value, List<(int, int)> into)
    {
        var semicolons = value.Contains(';');
        int pos = 0;
        while (pos < value.Length)
        {
            // The start of a field: the value's start, or after a separator.
            while (pos < value.Length && (value[pos] == ';' || char.IsWhiteSpace(value[pos]))) pos++;
            var eq = value.IndexOf('=', pos);
            if (eq < 0) return;
            var sep = semicolons ? value.IndexOf(';', pos) : IndexOfSpace(value, pos);
            if (sep >= 0 && sep < eq) { pos = sep + 1; continue; } // a field without '='
            var key = value.AsSpan(pos, eq - pos).Trim();
            var vs = eq + 1;
            while (vs < value.Length && value[vs] is ' ' or '\t') vs++;
            int ve, next;
            if (vs < value.Length && value[vs] is '"' or '\'' or '{')
            {
                var close = value[vs] == '{' ? '}' : value[vs];
                var c = value.IndexOf(close, vs + 1);
                ve = c < 0 ? value.Length : c;
                vs++;
                next = c < 0 ? value.Length : c + 1;
            }
            else
            {
                var e = semicolons ? value.IndexOf(';', vs) : IndexOfSpace(value, vs);
                ve = e < 0 ? value.Length : e;
                if (semicolons) while (ve > vs && char.IsWhiteSpace(value[ve - 1])) ve--;
                next = e < 0 ? value.Length : e;
            }
            if (ve > vs && (key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase)))
                into.Add((vs, ve - vs));
            pos = Math.Max(next, pos + 1);
        }
    }

    static int IndexOfSpace(string s, int from)
    {
        for (int i = from; i < s.Length; i++) if (char.IsWhiteSpace(s[i])) return i;
        return -1;
    }
}
