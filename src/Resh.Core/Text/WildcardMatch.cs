namespace Resh.Core.Text;

/// <summary>
/// Shell-style wildcards over a whole string: <c>*</c> any run of characters, <c>?</c> one character, everything
/// else literal and case-sensitive. Linear backtracking (no regex), so a hostile pattern cannot blow up.
/// </summary>
public static class WildcardMatch
{
    public static bool IsMatch(string pattern, string value)
    {
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == value[v])) { p++; v++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = v; }
            else if (star >= 0) { p = star + 1; v = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
