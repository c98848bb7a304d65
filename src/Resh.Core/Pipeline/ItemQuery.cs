using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Values;

namespace Resh.Core.Pipeline;

/// <summary>
/// The expression of <c>where</c>: <c>FIELD OP VALUE</c> comparisons joined by <c>and</c>/<c>or</c>/<c>not</c> (also
/// <c>&amp;&amp;</c>, <c>||</c>, <c>!</c>) and parentheses; a bare FIELD tests truthiness. Operators: == != &lt; &lt;= &gt; &gt;=,
/// =~ and !~ (regular expressions, bounded in time), contains. VALUE is a literal: "quoted" or 'quoted' text, a number,
/// a size (10MiB, 1.5GB, 512k), a duration (5m, 2h, 500ms), true/false, null, or a bare word (text).
/// Comparisons are typed by the field's value: numbers numerically, sizes in bytes (a field holding "10MiB" or a
/// number of bytes), durations in seconds (a field holding "5m", or a number of seconds, or of ms for *_ms), text
/// ordinally. An item without the field does not match.
/// </summary>
public abstract class ItemQuery
{
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    public abstract bool Matches(JsonObject item);

    /// <summary>The fields the expression reads.</summary>
    public abstract IEnumerable<string> Fields { get; }

    public static ItemQuery Parse(string text)
    {
        var tokens = Lex(text);
        if (tokens.Count == 0) throw Usage("`where` needs an expression.", "Example: where rss > 100MiB and name == \"nginx\"");
        var p = new Parser(tokens);
        var q = p.Or();
        if (p.Pos < tokens.Count)
            throw Usage($"Unexpected `{tokens[p.Pos].Text}` in the `where` expression.", "Join comparisons with and/or; quote text that holds spaces or operators.");
        return q;
    }

    static ReshException Usage(string message, string hint) => ReshError.Usage(message, hint).ToException();

    /// <summary>
    /// Text that is a point in time: an RFC 3339 / ISO 8601 date or date-time (<c>2026-12-01</c>,
    /// <c>2026-12-01T10:00:00Z</c>); without an offset it is UTC. Anything else (a duration, a name) is not.
    /// </summary>
    internal static DateTimeOffset? TimeOf(string s)
    {
        if (s.Length < 10 || s.Length > 40 || !char.IsAsciiDigit(s[0]) || !char.IsAsciiDigit(s[3]) || s[4] != '-' || s[7] != '-') return null;
        if (s.Length > 10 && s[10] is not ('T' or 't' or ' ')) return null;
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
    }

    enum Kind { Word, String, Op, Open, Close }

    readonly record struct Token(Kind Kind, string Text);

    static List<Token> Lex(string s)
    {
        var list = new List<Token>();
        int i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '(') { list.Add(new(Kind.Open, "(")); i++; continue; }
            if (c == ')') { list.Add(new(Kind.Close, ")")); i++; continue; }
            if (c is '"' or '\'')
            {
                var sb = new StringBuilder();
                int j = i + 1;
                while (j < s.Length && s[j] != c)
                {
                    if (c == '"' && s[j] == '\\' && j + 1 < s.Length) j++;
                    sb.Append(s[j++]);
                }
                if (j >= s.Length) throw Usage($"A quote ({c}) in the `where` expression is not closed.", "Close the quote.");
                list.Add(new(Kind.String, sb.ToString()));
                i = j + 1;
                continue;
            }
            var two = i + 1 < s.Length ? s.Substring(i, 2) : "";
            if (two is "==" or "!=" or "<=" or ">=" or "=~" or "!~" or "&&" or "||") { list.Add(new(Kind.Op, two)); i += 2; continue; }
            if (c is '<' or '>' or '!') { list.Add(new(Kind.Op, c.ToString())); i++; continue; }
            if (c is '=' or '&' or '|')
                throw Usage($"`{c}` is not an operator of `where`.", c == '=' ? "Compare with == (equal) or =~ (regular expression)." : "Join comparisons with and / or (&& / ||).");
            int k = i;
            while (k < s.Length && !char.IsWhiteSpace(s[k]) && s[k] is not ('(' or ')' or '"' or '\'' or '=' or '!' or '<' or '>' or '&' or '|')) k++;
            list.Add(new(Kind.Word, s[i..k]));
            i = k;
        }
        return list;
    }

    sealed class Parser(List<Token> t)
    {
        public int Pos;

        Token? Peek => Pos < t.Count ? t[Pos] : null;

        bool IsKeyword(string a, string b) => Peek is { } p && (p.Kind == Kind.Word && p.Text.Equals(a, StringComparison.OrdinalIgnoreCase) || p.Kind == Kind.Op && p.Text == b);

        public ItemQuery Or()
        {
            var left = And();
            while (IsKeyword("or", "||")) { Pos++; left = new Either(left, And()); }
            return left;
        }

        ItemQuery And()
        {
            var left = Unary();
            while (IsKeyword("and", "&&")) { Pos++; left = new Both(left, Unary()); }
            return left;
        }

        // Parsing and evaluating recurse: bounded, or a hostile expression (60,000 nested parentheses) overflows the stack and
        // takes the process down, a whole `resh batch` with it (s40 attacker).
        const int MaxDepth = 64, MaxTerms = 1000;
        int _depth, _terms;

        ItemQuery Unary()
        {
            if (++_terms > MaxTerms) throw Usage($"The `where` expression has more than {MaxTerms} terms.", "Split it into several `where` stages.");
            if (++_depth > MaxDepth) throw Usage($"The `where` expression nests deeper than {MaxDepth} levels.", "Write it with fewer parentheses and `not`s.");
            try { return UnaryInner(); }
            finally { _depth--; }
        }

        ItemQuery UnaryInner()
        {
            if (IsKeyword("not", "!")) { Pos++; return new Not(Unary()); }
            if (Peek is { Kind: Kind.Open })
            {
                Pos++;
                var inner = Or();
                if (Peek is not { Kind: Kind.Close }) throw Usage("A `(` in the `where` expression is not closed.", "Close it with `)`.");
                Pos++;
                return inner;
            }
            if (Peek is not { Kind: Kind.Word } field)
                throw Usage(Peek is null ? "The `where` expression ends too early." : $"`{Peek.Value.Text}` is not a field name.",
                    "A comparison starts with a field: where size > 10MiB");
            Pos++;
            string? op = null;
            if (Peek is { Kind: Kind.Op } o && o.Text is "==" or "!=" or "<" or "<=" or ">" or ">=" or "=~" or "!~") op = o.Text;
            else if (Peek is { Kind: Kind.Word } w && w.Text.Equals("contains", StringComparison.OrdinalIgnoreCase)) op = "contains";
            if (op is null) return new Truthy(field.Text);
            Pos++;
            if (Peek is not { Kind: Kind.Word or Kind.String } value)
                throw Usage($"`{field.Text} {op}` needs a value.", $"Example: where {field.Text} {op} {(op is "=~" or "!~" ? "\"^web\"" : "10")}");
            Pos++;
            var lit = Literal.Of(value.Text, value.Kind == Kind.String);
            if (Peek is { Kind: Kind.Word } ago && ago.Text.Equals("ago", StringComparison.OrdinalIgnoreCase))
            {
                // `mtime > 1h ago`: a time within the last hour (s41, D12).
                Pos++;
                if (lit.Seconds is null || lit.Quoted || op is "=~" or "!~" or "contains")
                    throw Usage($"`{value.Text} ago` is not a time to compare with {op}.", $"Write a duration before ago and compare with < or >: where {field.Text} > 1h ago");
                lit = lit with { Ago = true };
            }
            return new Compare(field.Text, op, lit);
        }
    }

    sealed class Either(ItemQuery a, ItemQuery b) : ItemQuery
    {
        public override bool Matches(JsonObject item) => a.Matches(item) || b.Matches(item);
        public override IEnumerable<string> Fields => a.Fields.Concat(b.Fields);
    }

    sealed class Both(ItemQuery a, ItemQuery b) : ItemQuery
    {
        public override bool Matches(JsonObject item) => a.Matches(item) && b.Matches(item);
        public override IEnumerable<string> Fields => a.Fields.Concat(b.Fields);
    }

    sealed class Not(ItemQuery a) : ItemQuery
    {
        public override bool Matches(JsonObject item) => !a.Matches(item);
        public override IEnumerable<string> Fields => a.Fields;
    }

    sealed class Truthy(string name) : ItemQuery
    {
        public override bool Matches(JsonObject item)
        {
            if (!ItemFields.TryGet(item, name, out var v, out _) || v is null) return false;
            if (v is JsonValue jv)
                return jv.GetValueKind() switch
                {
                    JsonValueKind.False => false,
                    JsonValueKind.Number => ItemFields.Number(jv) != 0,
                    JsonValueKind.String => jv.GetValue<string>().Length > 0,
                    _ => true,
                };
            return v is not JsonArray { Count: 0 };
        }

        public override IEnumerable<string> Fields => [name];
    }

    /// <summary>A literal with every reading it has: text always; a number, size, duration, bool or null when it reads as one.</summary>
    internal sealed record Literal(string Text, bool Quoted, double? Number, long? Bytes, double? Seconds, bool? Bool, bool IsNull, bool HasUnit)
    {
        /// <summary>`1h ago`: the time that long before the filter was read.</summary>
        public bool Ago { get; init; }
        /// <summary>The literal read as a point in time (2026-12-01, 2026-12-01T10:00:00Z), when it is one.</summary>
        public DateTimeOffset? Time => TimeOf(Text);

        public static Literal Of(string text, bool quoted)
        {
            double? number = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && !text.Contains('e', StringComparison.OrdinalIgnoreCase) ? n : null;
            var hasUnit = text.Length > 0 && char.IsAsciiDigit(text[0]) && char.IsAsciiLetter(text[^1]);
            long? bytes = hasUnit && SizeValue.TryParse(text, out var b) ? b : null;
            double? seconds = hasUnit && DurationValue.TryParse(text, out var d) ? d.TotalSeconds : null;
            bool? boolean = quoted ? null : text.ToLowerInvariant() switch { "true" => true, "false" => false, _ => null };
            return new Literal(text, quoted, number, bytes, seconds, boolean, !quoted && text == "null", hasUnit && (bytes is not null || seconds is not null));
        }
    }

    sealed class Compare : ItemQuery
    {
        readonly string _field, _op;
        readonly Literal _lit;
        readonly Regex? _regex;

        public Compare(string field, string op, Literal lit)
        {
            _field = field;
            _op = op;
            _lit = lit;
            if (op is "=~" or "!~")
            {
                try { _regex = new Regex(lit.Text, RegexOptions.CultureInvariant, RegexTimeout); }
                catch (ArgumentException ex)
                {
                    throw Usage($"`{lit.Text}` is not a valid regular expression: {ExceptionTranslation.OneLine(ex.Message)}", "Quote the pattern: where name =~ \"^web[0-9]+$\"");
                }
            }
            else if (!lit.HasUnit && lit.Number is null && lit.Bool is null && !lit.IsNull && op is "<" or "<=" or ">" or ">=" && !lit.Quoted && lit.Time is null
                     && lit.Text.Length > 0 && char.IsAsciiDigit(lit.Text[0]))
                throw Usage($"`{lit.Text}` is neither a number, a size nor a duration.", "Sizes: 512k, 10MiB, 1.5GB; durations: 500ms, 5m, 2h; times: 2026-12-01, 2026-12-01T10:00:00Z, 1h ago.");
        }

        public override IEnumerable<string> Fields => [_field];

        /// <summary>`now` for `ago`: one instant for every item of the run.</summary>
        readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override bool Matches(JsonObject item)
        {
            if (!ItemFields.TryGet(item, _field, out var v, out var key)) return false;
            if (_regex is null && _op != "contains" && !_lit.IsNull && v is JsonValue tv && tv.GetValueKind() == JsonValueKind.String && TimeOf(tv.GetValue<string>()) is { } ft)
            {
                // A timestamp (RFC 3339, as every resh result writes times): compared as a time, never as text or a duration.
                if (_lit.Ago) return Order(ft.CompareTo(_now - TimeSpan.FromSeconds(_lit.Seconds!.Value)));
                if (_lit.Time is { } lt) return Order(ft.CompareTo(lt));
                if (_lit.Seconds is not null)
                    throw Usage($"`{_field}` holds a time ({Clip(tv.GetValue<string>())}) and `{_lit.Text}` is a duration, so `{_field} {_op} {_lit.Text}` compares nothing.",
                        $"For a time within the last {_lit.Text}: where {_field} > {_lit.Text} ago (older than that: where {_field} < {_lit.Text} ago).");
                if (_op is "<" or "<=" or ">" or ">=")
                {
                    // Quoted ("7d ago", "2026-12-01"): still a time, never an ordering of texts, which would match at random.
                    var text = _lit.Text.Trim();
                    if (TimeOf(text) is { } qt) return Order(ft.CompareTo(qt));
                    if (text.EndsWith(" ago", StringComparison.OrdinalIgnoreCase) && DurationValue.TryParse(text[..^4].Trim(), out var qd))
                        return Order(ft.CompareTo(_now - qd));
                    throw Usage($"`{_field}` holds a time ({Clip(tv.GetValue<string>())}) and `{Clip(_lit.Text)}` is not one, so `{_field} {_op}` compares nothing.",
                        $"Times: 2026-12-01, 2026-12-01T10:00:00Z, or a duration ago: where {_field} < 7d ago");
                }
                return Texts(v);
            }
            if (_lit.Ago)
                throw Usage($"`{_field}` holds {(v is null ? "null" : $"`{Clip(ItemFields.Text(v))}`")}, not a time, so `{_lit.Text} ago` cannot be compared with it.",
                    "`ago` compares a timestamp field (mtime, started_at, ...): where mtime > 1h ago");
            if (_regex is not null)
            {
                if (v is null) return false;
                bool m;
                try { m = _regex.IsMatch(ItemFields.Text(v)); }
                catch (RegexMatchTimeoutException) { throw Usage($"The pattern `{_lit.Text}` took too long on a value of {_field}.", "Simplify the regular expression."); }
                return _op == "=~" ? m : !m;
            }
            if (_op == "contains")
            {
                return v switch
                {
                    JsonArray a => a.Any(x => x is not null && ItemFields.Text(x) == _lit.Text),
                    null => false,
                    _ => ItemFields.Text(v).Contains(_lit.Text, StringComparison.Ordinal),
                };
            }
            if (_lit.IsNull) return _op switch { "==" => v is null, "!=" => v is not null, _ => false };
            if (v is null) return _op == "!=";
            var kind = v is JsonValue jv ? jv.GetValueKind() : JsonValueKind.Object;
            if (kind is JsonValueKind.True or JsonValueKind.False || _lit.Bool is not null)
            {
                bool? fv = kind is JsonValueKind.True ? true : kind is JsonValueKind.False ? false
                    : kind == JsonValueKind.String && BoolValue.TryParse(v.GetValue<string>(), out var pb) ? pb : null;
                bool? lv = _lit.Bool ?? (BoolValue.TryParse(_lit.Text, out var lb) ? lb : null);
                if (fv is null || lv is null) return Texts(v);
                return _op switch { "==" => fv == lv, "!=" => fv != lv, _ => false };
            }
            var unit = FieldUnits.ByName(key);
            // A duration written as text against a duration (`age < 1h` with age "10m"): seconds, unless the field holds bytes.
            if (_lit.Seconds is { } lsec && unit != UnitAttribute.Bytes && kind == JsonValueKind.String && DurationValue.TryParse(v.GetValue<string>(), out var fd))
                return Order(fd.TotalSeconds.CompareTo(lsec));
            // A size literal (or any literal, on a field that holds bytes), both ways: a number of bytes or a size text.
            if (_lit.Bytes is { } lb2 && (unit == UnitAttribute.Bytes || _lit.Seconds is null || kind == JsonValueKind.String && SizeValue.TryParse(v.GetValue<string>(), out _)))
                return Bytes(v, kind) is { } fb && Order(fb.CompareTo(lb2));
            if (_lit.Seconds is { } ls)
                return Seconds(v, kind, unit) is { } fs && Order(fs.CompareTo(ls));
            if (kind == JsonValueKind.Number)
            {
                var fv = ItemFields.Number(v);
                if (_lit.Number is { } ln) return Order(fv.CompareTo(ln));
                if (double.TryParse(_lit.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var qn)) return Order(fv.CompareTo(qn));
                if (SizeValue.TryParse(_lit.Text, out var qb)) return Order(fv.CompareTo(qb));
                return _op == "!=";
            }
            if (kind == JsonValueKind.String && _lit.Number is { } num && !_lit.Quoted)
            {
                var s = v.GetValue<string>();
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var sn)) return Order(sn.CompareTo(num));
                if (SizeValue.TryParse(s, out var sb)) return Order(((double)sb).CompareTo(num));
            }
            return Texts(v);
        }

        bool Texts(JsonNode v) => Order(string.CompareOrdinal(ItemFields.Text(v), _lit.Text));

        bool Order(int c) => _op switch
        {
            "==" => c == 0,
            "!=" => c != 0,
            "<" => c < 0,
            "<=" => c <= 0,
            ">" => c > 0,
            ">=" => c >= 0,
            _ => false,
        };

        static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;

        static double? Bytes(JsonNode v, JsonValueKind kind) =>
            kind == JsonValueKind.Number ? ItemFields.Number(v)
            : kind == JsonValueKind.String && SizeValue.TryParse(v.GetValue<string>(), out var b) ? b : null;

        static double? Seconds(JsonNode v, JsonValueKind kind, string? unit) =>
            kind == JsonValueKind.Number ? (unit == UnitAttribute.Milliseconds ? ItemFields.Number(v) / 1000 : ItemFields.Number(v))
            : kind == JsonValueKind.String && DurationValue.TryParse(v.GetValue<string>(), out var d) ? d.TotalSeconds : null;
    }
}
