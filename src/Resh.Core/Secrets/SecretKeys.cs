namespace Resh.Core.Secrets;

/// <summary>
/// Whether a key in a document or store (db.password, apiKey, private-key, spring.datasource.password) names a secret:
/// camelCase, <c>-</c>, <c>.</c>, <c>/</c>, <c>:</c> and spaces are read as word breaks. A key is secret when it holds
/// password, passwd, secret, token, credential, apikey or passphrase anywhere; or has one of the words pass, pw, pwd,
/// auth, private, bearer, pat (<c>GITHUB_PAT</c>) or jwt; or ends in key (<c>ssl_key</c>, <c>sslkey</c>, <c>clientKey</c>) after a word that says what
/// kind of key it is (ssl, tls, ssh, private, secret, api, access, signing, encryption, client, master, hmac, jwt, session,
/// account, ca). Other keys ending in key (<c>primary_key</c>, <c>sort_key</c>, <c>keyboard</c>) stay visible. config://
/// masks such values; the audit trail never records them. Values that carry a credential themselves (a URL's password,
/// a connection string's Password=) are found by <see cref="CredentialText"/>.
/// </summary>
public static class SecretKeys
{
    static readonly string[] Inside = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "PASSPHRASE"];
    static readonly string[] Words = ["PASS", "PW", "PWD", "AUTH", "PRIVATE", "BEARER", "PAT", "JWT"];
    static readonly string[] KeyKinds =
        ["SSL", "TLS", "SSH", "PRIVATE", "SECRET", "API", "ACCESS", "SIGNING", "ENCRYPTION", "CLIENT", "MASTER", "HMAC", "JWT", "SESSION", "ACCOUNT", "CA",
         "ENCRYPT", "DECRYPTION", "SHARED", "LICENSE", "GPG", "PGP", "AES"];

    public static bool LooksSecret(string key)
    {
        if (key.Length == 0 || key.Length > 200) return false;
        var words = WordsOf(key);
        if (words.Count == 0) return false;
        var joined = string.Concat(words);
        foreach (var p in Inside) if (joined.Contains(p, StringComparison.Ordinal)) return true;
        foreach (var w in words) if (Array.IndexOf(Words, w) >= 0) return true;
        var last = words[^1];
        if (last == "KEY") return words.Count > 1 && Array.IndexOf(KeyKinds, words[^2]) >= 0;
        // One word that is a kind and "key" run together: sslkey, privatekey, signingkey (not keyboard, monkey).
        return last.Length > 3 && last.EndsWith("KEY", StringComparison.Ordinal) && Array.IndexOf(KeyKinds, last[..^3]) >= 0;
    }

    /// <summary>The key's words, upper-cased: apiKey → API KEY, private-key → PRIVATE KEY, db.password → DB PASSWORD.</summary>
    static List<string> WordsOf(string key)
    {
        var words = new List<string>();
        var sb = new System.Text.StringBuilder(key.Length);
        for (int i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c is '-' or '.' or ' ' or '/' or ':' or '_')
            {
                if (sb.Length > 0) { words.Add(sb.ToString()); sb.Clear(); }
                continue;
            }
            if (char.IsAsciiLetterUpper(c) && i > 0 && char.IsAsciiLetterLower(key[i - 1]) && sb.Length > 0) { words.Add(sb.ToString()); sb.Clear(); }
            sb.Append(char.ToUpperInvariant(c));
        }
        if (sb.Length > 0) words.Add(sb.ToString());
        return words;
    }
}
