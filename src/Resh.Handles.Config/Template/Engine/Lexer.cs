using System.Text;

namespace Resh.Handles.Template.Engine;

internal enum Tok { Text, VarStart, VarEnd, BlockStart, BlockEnd, Name, String, Int, Float, Op, Eof }

internal readonly record struct Token(Tok Kind, string Value, int Offset);

/// <summary>An error in a template, with where it happened (syntax, an undefined name, a bad value, a bound).</summary>
internal sealed class TemplateError(string message, Loc? at, string? hint = null, string kind = "usage") : Exception(message)
{
    public Loc? At { get; set; } = at;
    public string? Hint { get; } = hint;
    /// <summary>usage, not_found, permission_denied or failed: the error code of the envelope.</summary>
    public string Kind { get; } = kind;
}

/// <summary>Whitespace options: Ansible's template module defaults (trim_blocks on, lstrip_blocks off).</summary>
internal sealed record LexOptions(bool TrimBlocks = true, bool LstripBlocks = false);

/// <summary>
/// Splits Jinja2 source into text and tag tokens: {{ }} expressions, {% %} statements, {# #} comments
/// (dropped), {% raw %} kept as text, and the whitespace control of - and + at the tag edges.
/// </summary>
internal sealed class Lexer
{
    readonly string _src;
    readonly string _file;
    readonly LexOptions _opt;
    readonly List<Token> _tokens = [];
    readonly int[] _lineStarts;

    public Lexer(string src, string file, LexOptions opt)
    {
        _src = src;
        _file = file;
        _opt = opt;
        var starts = new List<int> { 0 };
        for (int i = 0; i < src.Length; i++) if (src[i] == '\n') starts.Add(i + 1);
        _lineStarts = starts.ToArray();
    }

    public Loc LocOf(int offset)
    {
        int i = Array.BinarySearch(_lineStarts, offset);
        if (i < 0) i = ~i - 1;
        return new Loc(_file, i + 1, offset - _lineStarts[i] + 1);
    }

    TemplateError Error(string message, int offset, string? hint = null) => new(message, LocOf(offset), hint);

    public List<Token> Tokenize()
    {
        int pos = 0;
        bool stripNext = false, trimNewline = false;
        while (pos < _src.Length)
        {
            int open = FindOpen(pos);
            int textEnd = open < 0 ? _src.Length : open;
            var text = _src.AsSpan(pos, textEnd - pos);
            if (stripNext) text = text.TrimStart();
            else if (trimNewline)
            {
                if (text.StartsWith("\r\n")) text = text[2..];
                else if (text.StartsWith("\n")) text = text[1..];
            }
            int textOffset = textEnd - text.Length;
            stripNext = trimNewline = false;
            if (open < 0)
            {
                Emit(Tok.Text, text, textOffset);
                break;
            }
            char kind = _src[open + 1];
            char flag = open + 2 < _src.Length ? _src[open + 2] : '\0';
            if (flag == '-') text = text.TrimEnd();
            else if (kind != '{' && flag != '+' && _opt.LstripBlocks) text = LstripLine(text);
            Emit(Tok.Text, text, textOffset);
            int inner = open + 2 + (flag is '-' or '+' ? 1 : 0);

            if (kind == '#')
            {
                int close = _src.IndexOf("#}", inner, StringComparison.Ordinal);
                if (close < 0) throw Error("A comment {# is never closed with #}.", open, "Close it with #}.");
                (stripNext, trimNewline) = EdgeFlags(close, '#');
                pos = close + 2;
                continue;
            }
            if (kind == '%' && RawStart(inner) is int rawBody)
            {
                var (endOpen, endClose) = FindEndRaw(rawBody, open);
                var raw = _src.AsSpan(rawBody, endOpen - rawBody);
                // {% raw -%} strips the start of the raw text; {%- endraw %} its end. As in Jinja2, trim_blocks keeps the
                // newline after {% raw %} (the raw text is data), and lstrip_blocks strips the indent before {% endraw %}.
                if (_src[rawBody - 3] == '-') raw = raw.TrimStart();
                if (_src[endOpen + 2] == '-') raw = raw.TrimEnd();
                else if (_opt.LstripBlocks && _src[endOpen + 2] != '+') raw = LstripLine(raw);
                Emit(Tok.Text, raw, rawBody);
                (stripNext, trimNewline) = EdgeFlags(endClose, '%');
                pos = endClose + 2;
                continue;
            }
            _tokens.Add(new Token(kind == '{' ? Tok.VarStart : Tok.BlockStart, kind == '{' ? "{{" : "{%", open));
            pos = LexTag(inner, kind == '{' ? '}' : '%', open);
            (stripNext, trimNewline) = EdgeFlags(pos - 2, kind == '{' ? '}' : '%');
        }
        _tokens.Add(new Token(Tok.Eof, "", _src.Length));
        return _tokens;
    }

    /// <summary>What the closing edge of a tag asks of the text after it: "-" strips all whitespace, trim_blocks one newline.</summary>
    (bool strip, bool trim) EdgeFlags(int close, char kind)
    {
        char before = close > 0 ? _src[close - 1] : '\0';
        if (before == '-') return (true, false);
        if (kind != '}' && before != '+' && _opt.TrimBlocks) return (false, true);
        return (false, false);
    }

    static ReadOnlySpan<char> LstripLine(ReadOnlySpan<char> text)
    {
        int nl = text.LastIndexOf('\n');
        var tail = text[(nl + 1)..];
        foreach (var c in tail) if (c is not (' ' or '\t')) return text;
        return text[..(nl + 1)];
    }

    void Emit(Tok kind, ReadOnlySpan<char> text, int offset)
    {
        if (text.Length > 0) _tokens.Add(new Token(kind, text.ToString(), offset));
    }

    int FindOpen(int from)
    {
        for (int i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
            if (_src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The offset after "{% raw %}" when the tag at <paramref name="inner"/> is one, else null.</summary>
    int? RawStart(int inner)
    {
        int i = SkipSpace(inner);
        if (string.CompareOrdinal(_src, i, "raw", 0, 3) != 0) return null;
        i = SkipSpace(i + 3);
        if (i < _src.Length && _src[i] is '-' or '+') i++;
        return string.CompareOrdinal(_src, i, "%}", 0, 2) == 0 ? i + 2 : null;
    }

    (int open, int close) FindEndRaw(int from, int rawOpen)
    {
        for (int i = _src.IndexOf("{%", from, StringComparison.Ordinal); i >= 0; i = _src.IndexOf("{%", i + 2, StringComparison.Ordinal))
        {
            int j = i + 2;
            if (j < _src.Length && _src[j] is '-' or '+') j++;
            j = SkipSpace(j);
            if (string.CompareOrdinal(_src, j, "endraw", 0, 6) != 0) continue;
            j = SkipSpace(j + 6);
            if (j < _src.Length && _src[j] is '-' or '+') j++;
            if (string.CompareOrdinal(_src, j, "%}", 0, 2) == 0) return (i, j);
        }
        throw Error("{% raw %} is never closed with {% endraw %}.", rawOpen, "Add {% endraw %}.");
    }

    int SkipSpace(int i)
    {
        while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
        return i;
    }

    /// <summary>Lexes the expression tokens of one tag; returns the offset after its closing }} or %}.</summary>
    int LexTag(int i, char closer, int open)
    {
        int depth = 0;
        while (true)
        {
            i = SkipSpace(i);
            if (i >= _src.Length)
                throw Error(closer == '}' ? "An expression {{ is never closed with }}." : "A statement {% is never closed with %}.", open,
                    closer == '}' ? "Close it with }}." : "Close it with %}.");
            char c = _src[i];
            if (depth == 0)
            {
                int edge = c is '-' or '+' ? i + 1 : i;
                if (edge + 1 < _src.Length && _src[edge] == closer && _src[edge + 1] == '}')
                {
                    _tokens.Add(new Token(closer == '}' ? Tok.VarEnd : Tok.BlockEnd, closer == '}' ? "}}" : "%}", i));
                    return edge + 2;
                }
                if (closer == '}' && c == '%' && i + 1 < _src.Length && _src[i + 1] == '}')
                    throw Error("An expression {{ is closed with %}.", i, "Close {{ with }} and {% with %}.");
                if (closer == '%' && c == '}' && i + 1 < _src.Length && _src[i + 1] == '}')
                    throw Error("A statement {% is closed with }}.", i, "Close {% with %} and {{ with }}.");
            }
            if (char.IsLetter(c) || c == '_')
            {
                int s = i;
                while (i < _src.Length && (char.IsLetterOrDigit(_src[i]) || _src[i] == '_')) i++;
                _tokens.Add(new Token(Tok.Name, _src[s..i], s));
            }
            else if (char.IsAsciiDigit(c)) i = LexNumber(i);
            else if (c is '\'' or '"') i = LexString(i, c);
            else
            {
                var op = Operator(i);
                if (op is null) throw Error($"Unexpected character '{c}' in a tag.", i);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                _tokens.Add(new Token(Tok.Op, op, i));
                i += op.Length;
            }
        }
    }

    static readonly string[] Ops = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="];

    string? Operator(int i)
    {
        foreach (var op in Ops)
            if (string.CompareOrdinal(_src, i, op, 0, op.Length) == 0) return op;
        return null;
    }

    int LexNumber(int i)
    {
        int s = i;
        while (i < _src.Length && (char.IsAsciiDigit(_src[i]) || _src[i] == '_')) i++;
        bool isFloat = false;
        if (i + 1 < _src.Length && _src[i] == '.' && char.IsAsciiDigit(_src[i + 1]))
        {
            isFloat = true;
            i++;
            while (i < _src.Length && (char.IsAsciiDigit(_src[i]) || _src[i] == '_')) i++;
        }
        if (i < _src.Length && _src[i] is 'e' or 'E')
        {
            int j = i + 1;
            if (j < _src.Length && _src[j] is '+' or '-') j++;
            if (j < _src.Length && char.IsAsciiDigit(_src[j]))
            {
                isFloat = true;
                i = j;
                while (i < _src.Length && char.IsAsciiDigit(_src[i])) i++;
            }
        }
        _tokens.Add(new Token(isFloat ? Tok.Float : Tok.Int, _src[s..i].Replace("_", ""), s));
        return i;
    }

    int LexString(int i, char q)
    {
        int s = i++;
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= _src.Length) throw Error("A string is never closed.", s, $"Close it with {q}.");
            char c = _src[i++];
            if (c == q) break;
            if (c != '\\') { sb.Append(c); continue; }
            if (i >= _src.Length) throw Error("A string is never closed.", s, $"Close it with {q}.");
            char e = _src[i++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\n': break;
                case 'x' when i + 2 <= _src.Length && IsHex(i, 2): sb.Append((char)Convert.ToInt32(_src.Substring(i, 2), 16)); i += 2; break;
                case 'u' when i + 4 <= _src.Length && IsHex(i, 4): sb.Append((char)Convert.ToInt32(_src.Substring(i, 4), 16)); i += 4; break;
                default: sb.Append('\\').Append(e); break; // Python keeps unknown escapes (regexes: '\d')
            }
        }
        _tokens.Add(new Token(Tok.String, sb.ToString(), s));
        return i;
    }

    bool IsHex(int i, int n)
    {
        for (int k = 0; k < n; k++) if (!char.IsAsciiHexDigit(_src[i + k])) return false;
        return true;
    }
}
