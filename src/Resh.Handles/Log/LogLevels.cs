namespace Resh.Handles.Log;

/// <summary>Severity levels by their syslog names (0 emerg ... 7 debug); every format's spelling maps onto them.</summary>
public static class LogLevels
{
    public static readonly string[] Names = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    /// <summary>The choices a `level=` argument accepts (the syslog names, common spellings and 0-7).</summary>
    public static readonly string[] Choices =
        ["emerg", "alert", "crit", "err", "error", "warning", "warn", "notice", "info", "debug", "0", "1", "2", "3", "4", "5", "6", "7"];

    /// <summary>0-7 for a level word (error, WARN, fatal, ...), or null when the word is not a level.</summary>
    public static int? Of(ReadOnlySpan<char> word)
    {
        if (word.Length is 0 or > 13) return null;
        Span<char> lower = stackalloc char[word.Length];
        word.ToLowerInvariant(lower);
        return lower switch
        {
            "emerg" or "emergency" or "panic" => 0,
            "alert" => 1,
            "crit" or "critical" or "fatal" => 2,
            "err" or "error" or "eror" => 3,
            "warning" or "warn" => 4,
            "notice" => 5,
            "info" or "information" or "informational" => 6,
            "debug" or "trace" or "dbg" => 7,
            "0" or "1" or "2" or "3" or "4" or "5" or "6" or "7" => lower[0] - '0',
            _ => null,
        };
    }

    public static string? Name(int? level) => level is >= 0 and <= 7 ? Names[level.Value] : null;

    /// <summary>Numeric levels of JSON loggers: bunyan/pino (10 trace ... 60 fatal), else syslog 0-7.</summary>
    public static int? OfNumber(long n) => n switch
    {
        >= 0 and <= 7 => (int)n,
        >= 60 => 2,
        >= 50 => 3,
        >= 40 => 4,
        >= 30 => 6,
        >= 10 => 7,
        _ => null,
    };

    /// <summary>
    /// A level named in free text: the first word that is a level written in capitals (ERROR, WARN) or in brackets
    /// ([error], &lt;warn&gt;), in the first 256 characters. Lower-case words in prose ("no error") do not count.
    /// </summary>
    public static int? InText(ReadOnlySpan<char> text)
    {
        if (text.Length > 256) text = text[..256];
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsAsciiLetter(text[i])) i++;
            int start = i;
            while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
            if (i - start < 3) continue;
            var word = text[start..i];
            bool upper = true;
            foreach (var c in word) if (!char.IsAsciiLetterUpper(c)) { upper = false; break; }
            bool bracketed = start > 0 && i < text.Length && (text[start - 1], text[i]) is ('[', ']') or ('<', '>') or ('(', ')');
            if (!upper && !bracketed) continue;
            if (Of(word) is { } l) return l;
        }
        return null;
    }
}
