using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
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
internal static class ShellWords
{
    public sealed class VariableException(string message) : Exception(message);

    public static List<string> Split(string line, Func<string, JsonNode?>? lookup = null)
    {
        try
        {
            WordSplitter.Expander? variables = null;
            if (lookup is not null) variables = (string text, ref int i, StringBuilder sb) => TryVariable(text, ref i, lookup, sb);
            return WordSplitter.Split(line, variables);
        }
        catch (ReshException ex) { throw new VariableException(ex.Error.Message); } // an unclosed quote
    }

    /// <summary>A variable reference at <paramref name="i"/>: <c>$name(.field|[n])*</c> or <c>{$name(.field|[n])*}</c>.</summary>
    static bool TryVariable(string line, ref int i, Func<string, JsonNode?> lookup, StringBuilder sb)
    {
        bool braced = line[i] == '{' && i + 1 < line.Length && line[i + 1] == '$';
        if (!braced && line[i] != '$') return false;
        int p = i + (braced ? 2 : 1);
        int nameStart = p;
        while (p < line.Length && (char.IsAsciiLetterOrDigit(line[p]) || line[p] == '_')) p++;
        if (p == nameStart) return false; // a lone $ is a character
        var path = new List<string> { line[nameStart..p] };
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
        var text = Text(Resolve(path, lookup));
        // `content=$p.command` with a value `@/etc/shadow` would make resh read that file (a process name, a file name:
        // text others choose; s40 attacker #3). A value that starts with @ is refused, not passed on.
        if (text.StartsWith('@') && (sb.Length == 0 || sb[^1] == '='))
            throw new VariableException($"${string.Join("", path.Select((x, k) => k == 0 || x.StartsWith('[') ? x : "." + x))} starts with @, which resh would read as a file name; it is not passed on.");
        sb.Append(text);
        i = p;
        return true;
    }

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
    /// A word as typed so that <see cref="Split"/> gives it back. Brackets are escaped too, except a stage's own
    /// argument list (<c>proc://.list(match=</c>, the first bracket opening right after <c>.verb</c>), which the splitter
    /// keeps in one word as it is; a bracket in a name (<c>file:///tmp/a(b</c>) is escaped so it opens no group.
    /// </summary>
    public static string Escape(string word)
    {
        if (OpensArguments(word))
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

    /// <summary>Whether the word's first bracket is a `(` right after `.verb` (the stage's arguments).</summary>
    static bool OpensArguments(string word)
    {
        var at = word.AsSpan().IndexOfAny("()[]");
        if (at <= 0 || word[at] != '(') return false;
        var name = at;
        while (name > 0 && (char.IsAsciiLetterOrDigit(word[name - 1]) || word[name - 1] is '-' or '_')) name--;
        return name < at && name > 0 && word[name - 1] == '.';
    }
}
