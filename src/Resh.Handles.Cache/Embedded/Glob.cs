namespace Resh.Handles.Cache.Embedded;

/// <summary>Redis's glob (the MATCH of SCAN): <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[^a]</c>, <c>[a-z]</c> and <c>\</c> escapes.</summary>
internal static class Glob
{
    public static bool Match(string pattern, string text) => Match(pattern.AsSpan(), text.AsSpan(), 0);

    static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s, int depth)
    {
        if (depth > 64) return false; // bounded backtracking for many stars
        while (p.Length > 0)
        {
            switch (p[0])
            {
                case '*':
                    while (p.Length > 0 && p[0] == '*') p = p[1..];
                    if (p.Length == 0) return true;
                    for (var i = 0; i <= s.Length; i++)
                        if (Match(p, s[i..], depth + 1)) return true;
                    return false;
                case '?':
                    if (s.Length == 0) return false;
                    p = p[1..]; s = s[1..];
                    break;
                case '[':
                {
                    if (s.Length == 0) return false;
                    var i = 1;
                    var negate = i < p.Length && p[i] == '^';
                    if (negate) i++;
                    var matched = false;
                    while (i < p.Length && p[i] != ']')
                    {
                        if (p[i] == '\\' && i + 1 < p.Length) { i++; if (p[i] == s[0]) matched = true; i++; }
                        else if (i + 2 < p.Length && p[i + 1] == '-' && p[i + 2] != ']')
                        {
                            var (lo, hi) = p[i] <= p[i + 2] ? (p[i], p[i + 2]) : (p[i + 2], p[i]);
                            if (s[0] >= lo && s[0] <= hi) matched = true;
                            i += 3;
                        }
                        else { if (p[i] == s[0]) matched = true; i++; }
                    }
                    if (matched == negate) return false;
                    p = i < p.Length ? p[(i + 1)..] : p[i..];
                    s = s[1..];
                    break;
                }
                case '\\' when p.Length > 1:
                    if (s.Length == 0 || s[0] != p[1]) return false;
                    p = p[2..]; s = s[1..];
                    break;
                default:
                    if (s.Length == 0 || s[0] != p[0]) return false;
                    p = p[1..]; s = s[1..];
                    break;
            }
        }
        return s.Length == 0;
    }
}
