using System.Text;
using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>
/// Splits a command line given as one string (<c>command=uname -a</c>) into words as a POSIX shell would for quotes
/// and backslashes, with no expansion of any kind: no variables, globs, pipes or redirections, and no shell runs.
/// </summary>
public static class CommandWords
{
    /// <summary>The words; a FormatException names an unclosed quote.</summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                var end = line.IndexOf('\'', i + 1);
                if (end < 0) throw new FormatException("An opening ' has no closing quote.");
                word.Append(line, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                i++;
                for (; i < line.Length && line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`') i++;
                    word.Append(line[i]);
                }
                if (i >= line.Length) throw new FormatException("An opening \" has no closing quote.");
            }
            else if (c == '\\' && i + 1 < line.Length) word.Append(line[++i]);
            else word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>
    /// The words of a verb's command: exactly one of <paramref name="line"/> (command=) and <paramref name="argv"/>
    /// (the words after --); a usage error names what is wrong, with <paramref name="example"/> as the hint.
    /// </summary>
    public static IReadOnlyList<string> Of(string? line, IReadOnlyList<string> argv, string example)
    {
        if (line is not null && argv.Count > 0)
            throw ReshError.Usage("Give the command either as command= or as words after --, not both.", example).ToException();
        IReadOnlyList<string> words;
        if (line is not null)
        {
            try { words = Split(line); }
            catch (FormatException ex) { throw ReshError.Usage($"command: {ex.Message}", "Balance the quotes, or give the exact words after --.").ToException(); }
        }
        else words = argv;
        if (words.Count == 0 || words[0].Length == 0)
            throw ReshError.Usage("Nothing to run: give command=... or the program and its arguments after --.", example).ToException();
        if (words.Any(w => w.Contains('\0')))
            throw ReshError.Usage("A command word contains a NUL byte.", "Remove it: a program's arguments cannot hold NUL bytes.").ToException();
        return words;
    }
}
