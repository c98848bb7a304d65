using System.Text;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Files;

/// <summary>
/// A text file as lines that remember their own line ending, so an edit touches only the lines it
/// changes: CRLF files stay CRLF, and a file without a final newline keeps not having one.
/// </summary>
internal sealed class TextLines
{
    readonly List<(string Text, string Eol)> _lines = [];

    public int Count => _lines.Count;
    public string this[int i] => _lines[i].Text;
    /// <summary>The ending new lines get: the file's most common one, "\n" for a new file.</summary>
    public string Newline { get; private set; } = "\n";
    /// <summary>False when the last line had no newline.</summary>
    public bool FinalNewline { get; private set; } = true;

    public static TextLines Parse(string text)
    {
        var t = new TextLines();
        int crlf = 0, lf = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            bool cr = i > start && text[i - 1] == '\r';
            if (cr) crlf++; else lf++;
            t._lines.Add((text[start..(cr ? i - 1 : i)], cr ? "\r\n" : "\n"));
            start = i + 1;
        }
        if (start < text.Length)
        {
            t._lines.Add((text[start..], ""));
            t.FinalNewline = false;
        }
        t.Newline = crlf > lf ? "\r\n" : "\n";
        return t;
    }

    public void Replace(int index, string text) => _lines[index] = (text, _lines[index].Eol);

    public void Insert(int index, string text)
    {
        if (index == _lines.Count && _lines.Count > 0 && _lines[^1].Eol.Length == 0)
        {
            // Appending after an unterminated last line: terminate it, and keep the file unterminated.
            _lines[^1] = (_lines[^1].Text, Newline);
            _lines.Add((text, ""));
            return;
        }
        _lines.Insert(index, (text, Newline));
    }

    public void RemoveAt(int index)
    {
        bool wasLast = index == _lines.Count - 1;
        var eol = _lines[index].Eol;
        _lines.RemoveAt(index);
        if (wasLast && eol.Length == 0 && _lines.Count > 0) _lines[^1] = (_lines[^1].Text, "");
    }

    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var (text, eol) in _lines) sb.Append(text).Append(eol);
        return sb.ToString();
    }

    /// <summary>The text of a file that must be UTF-8 text; binary content is refused.</summary>
    public static string Decode(byte[] bytes, string path)
    {
        if (!FileContent.IsText(bytes))
            throw ReshError.Failed($"{path} is not UTF-8 text; line and pattern edits refuse binary files.", "Use write to replace binary content.",
                new System.Text.Json.Nodes.JsonObject { ["path"] = path }).ToException();
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Compiles a user's regular expression with a match timeout, so a catastrophic pattern fails instead of hanging.</summary>
    public static Regex Compile(string pattern, string argName, RegexOptions options = RegexOptions.None)
    {
        try { return new Regex(pattern, options | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2)); }
        catch (RegexParseException ex)
        {
            throw ReshError.Usage(ExceptionTranslation.RegexMessage(ex, argName),
                ".NET regular expression syntax; escape literal characters such as . ( [ with a backslash.",
                new System.Text.Json.Nodes.JsonObject { ["pattern"] = pattern, ["position"] = ex.Offset, ["error"] = ExceptionTranslation.Words(ex.Error.ToString()) }).ToException();
        }
        catch (ArgumentException ex)
        {
            throw ReshError.Usage($"`{argName}` is not a valid regular expression: {ExceptionTranslation.Describe(ex)}",
                ".NET regular expression syntax; escape literal characters such as . ( [ with a backslash.").ToException();
        }
    }

    public static ReshError Timeout(string argName) => ReshError.Failed(
        $"The `{argName}` pattern took longer than 2 s to match (catastrophic backtracking).",
        "Simplify the pattern: avoid nested quantifiers such as (a+)+, anchor it, or match less.");
}
