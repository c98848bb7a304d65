using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Grammar;
using Resh.Core.Pipeline;
using Resh.Core.Text;

namespace Resh.Surfaces.Shell;

/// <summary>
/// A shell line into argv words with resh's one splitter (<see cref="WordSplitter"/>, the same as a quoted pipeline's
/// stages: '…' literal, "…" with \" \\ \$, a backslash escapes one character outside quotes, whitespace separates
/// outside quotes and brackets, quotes inside brackets are kept for the stage parser). This adds the shell's variables:
/// outside single quotes, <c>$_</c>, <c>$name</c> and <c>{$name}</c> followed by <c>.field</c> or <c>[index]</c> steps
/// expand to a kept result's value (a string as itself, anything else as compact JSON). Nothing else is special: no
/// globs, no command substitution, and a <c>|</c> stays a word of its own for the pipeline parser.
/// </summary>
internal static partial class ShellWords
{
    public sealed class VariableException(string message) : Exception(message);

    public static List<string> Split(string line, Func<string, JsonNode?>? lookup = null)
    {
        try
        {
            WordSplitter.Expander? variables = null;
            if (lookup is not null) variables = (string text, ref int i, StringBuilder sb, WordSplitter.ExpandAt at) => TryVariable(text, ref i, lookup, sb, at);
            return WordSplitter.Split(line, variables);
        }
        catch (ReshException ex) { throw new VariableException(ex.Error.Message); } // an unclosed quote
    }

    /// <summary>
    /// A line as the words a command line would pass: split as <see cref="Split"/>, except that a pipeline's filter
    /// stage (<c>where (size &gt; 1 or name == "x")</c>, <c>first 3</c>) stays its text as typed, one word, so the filter
    /// reads exactly what a quoted pipeline on the command line gives it (s41: a parenthesised group split into a
    /// word of its own was re-quoted into a string). A variable in a filter becomes one literal of the filter.
    /// </summary>
    public static List<string> SplitLine(string line, Func<string, JsonNode?> lookup)
    {
        var segments = PipelineSyntax.SplitTopLevel(line);
        if (segments.Count == 1) return Split(line, lookup);
        var words = new List<string>();
        for (int k = 0; k < segments.Count; k++)
        {
            if (k > 0) words.Add("|");
            // Which it is is read from the text as typed (a filter's first word is its name: where, first, count…).
            if (k > 0 && Split(segments[k]) is [var name, ..] && ItemFilter.IsFilter(name))
                words.Add(FilterText(segments[k], lookup));
            else words.AddRange(Split(segments[k], lookup));
        }
        return words;
    }

    /// <summary>A filter's text with each variable replaced by one literal: a number, true, false or null as itself, anything else a "…" string.</summary>
    internal static string FilterText(string text, Func<string, JsonNode?> lookup)
    {
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length) { sb.Append(text, i, 2); i += 2; continue; }
            if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                if (end < 0) throw new VariableException("A quote (') is not closed.");
                sb.Append(text, i, end - i + 1);
                i = end + 1;
                continue;
            }
            if (c == '"')
            {
                sb.Append(c);
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new VariableException("A quote (\") is not closed.");
                    var d = text[i];
                    if (d == '"') { sb.Append(d); i++; break; }
                    if (d == '\\' && i + 1 < text.Length) { sb.Append(text, i, 2); i += 2; continue; }
                    if (TryReference(text, i, out var inPath, out var inEnd))
                    {
                        sb.Append(EscapeQuoted(Text(Resolve(inPath, lookup))));
                        i = inEnd;
                        continue;
                    }
                    sb.Append(d);
                    i++;
                }
                continue;
            }
            if (TryReference(text, i, out var path, out var next))
            {
                var node = Resolve(path, lookup);
                sb.Append(node switch
                {
                    null => "null",
                    JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => v.ToJsonString(),
                    _ => "\"" + EscapeQuoted(Text(node)) + "\"",
                });
                i = next;
                continue;
            }
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    /// <summary>Text for inside "…" (the stage parser's and the filter's): a backslash before \\ and ".</summary>
    static string EscapeQuoted(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");

    /// <summary>A variable reference at <paramref name="i"/>: <c>$name(.field|[n])*</c> or <c>{$name(.field|[n])*}</c>.</summary>
    static bool TryReference(string line, int i, out List<string> path, out int next)
    {
        path = [];
        next = i;
        bool braced = line[i] == '{' && i + 1 < line.Length && line[i + 1] == '$';
        if (!braced && line[i] != '$') return false;
        int p = i + (braced ? 2 : 1);
        int nameStart = p;
        while (p < line.Length && (char.IsAsciiLetterOrDigit(line[p]) || line[p] == '_')) p++;
        if (p == nameStart) return false; // a lone $ is a character
        path.Add(line[nameStart..p]);
        while (p < line.Length)
        {
            if (line[p] == '.' && p + 1 < line.Length && (char.IsAsciiLetter(line[p + 1]) || line[p + 1] == '_'))
            {
                int s = ++p;
                while (p < line.Length && (char.IsAsciiLetterOrDigit(line[p]) || line[p] is '_' or '-')) p++;
                path.Add(line[s..p]);
            }
            else if (line[p] == '[' && line.IndexOf(']', p) is var close and > 0 && int.TryParse(line.AsSpan(p + 1, close - p - 1), out _))
            {
                path.Add(line[p..(close + 1)]);
                p = close + 1;
            }
            else break;
        }
        if (braced)
        {
            if (p >= line.Length || line[p] != '}') return false;
            p++;
        }
        next = p;
        return true;
    }

    static string Shown(List<string> path) => "$" + string.Join("", path.Select((x, k) => k == 0 || x.StartsWith('[') ? x : "." + x));

    /// <summary>
    /// A variable in a word: its value becomes exactly one value where it stands (s41). Inside a stage's parentheses
    /// it is quoted for the stage parser ("…" with \\ and \", or JSON after <c>key:=</c>), so `,` `)` `=` or quotes
    /// in it cannot add or change arguments; in a stage's target it is percent-encoded (as a pipeline's {field}), so
    /// it cannot change the handle, the verb or the arguments; elsewhere it is (part of) one argv word.
    /// </summary>
    static bool TryVariable(string line, ref int i, Func<string, JsonNode?> lookup, StringBuilder sb, WordSplitter.ExpandAt at)
    {
        if (!TryReference(line, i, out var path, out var next)) return false;
        var node = Resolve(path, lookup);
        var text = Text(node);
        // `content=$p.command` with a value `@/etc/shadow` would make resh read that file (a process name, a file name:
        // text others choose; s40 attacker #3). A value that starts with @ is refused, not passed on.
        if (text.StartsWith('@') && (sb.Length == 0 || sb[^1] == '='))
            throw new VariableException($"{Shown(path)} starts with @, which resh would read as a file name; it is not passed on.");
        if (at.Depth > 0)
        {
            var before = sb.ToString();
            if (at.InQuotes)
            {
                if (at.Depth != 1 || at.QuoteStart < 0 || !OpensValue().IsMatch(before[..at.QuoteStart]))
                    throw NotAValue(path);
                sb.Append(EscapeQuoted(text));
            }
            else
            {
                if (at.Depth != 1 || !OpensValue().IsMatch(before)) throw NotAValue(path);
                if (before.EndsWith(":=", StringComparison.Ordinal)) sb.Append(node?.ToJsonString() ?? "null");
                else sb.Append('"').Append(EscapeQuoted(text)).Append('"');
            }
        }
        else if (StageParser.LooksLikeStage(sb.ToString())) sb.Append(ItemTemplate.Encode(text));
        else sb.Append(text);
        i = next;
        return true;
    }

    /// <summary>The text before a value of a stage's argument list: <c>(</c> or <c>,</c>, then optionally <c>key=</c> or <c>key:=</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"[(,]([A-Za-z0-9_.-]+:?=)?$")]
    private static partial System.Text.RegularExpressions.Regex OpensValue();

    static VariableException NotAValue(List<string> path) =>
        new($"{Shown(path)} inside parentheses must be a whole argument value: write (key={Shown(path)}) or (key=\"text{Shown(path)}\"), or key={Shown(path)} after the stage.");

    public static JsonNode? Resolve(IReadOnlyList<string> path, Func<string, JsonNode?> lookup)
    {
        var node = lookup(path[0]);
        var shown = "$" + path[0];
        for (int k = 1; k < path.Count; k++)
        {
            var step = path[k];
            if (step.StartsWith('['))
            {
                var index = int.Parse(step[1..^1], System.Globalization.CultureInfo.InvariantCulture);
                node = node is JsonArray a && index >= 0 && index < a.Count ? a[index] : throw new VariableException($"{shown} has no item {step}.");
                shown += step;
            }
            else
            {
                // A list result holds its rows in one field: $_.name reaches into it only when it is unambiguous.
                node = node is JsonObject o && o.TryGetPropertyValue(step, out var v) ? v
                    : throw new VariableException($"{shown} has no field `{step}`{(node is JsonObject oo ? $" (fields: {string.Join(", ", oo.Select(x => x.Key))})" : "")}.");
                shown += "." + step;
            }
        }
        return node;
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>Where the word before the cursor starts in the raw text, and its unescaped text.</summary>
    public static (int Start, string Word) CurrentWord(string before)
    {
        int start = 0;
        char quote = '\0';
        bool escaped = false;
        for (int i = 0; i < before.Length; i++)
        {
            var c = before[i];
            if (escaped) { escaped = false; continue; }
            if (quote == '\'') { if (c == '\'') quote = '\0'; continue; }
            if (c == '\\') { escaped = true; continue; }
            if (quote == '"') { if (c == '"') quote = '\0'; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (char.IsWhiteSpace(c)) start = i + 1;
        }
        string word;
        try { word = string.Concat(Split(before[start..] + (quote != '\0' ? quote.ToString() : ""))); }
        catch (VariableException) { word = before[start..]; }
        return (start, word);
    }

    /// <summary>
    /// A completed word as it goes into the line at the end of <paramref name="before"/>: in a pipeline's filter stage
    /// (<c>… | where (na</c>), whose text is passed on as typed, a field name (with the <c>(</c> or <c>!</c> before it) goes
    /// in as it is; anywhere else <see cref="Escape"/>.
    /// </summary>
    public static string EscapeAt(string before, string word)
    {
        var segments = PipelineSyntax.SplitTopLevel(before + "x"); // the x: a segment the cursor is in, even when empty
        if (segments.Count > 1 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or ',' or '(' or '!'))
        {
            List<string> typed;
            try { typed = Split(segments[^1]); }
            catch (VariableException) { typed = []; }
            if (typed is [var name, _, ..] && ItemFilter.IsFilter(name)) return word;
        }
        return Escape(word);
    }

    /// <summary>
    /// A word as typed so that <see cref="Split"/> gives it back. Brackets are escaped too, except a stage's own
    /// argument list (<c>proc://.list(match=</c>: where the stage grammar says the arguments begin,
    /// <see cref="StageParser.ArgumentsAt"/>), which the splitter keeps in one word as it is; a bracket in a name
    /// (<c>file:///tmp/a(b</c>) is escaped so it opens no group.
    /// </summary>
    public static string Escape(string word)
    {
        if (StageParser.ArgumentsAt(word) >= 0)
        {
            var plain = EscapeWith(word, brackets: false);
            try { if (Split(plain) is [var back] && back == word) return plain; }
            catch (VariableException) { }
        }
        return EscapeWith(word, brackets: true);
    }

    static string EscapeWith(string word, bool brackets)
    {
        var sb = new StringBuilder(word.Length + 4);
        foreach (var c in word)
        {
            if (char.IsWhiteSpace(c) || c is '\\' or '\'' or '"' or '$' || (brackets && c is '(' or ')' or '[' or ']')) sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}
