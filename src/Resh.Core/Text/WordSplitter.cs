using System.Text;
using Resh.Core.Errors;

namespace Resh.Core.Text;

/// <summary>
/// The one word splitter of resh: a stage of a quoted pipeline (<c>resh 'proc://.list | count'</c>) and a line typed in
/// the interactive shell split the same text into the same words (docs/pipelines.md, "Spelling"). As a POSIX shell quotes:
/// whitespace separates words; <c>'…'</c> is literal; in <c>"…"</c> a backslash escapes <c>"</c>, <c>\</c> and <c>$</c>
/// (before anything else it is itself); outside quotes a backslash escapes the next character. Inside parentheses and
/// brackets (a stage's arguments, <c>(match="a,b")</c>) whitespace does not separate and quotes and backslashes are kept
/// as written, because the stage parser reads them there. A <c>|</c> is an ordinary character (the pipeline splitter
/// looks for it before). Nothing else is special: no globs, no command substitution.
/// </summary>
public static class WordSplitter
{
    /// <summary>
    /// Expands a reference that starts at <c>text[i]</c> (outside single quotes), appending its value to <c>word</c> and
    /// moving <c>i</c> past it; false when there is none there (the character is then ordinary). <paramref name="at"/>
    /// says where the reference stands, so a value can be quoted for the reader of that place (the stage parser inside
    /// parentheses, percent-encoding in a target).
    /// </summary>
    public delegate bool Expander(string text, ref int i, StringBuilder word, ExpandAt at);

    /// <summary>
    /// Where an expansion stands: the bracket depth, whether inside <c>"…"</c>, and (inside brackets, where the quote is
    /// kept in the word) the index in the word of that opening quote, else -1.
    /// </summary>
    public readonly record struct ExpandAt(int Depth, bool InQuotes, int QuoteStart);

    /// <summary>Splits <paramref name="text"/> into words; an unclosed quote is `usage`.</summary>
    /// <param name="expand">The shell's <c>$variable</c> hook; null (a pipeline on the command line) expands nothing.</param>
    public static List<string> Split(string text, Expander? expand = null)
    {
        var words = new List<string>();
        var w = new StringBuilder();
        bool any = false;
        int depth = 0;
        int i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (depth == 0 && char.IsWhiteSpace(c))
            {
                if (any) words.Add(w.ToString());
                w.Clear();
                any = false;
                i++;
                continue;
            }
            any = true;
            if (c == '\\')
            {
                // Outside quotes: the next character as itself (kept with its backslash inside brackets).
                if (depth > 0) w.Append(c);
                if (i + 1 < text.Length) w.Append(text[i + 1]);
                i += 2;
                continue;
            }
            if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                if (end < 0) throw Unclosed(c);
                if (depth > 0) w.Append(text, i, end - i + 1);
                else w.Append(text, i + 1, end - i - 1);
                i = end + 1;
                continue;
            }
            if (c == '"')
            {
                var quoteStart = depth > 0 ? w.Length : -1;
                if (depth > 0) w.Append(c);
                i++;
                while (true)
                {
                    if (i >= text.Length) throw Unclosed(c);
                    var d = text[i];
                    if (d == '"') { if (depth > 0) w.Append(d); i++; break; }
                    if (d == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$')
                    {
                        if (depth > 0) w.Append(d);
                        w.Append(text[i + 1]);
                        i += 2;
                        continue;
                    }
                    if (expand is not null && expand(text, ref i, w, new ExpandAt(depth, true, quoteStart))) continue;
                    w.Append(d);
                    i++;
                }
                continue;
            }
            if (expand is not null && expand(text, ref i, w, new ExpandAt(depth, false, -1))) continue;
            if (c is '(' or '[') depth++;
            else if (c is ')' or ']' && depth > 0) depth--;
            w.Append(c);
            i++;
        }
        if (any) words.Add(w.ToString());
        return words;
    }

    static ReshException Unclosed(char quote) =>
        ReshError.Usage($"A quote ({quote}) is not closed.", quote == '"'
            ? "Close the quote, or escape it with a backslash: \\\"."
            : "Close the quote, or write it inside \"...\".").ToException();
}
