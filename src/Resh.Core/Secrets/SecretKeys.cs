namespace Resh.Core.Secrets;

/// <summary>
/// Whether a name (a key in a document or store, an argument, an environment variable) names a secret: the one rule
/// for config:// masking, the audit trail, env= warnings (<see cref="SecretEnv"/>), MCP secret sources and the shell's
/// history. camelCase, <c>-</c>, <c>.</c>, <c>/</c>, <c>:</c>, <c>_</c> and spaces are read as word breaks. A name is secret when
/// it holds password, passwd, secret, token, credential, apikey or passphrase anywhere; or has one of the words pass, pw,
/// pwd, auth, private, bearer, pat (<c>GITHUB_PAT</c>) or jwt; or ends in the word key after another word
/// (<c>ssl_key</c>, <c>STRIPE_KEY</c>, <c>stream_key</c>) unless that word says it is a database or public key (primary, sort,
/// foreign, partition, public...); or has a word ending in pass (<c>dbpass</c>, <c>sshpass</c>; not bypass, compass); or is one word of a key kind and key run together (<c>sslkey</c>, <c>privatekey</c>;
/// not <c>keyboard</c>, <c>monkey</c>). <c>key</c> alone, <c>keys</c>, <c>key_file</c> and <c>AWS_ACCESS_KEY_ID</c> stay
/// visible. <c>PWD</c> and <c>pwd</c> alone are secret (a config key named so is a password: s41 review); the working-directory
/// variable of that name is exempted where a name is an environment variable's (<see cref="SecretEnv"/>). Values that carry a credential themselves (a URL's password, a
/// connection string's Password=) are found by <see cref="CredentialText"/>.
/// </summary>
public static class SecretKeys
{
    static readonly string[] Inside = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "PASSPHRASE", "PASSCODE", "PASSKEY"];
    static readonly string[] Words = ["PASS", "PW", "PWD", "AUTH", "PRIVATE", "BEARER", "PAT", "JWT"];
    static readonly string[] KeyKinds =
        ["SSL", "TLS", "SSH", "PRIVATE", "SECRET", "API", "ACCESS", "SIGNING", "ENCRYPTION", "CLIENT", "MASTER", "HMAC", "JWT", "SESSION", "ACCOUNT", "CA",
         "ENCRYPT", "DECRYPTION", "SHARED", "LICENSE", "GPG", "PGP", "AES"];
    // WORD_KEY is secret unless WORD says it is a database or public key: kept short on purpose, since a name the rule
    // misses is a secret printed (STREAM_KEY, COOKIE_HASH_KEY and MAP_KEY are credentials), one it catches too many only masked.
    static readonly string[] PlainKeyKinds =
        ["PRIMARY", "SORT", "FOREIGN", "PARTITION", "PUBLIC", "PUB", "UNIQUE", "COMPOSITE", "SURROGATE", "NATURAL", "CANDIDATE",
         "CLUSTERING", "IDEMPOTENCY", "DEDUP", "DEDUPE", "DEDUPLICATION", "CACHE", "ROUTING", "NO"];
    // One word ending in PASS that is no password (dbpass, sshpass and adminpass are).
    static readonly string[] NotPass = ["BYPASS", "COMPASS", "SURPASS", "OVERPASS", "UNDERPASS", "TRESPASS", "ENCOMPASS"];

    public static bool LooksSecret(string key)
    {
        if (key.Length == 0 || key.Length > 200) return false;
        var words = WordsOf(key);
        if (words.Count == 0) return false;
        var joined = string.Concat(words);
        foreach (var p in Inside) if (joined.Contains(p, StringComparison.Ordinal)) return true;
        foreach (var w in words)
            if (Array.IndexOf(Words, w) >= 0 || (w.Length > 4 && w.EndsWith("PASS", StringComparison.Ordinal) && Array.IndexOf(NotPass, w) < 0)) return true;
        var last = words[^1];
        if (last == "KEY") return words.Count > 1 && Array.IndexOf(PlainKeyKinds, words[^2]) < 0;
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
