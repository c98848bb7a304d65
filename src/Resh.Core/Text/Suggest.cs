namespace Resh.Core.Text;

/// <summary>"Did you mean" suggestions: the closest candidate by edit distance (with transpositions), or a unique prefix.</summary>
public static class Suggest
{
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        if (string.IsNullOrEmpty(input)) return null;
        var lower = input.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(lower, c.ToLowerInvariant());
            if (d < bestDistance || (d == bestDistance && best is not null && string.CompareOrdinal(c, best) < 0))
            {
                best = c;
                bestDistance = d;
            }
        }
        if (best is null) return null;
        var allowed = Math.Max(1, Math.Min(3, (input.Length + 2) / 3));
        if (bestDistance <= allowed) return best;

        // A unique candidate that starts with (or contains) what was typed is a good guess too.
        var prefixed = candidates.Where(c => c.StartsWith(input, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        if (prefixed.Count == 1) return prefixed[0];
        if (input.Length >= 3)
        {
            var containing = candidates.Where(c => c.Contains(input, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
            if (containing.Count == 1) return containing[0];
        }
        return null;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return Math.Abs(a.Length - b.Length) + 64;
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>"did you mean `x`?" or null.</summary>
    public static string? Hint(string input, IEnumerable<string> candidates, string? prefix = null, string? suffix = null)
    {
        var best = Closest(input, candidates);
        return best is null ? null : $"did you mean `{prefix}{best}{suffix}`?";
    }
}
