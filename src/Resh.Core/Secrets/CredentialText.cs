namespace Resh.Core.Secrets;

/// <summary>
/// Credentials written inside a value rather than under a secret-looking key: the password of a URL's userinfo
/// (<c>postgres://app:PASSWORD@db/app</c>, <c>redis://:PASSWORD@cache:6379</c>) and the <c>Password=</c> / <c>Pwd=</c>
/// fields of a connection string (<c>Server=db;User Id=app;Password=PASSWORD</c>, or libpq's space-separated
/// <c>host=db password=PASSWORD</c>), and a <c>Name: value</c> or <c>Name:value</c> pair whose name looks secret by the
/// one rule <see cref="SecretKeys.LooksSecret"/> (an HTTP header written into a value: <c>X-Api-Key: KEY</c>,
/// <c>header=X-Auth-Token:TOKEN</c>). <see cref="Spans"/> says where they are, so callers can mask just that part
/// (<c>postgres://app:***@db/app</c>); the authority rule is the one envelope targets use (<c>Invocation.WithoutPassword</c>).
/// </summary>
public static class CredentialText
{
    /// <summary>
    /// Where the password of an authority (<c>user:PASSWORD@host...</c>, the text after <c>scheme://</c>) is; null when there is none.
    /// The userinfo ends at the last <c>@</c> before the path, so a password holding <c>/</c> (<c>app:pa/ss@db/app</c>) is found
    /// whole; a <c>host:PORT/path@x</c> (digits after the colon) has none.
    /// </summary>
    public static (int Start, int Length)? AuthorityPassword(string text, int from = 0)
    {
        // The common case: an @ before the first '/' (a password may hold spaces: u:p w@h).
        var slash = text.IndexOf('/', from);
        if (slash < 0) slash = text.Length;
        if (slash > from && text.LastIndexOf('@', slash - 1, slash - from) is >= 0 and var at0)
        {
            var colon0 = text.IndexOf(':', from, at0 - from);
            return colon0 < 0 ? null : (colon0 + 1, at0 - colon0 - 1);
        }
        var end = text.IndexOfAny(['/', '?', '#'], from);
        if (end < 0) end = text.Length;
        int tokenEnd = from;
        while (tokenEnd < text.Length && !char.IsWhiteSpace(text[tokenEnd]) && text[tokenEnd] is not ('"' or '\'' or '<' or '>' or ',')) tokenEnd++;
        if (end > tokenEnd) end = tokenEnd;
        if (end <= from && (end >= text.Length || text[end] != '/')) return null;
        var at = end > from ? text.LastIndexOf('@', end - 1, end - from) : -1;
        if (at < 0)
        {
            // No @ before the first '/': a password with '/' in it, when the colon comes before that '/' and is not a port's.
            var colonBefore = end > from ? text.IndexOf(':', from, end - from) : -1;
            if (colonBefore < 0) return null;
            var port = text.AsSpan(colonBefore + 1, end - colonBefore - 1);
            if (port.Length > 0 && !port.ContainsAnyExcept("0123456789")) return null;
            at = tokenEnd > end ? text.LastIndexOf('@', tokenEnd - 1, tokenEnd - end) : -1;
            if (at < 0) return null;
            return (colonBefore + 1, at - colonBefore - 1);
        }
        var colon = text.IndexOf(':', from, at - from);
        return colon < 0 ? null : (colon + 1, at - colon - 1);
    }

    /// <summary>Query-string parameters whose value is a credential (<c>?password=X</c>, <c>&amp;access_token=X</c>).</summary>
    static readonly string[] QueryNames = ["password", "pwd", "passwd", "pass", "token", "secret", "api_key", "apikey", "access_token", "auth_token", "client_secret", "sslpassword"];

    /// <summary>Token prefixes of well-known services (Stripe, GitHub, Slack, GitLab...): a word starting with one is a credential.</summary>
    static readonly string[] TokenPrefixes = ["sk_live_", "sk_test_", "rk_live_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xoxb-", "xoxp-", "xoxa-", "xoxs-", "glpat-"];

    /// <summary>Webhook URLs whose path is the credential: everything after these is masked.</summary>
    static readonly string[] WebhookPaths = ["hooks.slack.com/services/", "discord.com/api/webhooks/", "discordapp.com/api/webhooks/"];

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
        if (value.IndexOf('=') > 0)
        {
            ConnectionStringPasswords(value, spans);
            QueryPasswords(value, spans);
        }
        if (value.IndexOf(':') > 0) SecretNamedPairs(value, spans);
        TokenWords(value, spans);
        spans.Sort();
        return spans;
    }

    /// <summary><c>?password=X</c>, <c>&amp;token=X</c> (any case): the value up to the next <c>&amp;</c>, <c>#</c>, <c>;</c>, quote or space.</summary>
    static void QueryPasswords(string value, List<(int, int)> into)
    {
        for (int i = value.IndexOfAny(['?', '&']); i >= 0; i = value.IndexOfAny(['?', '&'], i + 1))
        {
            var eq = value.IndexOf('=', i + 1);
            if (eq < 0) return;
            var name = value.AsSpan(i + 1, eq - i - 1);
            bool known = false;
            foreach (var q in QueryNames) if (name.Equals(q, StringComparison.OrdinalIgnoreCase)) { known = true; break; }
            if (!known) continue;
            int e = eq + 1;
            while (e < value.Length && value[e] is not ('&' or '#' or ';' or '"' or '\'') && !char.IsWhiteSpace(value[e])) e++;
            if (e > eq + 1) into.Add((eq + 1, e - eq - 1));
        }
    }

    /// <summary>Auth scheme words a header value may start with (<c>X-Auth: Token abc</c>): the credential is the word after.</summary>
    static readonly string[] AuthSchemes = ["Bearer", "Basic", "Token", "Digest", "ApiKey"];

    /// <summary>The reference forms a secret-typed argument takes (<c>secret:NAME</c>, <c>env:VAR</c>, <c>file:PATH</c>): no pair.</summary>
    static readonly string[] ReferenceNames = ["secret", "env", "file"];

    /// <summary>
    /// <c>Name: value</c> / <c>Name:value</c> (a header inside a value, s42 user D5: <c>headers=X-Api-Key:abc</c> was kept
    /// in the shell's history) whose Name looks secret (<see cref="SecretKeys.LooksSecret"/>, the one rule): the value, from
    /// after the colon and its blanks to the next whitespace, <c>,</c>, <c>;</c>, <c>&amp;</c>, quote or closing bracket (after an auth
    /// scheme word, <c>Token abc</c>, the word after it too). The name starts the value or follows whitespace,
    /// <c>=</c>, <c>,</c>, <c>;</c>, a quote or an opening bracket; <c>scheme://</c> and the reference forms
    /// <c>secret:NAME</c>, <c>env:VAR</c>, <c>file:PATH</c> are no pairs.
    /// </summary>
    static void SecretNamedPairs(string value, List<(int, int)> into)
    {
        for (int colon = value.IndexOf(':'); colon > 0; colon = value.IndexOf(':', colon + 1))
        {
            int n = colon;
            while (n > 0 && (char.IsAsciiLetterOrDigit(value[n - 1]) || value[n - 1] is '-' or '_' or '.')) n--;
            if (n == colon) continue;
            if (n > 0 && !char.IsWhiteSpace(value[n - 1]) && value[n - 1] is not ('=' or ',' or ';' or '"' or '\'' or '(' or '[' or '{')) continue;
            if (colon + 1 < value.Length && value[colon + 1] == '/') continue; // scheme://…
            var name = value.AsSpan(n, colon - n);
            bool reference = false;
            foreach (var r in ReferenceNames) if (name.Equals(r, StringComparison.OrdinalIgnoreCase)) { reference = true; break; }
            if (reference || !SecretKeys.LooksSecret(name.ToString())) continue;
            int vs = colon + 1;
            while (vs < value.Length && value[vs] is ' ' or '\t') vs++;
            int ve = WordEnd(value, vs);
            foreach (var scheme in AuthSchemes)
            {
                if (!value.AsSpan(vs, ve - vs).Equals(scheme, StringComparison.OrdinalIgnoreCase)) continue;
                int next = ve;
                while (next < value.Length && value[next] is ' ' or '\t') next++;
                if (WordEnd(value, next) is var after && after > next) ve = after;
                break;
            }
            if (ve > vs) into.Add((vs, ve - vs));
        }
    }

    static int WordEnd(string value, int from)
    {
        int e = from;
        while (e < value.Length && !char.IsWhiteSpace(value[e]) && value[e] is not (',' or ';' or '&' or '"' or '\'' or ')' or ']' or '}')) e++;
        return e;
    }

    /// <summary>Words that start with a well-known token prefix (<c>ghp_...</c>, <c>xoxb-...</c>), and the path of a webhook URL.</summary>
    static void TokenWords(string value, List<(int, int)> into)
    {
        foreach (var prefix in TokenPrefixes)
        {
            for (int i = value.IndexOf(prefix, StringComparison.Ordinal); i >= 0; i = value.IndexOf(prefix, i + 1, StringComparison.Ordinal))
            {
                if (i > 0 && (char.IsAsciiLetterOrDigit(value[i - 1]) || value[i - 1] == '_')) continue;
                int e = i + prefix.Length;
                while (e < value.Length && (char.IsAsciiLetterOrDigit(value[e]) || value[e] is '_' or '-')) e++;
                if (e - i - prefix.Length >= 8) into.Add((i, e - i));
            }
        }
        foreach (var hook in WebhookPaths)
        {
            var i = value.IndexOf(hook, StringComparison.OrdinalIgnoreCase);
            if (i < 0) continue;
            int s = i + hook.Length, e = s;
            while (e < value.Length && !char.IsWhiteSpace(value[e]) && value[e] is not ('"' or '\'' or '?' or '#')) e++;
            if (e > s) into.Add((s, e - s));
        }
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
            // A field without '=' (libpq also allows spaces around it: password = X).
            if (sep >= 0 && sep < eq && (semicolons || !value.AsSpan(sep, eq - sep).IsWhiteSpace())) { pos = sep + 1; continue; }
            var key = value.AsSpan(pos, eq - pos).Trim();
            var vs = eq + 1;
            while (vs < value.Length && value[vs] is ' ' or '\t') vs++;
            int ve, next;
            if (vs < value.Length && value[vs] is '"' or '\'' or '{')
            {
                var close = value[vs] == '{' ? '}' : value[vs];
                var c = value.IndexOf(close, vs + 1);
                // ODBC doubles a closing brace inside a braced value: Pwd={ab}}c;d} is ab}c;d.
                while (close == '}' && c >= 0 && c + 1 < value.Length && value[c + 1] == '}') c = value.IndexOf('}', c + 2);
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
