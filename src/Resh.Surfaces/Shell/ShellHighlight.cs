using System.Text;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Registry;

namespace Resh.Surfaces.Shell;

/// <summary>
/// Colours of a line as it is typed (scheme cyan, verb green, argument names yellow, $variables and :commands
/// magenta) and the inline hint: the resolved verb's argument signature, from its declaration.
/// </summary>
internal static class ShellHighlight
{
    const string Cyan = "\x1b[36m", Green = "\x1b[32m", Yellow = "\x1b[33m", Magenta = "\x1b[35m", Bold = "\x1b[1m", Reset = "\x1b[0m";

    /// <summary>The raw words of a line with where each starts (quotes kept), so colours wrap the typed text.</summary>
    static List<(int Start, int End)> RawWords(string line)
    {
        var spans = new List<(int, int)>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            if (i >= line.Length) break;
            int start = i;
            char quote = '\0';
            while (i < line.Length && (quote != '\0' || !char.IsWhiteSpace(line[i])))
            {
                var c = line[i];
                if (quote == '\0' && c == '\\') { i += 2; continue; }
                if (quote == '\0' && c is '\'' or '"') quote = c;
                else if (quote != '\0' && c == quote) quote = '\0';
                i++;
            }
            spans.Add((start, Math.Min(i, line.Length)));
        }
        return spans;
    }

    public static string Line(string line, HandleRegistry registry)
    {
        var words = RawWords(line);
        if (words.Count == 0) return line;
        var sb = new StringBuilder();
        int at = 0;
        var verb = VerbOf(line, registry, out var verbWordIndex, out var verbSuffix);
        for (int w = 0; w < words.Count; w++)
        {
            var (s, e) = words[w];
            sb.Append(line, at, s - at);
            var text = line[s..e];
            var bare = text.Trim('\'', '"');
            var offset = text.Length - text.TrimStart('\'', '"').Length;
            if (w == 0 && (text.StartsWith(':') || text == "use")) sb.Append(Magenta).Append(text).Append(Reset);
            else if (text.StartsWith('$') || text.StartsWith("{$", StringComparison.Ordinal)) sb.Append(Magenta).Append(text).Append(Reset);
            else if (text == "|") sb.Append(Bold).Append(text).Append(Reset);
            else if (bare.IndexOf("://", StringComparison.Ordinal) is var sep and > 0 && StageParser.LooksLikeStage(bare))
            {
                var schemeEnd = offset + sep + 3;
                sb.Append(Cyan).Append(text, 0, schemeEnd).Append(Reset);
                var restText = text[schemeEnd..];
                var paren = restText.IndexOf('(');
                var head = paren >= 0 ? restText[..paren] : restText;
                var tail = paren >= 0 ? restText[paren..] : "";
                if (verbSuffix is not null && w == 0 && head.EndsWith("." + verbSuffix, StringComparison.Ordinal))
                    sb.Append(head, 0, head.Length - verbSuffix.Length).Append(Green).Append(verbSuffix).Append(Reset);
                else sb.Append(head);
                sb.Append(tail);
            }
            else if (w == verbWordIndex) sb.Append(Green).Append(text).Append(Reset);
            else if (text.IndexOf('=') is var eq and > 0 && !text.StartsWith('-')) sb.Append(Yellow).Append(text, 0, eq).Append(Reset).Append(text, eq, text.Length - eq);
            else if (text.StartsWith("--", StringComparison.Ordinal)) sb.Append(Yellow).Append(text).Append(Reset);
            else sb.Append(text);
            at = e;
        }
        sb.Append(line, at, line.Length - at);
        return sb.ToString();
    }

    /// <summary>The verb a line names (first stage; the ssh:// inner stage), or null.</summary>
    static VerbInfo? VerbOf(string line, HandleRegistry registry, out int verbWordIndex, out string? verbSuffix)
    {
        verbWordIndex = -1;
        verbSuffix = null;
        List<string> words;
        try { words = ShellWords.Split(line); }
        catch (ShellWords.VariableException) { return null; }
        if (words.Count == 0 || !StageParser.LooksLikeStage(words[0])) return null;
        try
        {
            var syntax = StageParser.Parse(words[0]);
            var handle = registry.Find(syntax.Scheme);
            if (handle is null) return null;
            var next = words.Count > 1 ? words[1] : null;
            var r = VerbResolver.Resolve(handle, syntax.Body, next);
            if (r.ConsumedNextWord) verbWordIndex = 1;
            else verbSuffix = r.Verb.Name;
            return r.Verb;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException) { return null; }
    }

    /// <summary>The arguments not given yet: required as <c>name=kind</c>, optional in brackets.</summary>
    public static string? Hint(string line, HandleRegistry registry)
    {
        if (line.Length == 0) return null;
        // In a pipeline the hint is the stage under the cursor's (after the last `|` word); a filter has none.
        for (var bar = line.LastIndexOf(" | ", StringComparison.Ordinal); bar >= 0; bar = bar > 0 ? line.LastIndexOf(" | ", bar - 1, StringComparison.Ordinal) : -1)
        {
            try { ShellWords.Split(line[..bar]); }
            catch (ShellWords.VariableException) { continue; } // inside a quote: not a pipe
            var tail = line[(bar + 3)..].TrimStart();
            List<string> tw;
            try { tw = ShellWords.Split(tail); }
            catch (ShellWords.VariableException) { return null; }
            return tw.Count > 0 && StageParser.LooksLikeStage(tw[0]) ? Hint(tail, registry) : null;
        }
        var verb = VerbOf(line, registry, out _, out _);
        if (verb is null) return null;
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in ShellWords.Split(line))
        {
            var eq = w.IndexOf('=');
            var key = eq > 0 ? w[..eq] : w;
            given.Add(key.TrimStart('-').Replace('-', '_'));
            if (w.IndexOf('(') is var p and >= 0)
                foreach (var piece in w[(p + 1)..].TrimEnd(')').Split(','))
                    if (piece.IndexOf('=') is var pe and > 0) given.Add(piece[..pe].Trim());
        }
        var parts = verb.Args.Where(a => !given.Contains(a.Name)).Select(a =>
        {
            var kind = a.Choices is { Count: > 0 and <= 5 } c ? string.Join('|', c) : a.Kind.ToWire();
            var text = a.Positional ? $"<{a.Name}>" : $"{a.Name}={kind}";
            return a.Required ? text : $"[{text}]";
        }).ToList();
        var head = line.EndsWith(' ') ? "" : " ";
        return parts.Count == 0 ? $"{head}— {verb.FullName}: {verb.Summary}" : head + string.Join(' ', parts);
    }
}
