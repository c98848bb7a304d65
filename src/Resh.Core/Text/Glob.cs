namespace Resh.Core.Text;

/// <summary>
/// Shell-style globs (resh mcp --allow/--deny patterns, audit list filters): `*` matches any run of characters except `/`,
/// `**` any run including `/`, `?` one character; everything else is literal. Matching is iterative
/// (backtracking over the last star only), so a hostile pattern cannot blow up.
/// </summary>
public static class Glob
{
    public static bool Matches(string pattern, string text) => Match(pattern.AsSpan(), text.AsSpan());

    static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> t)
    {
        int pi = 0, ti = 0, starP = -1, starT = -1;
        bool starCrossesSlash = false;
        while (ti < t.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starCrossesSlash = pi + 1 < p.Length && p[pi + 1] == '*';
                pi += starCrossesSlash ? 2 : 1;
                starP = pi;
                starT = ti;
                continue;
            }
            if (pi < p.Length && (p[pi] == '?' ? t[ti] != '/' : p[pi] == t[ti]))
            {
                pi++;
                ti++;
                continue;
            }
            if (starP >= 0 && (starCrossesSlash || t[starT] != '/'))
            {
                pi = starP;
                ti = ++starT;
                continue;
            }
            return false;
        }
        while (pi < p.Length && p[pi] == '*') pi++;
        return pi == p.Length;
    }
}
