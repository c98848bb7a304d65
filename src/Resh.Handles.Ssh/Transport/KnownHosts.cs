using System.Security.Cryptography;
using System.Text;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// known_hosts files as OpenSSH reads them: host patterns (with <c>*</c>, <c>?</c> and <c>!</c>),
/// hashed names (<c>|1|salt|hmac</c>), markers. resh only reads them and appends or removes whole
/// lines for one host name, atomically.
/// </summary>
public static class KnownHosts
{
    public sealed record Entry(string File, int Line, string Type, string Key);

    /// <summary>The name ssh looks up: HostKeyAlias, else host, or [host]:port off port 22.</summary>
    public static string NameFor(SshEffectiveConfig effective)
    {
        if (effective.Get("hostkeyalias") is { Length: > 0 } alias && alias != "none") return alias;
        var host = effective.Get("hostname") ?? "";
        var port = effective.Port;
        return port == 22 ? host : $"[{host}]:{port}";
    }

    public static IReadOnlyList<Entry> Find(IEnumerable<string> files, string name)
    {
        var found = new List<Entry>();
        foreach (var file in files)
        {
            string[] lines;
            try { lines = File.ReadAllLines(file); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            for (int i = 0; i < lines.Length; i++)
            {
                if (Parse(lines[i]) is { } e && e.Marker is null && Matches(e.Hosts, name))
                    found.Add(new Entry(file, i + 1, e.Type, e.Key));
            }
        }
        return found;
    }

    /// <summary>The file content with every plain entry for <paramref name="name"/> removed; null when nothing matched.</summary>
    public static string? WithoutHost(string content, string name)
    {
        var sb = new StringBuilder();
        bool removed = false;
        foreach (var line in content.Split('\n'))
        {
            if (Parse(line) is { Marker: null } e && Matches(e.Hosts, name)) { removed = true; continue; }
            sb.Append(line).Append('\n');
        }
        if (!removed) return null;
        var text = sb.ToString();
        return text.EndsWith("\n\n", StringComparison.Ordinal) ? text[..^1] : text;
    }

    /// <summary>One known_hosts line for the key, hashed when the user's config asks for hashed names.</summary>
    public static string Line(string name, HostKey key, bool hashed)
    {
        if (!hashed) return $"{name} {key.Type} {key.Key}";
        var salt = RandomNumberGenerator.GetBytes(20);
        var mac = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name));
        return $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(mac)} {key.Type} {key.Key}";
    }

    sealed record Parsed(string? Marker, string Hosts, string Type, string Key);

    static Parsed? Parse(string line)
    {
        var t = line.Trim();
        if (t.Length == 0 || t[0] == '#') return null;
        var f = t.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        string? marker = null;
        int i = 0;
        if (f.Length > 0 && f[0].StartsWith('@')) { marker = f[0]; i = 1; }
        if (f.Length < i + 3) return null;
        return new Parsed(marker, f[i], f[i + 1], f[i + 2]);
    }

    static bool Matches(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
        {
            var parts = hosts.Split('|');
            if (parts.Length != 4) return false;
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var expected = Convert.FromBase64String(parts[3]);
                return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)), expected);
            }
            catch (FormatException) { return false; }
        }
        bool match = false;
        foreach (var pattern in hosts.Split(','))
        {
            var negated = pattern.StartsWith('!');
            var p = negated ? pattern[1..] : pattern;
            if (!Glob(p, name)) continue;
            if (negated) return false;
            match = true;
        }
        return match;
    }

    static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t]))) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
