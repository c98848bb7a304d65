namespace Resh.Handles.Svc;

/// <summary>Shell-style name patterns (*, ?, [abc]) as systemctl accepts them.</summary>
internal static class Glob
{
    public static bool Matches(string pattern, string text) => Match(pattern, 0, text, 0);

    static bool Match(string p, int pi, string t, int ti)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            if (c == '*')
            {
                for (int k = ti; k <= t.Length; k++) if (Match(p, pi + 1, t, k)) return true;
                return false;
            }
            if (ti >= t.Length) return false;
            if (c == '[')
            {
                var close = p.IndexOf(']', pi + 1);
                if (close < 0) { if (t[ti] != c) return false; }
                else
                {
                    var set = p[(pi + 1)..close];
                    var neg = set.StartsWith('!') || set.StartsWith('^');
                    if (neg) set = set[1..];
                    if (set.Contains(t[ti]) == neg) return false;
                    pi = close + 1;
                    ti++;
                    continue;
                }
            }
            else if (c != '?' && c != t[ti]) return false;
            pi++;
            ti++;
        }
        return ti == t.Length;
    }
}
