using System.Text;
using Resh.Core.Errors;

namespace Resh.Core.Grammar;

/// <summary>
/// Splits <c>SCHEME://TARGET[.VERB][(ARG,...)]</c> (SPEC §1). The argument list is the parenthesised
/// group that ends the stage; values may be quoted ("..." with backslash escapes, or '...'),
/// may contain balanced parentheses (<c>sql=SELECT COUNT(*) FROM t</c>), and <c>key:=</c> takes a JSON value.
/// </summary>
public static class StageParser
{
    public static bool LooksLikeStage(string token)
    {
        var i = token.IndexOf("://", StringComparison.Ordinal);
        return i > 0 && IsScheme(token.AsSpan(0, i));
    }

    public static StageSyntax Parse(string stage)
    {
        var sep = stage.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0 || !IsScheme(stage.AsSpan(0, sep)))
            throw ReshError.Usage($"`{Clip(stage)}` is not a stage; a stage looks like scheme://target.verb.",
                "Example: resh file:///etc/hosts.read").ToException();
        var scheme = stage[..sep].ToLowerInvariant();
        var body = stage[(sep + 3)..];

        if (body.EndsWith(')'))
        {
            for (int p = body.IndexOf('('); p >= 0; p = body.IndexOf('(', p + 1))
            {
                if (TryParseArgList(body, p, out var pieces))
                    return new StageSyntax(scheme, body[..p], pieces, true);
            }
            throw ReshError.Usage("The argument list in parentheses is not closed properly.",
                "Quote values that contain commas or parentheses: (key=\"a,b\").").ToException();
        }
        if (body.Contains('(') && body.IndexOf('(') > body.LastIndexOf('.'))
        {
            // `x.verb(a=1` : an opened list that never closes is a typo, not part of the target.
            var open = body.LastIndexOf('(');
            if (body.IndexOf(')', open) < 0 && body[(open + 1)..].Contains('='))
                throw ReshError.Usage("The argument list in parentheses is missing its closing `)`.",
                    "Close it, and quote the whole stage for the shell: 'scheme://t.verb(k=v)'.").ToException();
        }
        return new StageSyntax(scheme, body, [], false);
    }

    /// <summary>
    /// Where the stage's argument list begins: the index in <paramref name="stage"/> of the <c>(</c> that opens it, or -1.
    /// The list follows the verb (<c>.list(</c>, <c>.nice.set(</c>): its <c>(</c> is the target's first bracket and comes
    /// right after <c>.NAME</c>. Closed or still being typed (<c>proc://.list(ma</c>, as completion sees it), the answer is the
    /// same; a bracket inside a name (<c>file:///tmp/a(b</c>, <c>file:///tmp/[x].read(</c>) opens no list here, so a
    /// caller escapes it. <see cref="Parse"/> reads a closed list from this <c>(</c>.
    /// </summary>
    public static int ArgumentsAt(string stage)
    {
        var sep = stage.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0 || !IsScheme(stage.AsSpan(0, sep))) return -1;
        var body = sep + 3;
        var rel = stage.AsSpan(body).IndexOfAny("()[]");
        if (rel < 0) return -1;
        var at = body + rel;
        if (stage[at] != '(') return -1;
        var name = at;
        while (name > body && (char.IsAsciiLetterOrDigit(stage[name - 1]) || stage[name - 1] is '-' or '_')) name--;
        return name < at && name > body && stage[name - 1] == '.' ? at : -1;
    }

    static bool IsScheme(ReadOnlySpan<char> s)
    {
        if (s.Length == 0 || !char.IsAsciiLetter(s[0])) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '.' or '-')) return false;
        return true;
    }

    /// <summary>Parses body[open..] as an argument list that must close exactly at the last character.</summary>
    internal static bool TryParseArgList(string body, int open, out List<ArgPiece> pieces)
    {
        pieces = [];
        int i = open + 1;
        int end = body.Length - 1; // the final ')'
        if (i == end) return true; // "()"
        while (true)
        {
            if (!TryParsePiece(body, ref i, end, out var piece)) return false;
            pieces.Add(piece);
            if (i == end) return true;
            if (i > end || body[i] != ',') return false;
            i++; // skip ','
        }
    }

    static bool TryParsePiece(string s, ref int i, int end, out ArgPiece piece)
    {
        piece = null!;
        // Key: letters, digits, '_', '-', '.' up to '=' or ':='.
        int k = i;
        while (k < end && (char.IsAsciiLetterOrDigit(s[k]) || s[k] is '_' or '-' or '.')) k++;
        string? key = null;
        bool json = false;
        int v = i;
        if (k > i && k < end && s[k] == '=') { key = s[i..k]; v = k + 1; }
        else if (k > i && k + 1 < end && s[k] == ':' && s[k + 1] == '=') { key = s[i..k]; v = k + 2; json = true; }

        var value = new StringBuilder();
        bool quoted = false;
        int p = v;
        if (!json && p < end && (s[p] == '"' || s[p] == '\''))
        {
            quoted = true;
            var q = s[p++];
            while (true)
            {
                if (p >= end) return false;
                var c = s[p];
                if (c == q) { p++; break; }
                if (q == '"' && c == '\\' && p + 1 < end) { value.Append(Unescape(s[p + 1])); p += 2; continue; }
                value.Append(c);
                p++;
            }
            // Only whitespace may follow a closing quote before the next separator.
            while (p < end && s[p] == ' ') p++;
            if (p < end && s[p] != ',') return false;
        }
        else
        {
            int depth = 0;
            bool inJsonString = false;
            while (p < end || (p == end && depth > 0))
            {
                var c = s[p];
                if (json && inJsonString)
                {
                    if (c == '\\' && p + 1 <= end) { value.Append(c).Append(s[p + 1]); p += 2; continue; }
                    if (c == '"') inJsonString = false;
                }
                else if (json && c == '"') inJsonString = true;
                else if (c is '(' or '[' or '{') depth++;
                else if (c is ')' or ']' or '}')
                {
                    if (depth == 0) return false; // a ')' that closes the list before its end
                    depth--;
                }
                else if (c == ',' && depth == 0) break;
                value.Append(c);
                p++;
            }
            if (depth != 0 || inJsonString) return false;
        }
        i = p;
        piece = new ArgPiece(key, value.ToString(), json, quoted);
        return true;
    }

    static char Unescape(char c) => c switch
    {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '0' => '\0',
        _ => c,
    };

    static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
