using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Pkg;

/// <summary>
/// apt's package sources: one-line .list files and deb822 .sources files. resh writes deb822 only, with
/// the repository's key in its own keyring referenced by Signed-By (never the global trusted.gpg).
/// </summary>
public static class AptSources
{
    public const string SourcesList = "/etc/apt/sources.list";
    public const string SourcesDir = "/etc/apt/sources.list.d";
    public const string KeyringDir = "/etc/apt/keyrings";

    public static List<PkgRepo> List()
    {
        var repos = new List<PkgRepo>();
        if (File.Exists(SourcesList)) repos.AddRange(OneLine(SourcesList, File.ReadAllText(SourcesList)));
        if (Directory.Exists(SourcesDir))
        {
            foreach (var f in Directory.GetFiles(SourcesDir).Order(StringComparer.Ordinal))
            {
                if (f.EndsWith(".list", StringComparison.Ordinal)) repos.AddRange(OneLine(f, File.ReadAllText(f)));
                else if (f.EndsWith(".sources", StringComparison.Ordinal)) repos.AddRange(Deb822(f, File.ReadAllText(f)));
            }
        }
        return repos;
    }

    static string NameOf(string file) => Path.GetFileNameWithoutExtension(file);

    public static IEnumerable<PkgRepo> OneLine(string file, string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var enabled = true;
            if (line.StartsWith('#'))
            {
                line = line.TrimStart('#').Trim();
                enabled = false;
                if (!(line.StartsWith("deb ", StringComparison.Ordinal) || line.StartsWith("deb-src ", StringComparison.Ordinal))) continue;
            }
            if (!(line.StartsWith("deb ", StringComparison.Ordinal) || line.StartsWith("deb-src ", StringComparison.Ordinal))) continue;
            var words = new List<string>(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            string? signedBy = null;
            var type = words[0];
            words.RemoveAt(0);
            if (words.Count > 0 && words[0].StartsWith('['))
            {
                var opts = new List<string>();
                while (words.Count > 0) { var w = words[0]; words.RemoveAt(0); opts.Add(w.Trim('[', ']')); if (w.EndsWith(']')) break; }
                signedBy = opts.FirstOrDefault(o => o.StartsWith("signed-by=", StringComparison.Ordinal))?[10..];
            }
            if (words.Count < 2) continue;
            yield return new PkgRepo(NameOf(file), file, "one-line", enabled, [type], [words[0]], [words[1]], words.Skip(2).ToList(), signedBy);
        }
    }

    public static IEnumerable<PkgRepo> Deb822(string file, string text)
    {
        foreach (var s in AptManager.Stanzas(string.Join('\n', text.Split('\n').Where(l => !l.TrimStart().StartsWith('#')))))
        {
            List<string> Words(string key) => s.TryGetValue(key, out var v) ? v.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList() : [];
            var enabled = !s.TryGetValue("Enabled", out var en) || !en.Equals("no", StringComparison.OrdinalIgnoreCase);
            var signed = s.GetValueOrDefault("Signed-By");
            if (signed is not null && signed.Contains("-----BEGIN", StringComparison.Ordinal)) signed = "(embedded key)";
            yield return new PkgRepo(NameOf(file), file, "deb822", enabled, Words("Types"), Words("URIs"), Words("Suites"), Words("Components"), signed);
        }
    }

    /// <summary>A repository name: the file name under sources.list.d, so letters, digits, '_', '-', '.'.</summary>
    public static string CheckName(string name)
    {
        if (name.Length is 0 or > 64 || !char.IsAsciiLetterOrDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            throw ReshError.Usage($"`{Shown(name)}` is not a repository name (letters, digits, '_', '-', '.', up to 64).", "Example: pkg://.repo.add(name=nodesource,...)").ToException();
        return name;
    }

    public static string CheckWord(string value, string field)
    {
        if (value.Length is 0 or > 512 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '#' or '[' or ']'))
            throw ReshError.Usage($"{field} `{Shown(value)}` is not valid here (one word, no spaces, '#' or brackets).", null).ToException();
        return value;
    }

    static string Shown(string s) => new((s.Length > 40 ? s[..40] + "…" : s).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public static string Render(IReadOnlyList<string> types, IReadOnlyList<string> uris, IReadOnlyList<string> suites, IReadOnlyList<string> components,
        string? signedBy, IReadOnlyList<string> archs)
    {
        var sb = new StringBuilder();
        sb.Append("# Managed by resh (pkg://.repo.add); remove with pkg://.repo.remove.\n");
        sb.Append("Types: ").Append(string.Join(' ', types)).Append('\n');
        sb.Append("URIs: ").Append(string.Join(' ', uris)).Append('\n');
        sb.Append("Suites: ").Append(string.Join(' ', suites)).Append('\n');
        if (components.Count > 0) sb.Append("Components: ").Append(string.Join(' ', components)).Append('\n');
        if (archs.Count > 0) sb.Append("Architectures: ").Append(string.Join(' ', archs)).Append('\n');
        if (signedBy is not null) sb.Append("Signed-By: ").Append(signedBy).Append('\n');
        return sb.ToString();
    }
}
