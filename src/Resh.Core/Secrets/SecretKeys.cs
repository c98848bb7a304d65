using System.Text;

namespace Resh.Core.Secrets;

/// <summary>
/// Whether a key in a document or store (db.password, apiKey, private-key, spring.datasource.password) names a secret:
/// camelCase, <c>-</c>, <c>.</c>, <c>/</c> and spaces are read as word breaks, then the rule for environment names
/// applies (<see cref="SecretEnv.LooksSecret"/>). config:// masks such values; the audit trail never records them.
/// </summary>
public static class SecretKeys
{
    public static bool LooksSecret(string key)
    {
        if (key.Length == 0 || key.Length > 200) return false;
        var sb = new StringBuilder(key.Length + 8);
        for (int i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsAsciiLetterUpper(c) && i > 0 && char.IsAsciiLetterLower(key[i - 1])) sb.Append('_');
            sb.Append(c is '-' or '.' or ' ' or '/' or ':' ? '_' : c);
        }
        return SecretEnv.LooksSecret(sb.ToString());
    }
}
