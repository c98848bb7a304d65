namespace Resh.Handles.Storage;

/// <summary>
/// Include/exclude globs over relative paths (rsync/gitignore-like): a pattern without a slash
/// matches a name at any depth, a pattern with a slash matches from the root, <c>*</c> and <c>?</c>
/// stay inside one name, <c>**</c> crosses directories. An excluded directory excludes its subtree.
/// </summary>
public sealed class PathFilter
{
    readonly Glob[] _include;
    readonly Glob[] _exclude;
    readonly HashSet<string>? _excludedPaths;

    /// <param name="excludedPaths">Relative paths left out exactly as written (no glob meaning), with what is below them.</param>
    public PathFilter(IReadOnlyList<string> include, IReadOnlyList<string> exclude, IEnumerable<string>? excludedPaths = null)
    {
        _include = include.Select(p => new Glob(p)).ToArray();
        _exclude = exclude.Select(p => new Glob(p)).ToArray();
        if (excludedPaths is not null)
        {
            _excludedPaths = new HashSet<string>(excludedPaths, StringComparer.Ordinal);
            if (_excludedPaths.Count == 0) _excludedPaths = null;
        }
    }

    public static PathFilter All { get; } = new([], []);

    public bool HasIncludes => _include.Length > 0;

    /// <summary>True when the path (or one of its parent directories) matches an exclude pattern.</summary>
    public bool IsExcluded(string relative)
    {
        if (_exclude.Length == 0 && _excludedPaths is null) return false;
        foreach (var prefix in Prefixes(relative))
        {
            if (_excludedPaths is not null && _excludedPaths.Contains(prefix)) return true;
            foreach (var g in _exclude)
                if (g.Matches(prefix)) return true;
        }
        return false;
    }

    /// <summary>True when the path (or a parent directory) matches an include pattern, or there are none.</summary>
    public bool IsIncluded(string relative)
    {
        if (_include.Length == 0) return true;
        foreach (var prefix in Prefixes(relative))
            foreach (var g in _include)
                if (g.Matches(prefix)) return true;
        return false;
    }

    /// <summary>Selected: included and not excluded.</summary>
    public bool Selects(string relative) => IsIncluded(relative) && !IsExcluded(relative);

    static IEnumerable<string> Prefixes(string relative)
    {
        yield return relative;
        var i = relative.LastIndexOf('/');
        while (i > 0)
        {
            yield return relative[..i];
            i = relative.LastIndexOf('/', i - 1);
        }
    }
}

/// <summary>One compiled glob pattern.</summary>
public sealed class Glob
{
    readonly string _pattern;
    readonly bool _anchored;

    public Glob(string pattern)
    {
        var p = pattern.Trim();
        if (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        p = p.TrimEnd('/');
        _anchored = p.Contains('/');
        _pattern = p.TrimStart('/');
    }

    public bool Matches(string relative)
    {
        if (_anchored) return Match(_pattern, 0, relative, 0);
        var slash = relative.LastIndexOf('/');
        return Match(_pattern, 0, slash < 0 ? relative : relative[(slash + 1)..], 0);
    }

    static bool Match(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            if (c == '*')
            {
                bool doubleStar = pi + 1 < p.Length && p[pi + 1] == '*';
                if (doubleStar)
                {
                    var rest = pi + 2;
                    if (rest < p.Length && p[rest] == '/') rest++; // "**/" also matches zero directories
                    for (int k = si; k <= s.Length; k++)
                        if (Match(p, rest, s, k)) return true;
                    return false;
                }
                for (int k = si; k <= s.Length; k++)
                {
                    if (Match(p, pi + 1, s, k)) return true;
                    if (k < s.Length && s[k] == '/') break;
                }
                return false;
            }
            if (si >= s.Length) return false;
            if (c == '?') { if (s[si] == '/') return false; }
            else if (c == '[')
            {
                var end = p.IndexOf(']', pi + 1);
                if (end < 0) { if (s[si] != '[') return false; }
                else
                {
                    var set = p.AsSpan(pi + 1, end - pi - 1);
                    bool negate = set.Length > 0 && (set[0] == '!' || set[0] == '^');
                    if (negate) set = set[1..];
                    bool hit = false;
                    for (int k = 0; k < set.Length; k++)
                    {
                        if (k + 2 < set.Length && set[k + 1] == '-') { if (s[si] >= set[k] && s[si] <= set[k + 2]) hit = true; k += 2; }
                        else if (set[k] == s[si]) hit = true;
                    }
                    if (hit == negate) return false;
                    pi = end + 1;
                    si++;
                    continue;
                }
            }
            else if (c != s[si]) return false;
            pi++;
            si++;
        }
        return si == s.Length;
    }
}
