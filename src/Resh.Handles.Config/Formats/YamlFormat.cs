using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Output;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Resh.Handles.Config.Formats;

/// <summary>
/// YAML through YamlDotNet's parser events, whose marks give each node's place in the text: an edit splices
/// that text only, so comments, anchors, quoting and indentation elsewhere stay. A stream of several
/// documents is refused (usage), not half-edited. Aliases are expanded when reading, within a budget (a billion-laughs
/// file is refused, not expanded); the merge key <c>&lt;&lt;</c> is honoured.
/// </summary>
internal sealed partial class YamlFormat : TreeFormat
{
    public static readonly YamlFormat Instance = new();
    /// <summary>
    /// Reads plain scalars by YAML 1.1's implicit types, exactly as PyYAML's resolver (what Ansible reads vars files with):
    /// yes/no/on/off are booleans, 0644 is octal, 1_000 and 1:30 (base 60) are integers. Only template vars use it.
    /// </summary>
    public static readonly YamlFormat Yaml11 = new() { Is11 = true };
    bool Is11 { get; init; }
    /// <summary>Reading expands aliases into at most this many nodes.</summary>
    public const long MaxNodes = 1_000_000;

    public override string Name => "yaml";

    sealed class Alias(SNode target) { public SNode Target { get; } = target; }

    public override JsonNode? Read(string text)
    {
        var root = ParseTree(text);
        long budget = MaxNodes;
        return ToData(root, 0, ref budget);
    }

    static JsonNode? ToData(SNode n, int depth, ref long budget)
    {
        if (--budget < 0)
            throw ReshError.Usage($"The YAML document expands to more than {MaxNodes:N0} nodes through its aliases; refusing to expand it (a \"billion laughs\" document?).",
                "Check where the file came from.").ToException();
        if (depth > MaxDepth) throw Invalid("YAML", $"nested deeper than {MaxDepth} levels (through aliases)");
        if (n.Tag is Alias a) return ToData(a.Target, depth + 1, ref budget);
        switch (n.Kind)
        {
            case NodeKind.Seq:
                var arr = new JsonArray();
                foreach (var item in n.Items) arr.Add(ToData(item, depth + 1, ref budget));
                return arr;
            case NodeKind.Map:
                var obj = new JsonObject();
                var merged = new List<JsonObject>();
                var own = new List<(string Key, JsonNode? Value)>();
                foreach (var e in n.Entries)
                {
                    var v = ToData(e.Value, depth + 1, ref budget);
                    if (e.Key == "<<" && v is JsonObject or JsonArray)
                    {
                        if (v is JsonObject mo) merged.Add(mo);
                        else foreach (var m in (JsonArray)v!) if (m is JsonObject mo2) merged.Add(mo2);
                        continue;
                    }
                    own.Add((e.Key, v));
                }
                // As PyYAML: the merged keys come first (a later map of `<<: [a, b]` first, an earlier one overriding it),
                // then the mapping's own keys, which override a merged value in its place (s36 user #8).
                for (int i = merged.Count - 1; i >= 0; i--)
                    foreach (var (k, v) in merged[i].ToList()) obj[k] = v?.DeepClone();
                foreach (var (k, v) in own) obj[k] = v;
                return obj;
            default:
                return n.Scalar?.DeepClone();
        }
    }

    protected override SNode ParseTree(string text)
    {
        var anchors = new Dictionary<string, SNode>(StringComparer.Ordinal);
        var stack = new Stack<(SNode Node, string? Key, int KeyStart, int KeyEnd)>();
        SNode? root = null;
        Scanner? scanner = null;
        try
        {
            scanner = new Scanner(new StringReader(text));
            var parser = new Parser(scanner);
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                if (ev is StreamStart or DocumentStart or Comment) continue;
                if (ev is DocumentEnd or StreamEnd)
                {
                    // Only one document is read and edited: a stream of several is refused rather than half-edited.
                    int documents = 1;
                    while (parser.MoveNext()) if (parser.Current is DocumentStart) documents++;
                    if (documents > 1)
                        throw ReshError.Usage($"The YAML file holds {documents} documents (separated by ---); config:// reads and edits a file of one document.",
                            "Split the documents into files (one per resource), edit the one you mean, and join them again.",
                            new JsonObject { ["documents"] = documents }).ToException();
                    break;
                }
                if (ev is MappingEnd or SequenceEnd)
                {
                    var (done, _, _, _) = stack.Pop();
                    if (done.Flow) done.End = FlowEnd(text, (int)ev.Start.Index); // the end event's mark is at the bracket: the node ends after it
                    Attach(done);
                    continue;
                }
                SNode node;
                switch (ev)
                {
                    case MappingStart ms:
                        node = new SNode { Kind = NodeKind.Map, Start = (int)ms.Start.Index, End = (int)ms.End.Index, Flow = ms.Style == MappingStyle.Flow };
                        Anchor(ms.Anchor, node);
                        if (stack.Count >= MaxDepth) throw Invalid("YAML", $"nested deeper than {MaxDepth} levels");
                        stack.Push((node, null, 0, 0));
                        continue;
                    case SequenceStart ss:
                        node = new SNode { Kind = NodeKind.Seq, Start = (int)ss.Start.Index, End = (int)ss.End.Index, Flow = ss.Style == SequenceStyle.Flow };
                        Anchor(ss.Anchor, node);
                        if (stack.Count >= MaxDepth) throw Invalid("YAML", $"nested deeper than {MaxDepth} levels");
                        stack.Push((node, null, 0, 0));
                        continue;
                    case Scalar sc:
                        node = ScalarNode(text, sc, Is11);
                        Anchor(sc.Anchor, node);
                        break;
                    case AnchorAlias al:
                        if (!anchors.TryGetValue(al.Value.Value, out var target))
                            throw Invalid("YAML", $"the alias *{al.Value.Value} names no anchor defined before it", (int)al.Start.Line);
                        node = new SNode { Kind = target.Kind, Start = (int)al.Start.Index, End = (int)al.End.Index, Tag = new Alias(target), Quote = '*' };
                        break;
                    default:
                        continue;
                }
                Attach(node);
            }
        }
        catch (YamlException ex)
        {
            throw Invalid("YAML", ex.Message.Split('\n')[0].Trim(), (int)ex.Start.Line);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // The parser's own state errors ("Operation is not valid due to the current state of the object") say nothing
            // a user can act on: name where the scanner stopped instead.
            var at = scanner?.CurrentPosition;
            var why = ex is InvalidOperationException
                ? $"the structure is broken near column {at?.Column ?? 0} (an unclosed [ or {{, a key indented wrongly, or a tab used for indentation)"
                : ex.Message.Split('\n')[0].Trim();
            throw Invalid("YAML", why, at is { } m ? (int)m.Line : null);
        }
        return root ?? new SNode { Kind = NodeKind.Map, Start = 0, End = 0 };

        void Anchor(AnchorName name, SNode node)
        {
            if (!name.IsEmpty) anchors[name.Value] = node;
        }

        void Attach(SNode node)
        {
            if (stack.Count == 0) { root ??= node; return; }
            var (parent, key, ks, ke) = stack.Pop();
            if (parent.Kind == NodeKind.Map && key is not null && node.Kind == NodeKind.Scalar && node.Tag is null && node.Start == node.End && node.Scalar is null)
            {
                // An empty value: its mark is where the next token starts; the value's place is just after the colon.
                var colon = text.IndexOf(':', ke);
                node.Start = node.End = colon < 0 ? ke : colon + 1;
            }
            if (!parent.Flow) parent.End = Math.Max(parent.End, node.End);
            if (parent.Kind == NodeKind.Seq)
            {
                if (!parent.Flow && parent.Items.Count == 0) parent.Column = DashColumn(text, node.Start);
                parent.Items.Add(node);
                stack.Push((parent, null, 0, 0));
                return;
            }
            if (key is null)
            {
                if (node.Kind != NodeKind.Scalar || node.Tag is Alias)
                    throw Invalid("YAML", "a key that is a collection or an alias (not supported for editing)");
                if (!parent.Flow && parent.Entries.Count == 0) parent.Column = TextSpans.Column(text, node.Start);
                stack.Push((parent, node.Scalar?.ToString() ?? "null", node.Start, node.End));
                return;
            }
            parent.Entries.Add(new SEntry(key, ks, ke, node));
            stack.Push((parent, null, 0, 0));
        }
    }

    static int FlowEnd(string text, int mark)
    {
        while (mark < text.Length && text[mark] is not (']' or '}')) mark++;
        return Math.Min(mark + 1, text.Length);
    }

    static int DashColumn(string text, int itemStart)
    {
        var i = itemStart - 1;
        while (i >= 0 && text[i] != '-' && text[i] != '\n') i--;
        return i >= 0 && text[i] == '-' ? TextSpans.Column(text, i) : TextSpans.Column(text, itemStart);
    }

    static SNode ScalarNode(string text, Scalar sc, bool yaml11)
    {
        int start = (int)sc.Start.Index, end = (int)sc.End.Index;
        // Skip the node's properties (&anchor, !tag): an edit replaces the value and keeps them.
        while (start < end && text[start] is '&' or '!')
        {
            while (start < end && !char.IsWhiteSpace(text[start])) start++;
            while (start < end && text[start] is ' ' or '\t') start++;
        }
        var quote = sc.Style switch
        {
            ScalarStyle.DoubleQuoted => '"',
            ScalarStyle.SingleQuoted => '\'',
            ScalarStyle.Literal => '|',
            ScalarStyle.Folded => '>',
            _ => '\0',
        };
        if (quote is '|' or '>') while (end > start && text[end - 1] is '\n' or '\r' or ' ' or '\t') end--;
        JsonNode? data;
        if (quote != '\0' || (!sc.Tag.IsEmpty && !sc.Tag.IsNonSpecific && sc.Tag.Value is "tag:yaml.org,2002:str" or "!!str")) data = JsonValue.Create(sc.Value);
        else data = yaml11 ? Yaml11Value(sc.Value) : PlainValue(sc.Value);
        return new SNode { Kind = NodeKind.Scalar, Start = start, End = end, Quote = quote, Scalar = data };
    }

    /// <summary>A plain scalar typed by the YAML 1.2 core schema.</summary>
    public static JsonNode? PlainValue(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF": return JsonValue.Create(double.PositiveInfinity.ToString(CultureInfo.InvariantCulture));
            case "-.inf" or "-.Inf" or "-.INF": return JsonValue.Create(double.NegativeInfinity.ToString(CultureInfo.InvariantCulture));
            case ".nan" or ".NaN" or ".NAN": return JsonValue.Create("NaN");
        }
        var c0 = s[0];
        if (!(char.IsAsciiDigit(c0) || ((c0 is '-' or '+' or '.') && s.Length > 1))) return JsonValue.Create(s);
        if (s.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex)) return JsonValue.Create(hex);
        if (s.StartsWith("0o", StringComparison.Ordinal))
        {
            try { return JsonValue.Create(Convert.ToInt64(s[2..], 8)); } catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { }
        }
        bool intLike = true;
        for (int i = c0 is '-' or '+' ? 1 : 0; i < s.Length; i++) if (!char.IsAsciiDigit(s[i])) { intLike = false; break; }
        if (intLike && s.Length > (c0 is '-' or '+' ? 1 : 0)) return JsonText.Number(s.TrimStart('+'));
        if (IsFloat(s)) return JsonValue.Create(double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));
        return JsonValue.Create(s);
    }

    /// <summary>
    /// A plain scalar typed by PyYAML's YAML 1.1 resolver (resolver.py) and constructors (constructor.py): the same
    /// patterns in the same order. Timestamps stay strings (a date prints the same, a time is written as Python's str() of
    /// the datetime); .inf and .nan become the strings Python prints for them.
    /// </summary>
    public static JsonNode? Yaml11Value(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON": return JsonValue.Create(true);
            case "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF": return JsonValue.Create(false);
        }
        if (Yaml11Float().IsMatch(s))
        {
            var f = s.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
            var sign = 1.0;
            if (f[0] is '-' or '+') { if (f[0] == '-') sign = -1; f = f[1..]; }
            if (f == ".inf") return JsonValue.Create(sign < 0 ? "-inf" : "inf");
            if (f == ".nan") return JsonValue.Create("nan");
            if (f.Contains(':'))
            {
                double value = 0;
                foreach (var part in f.Split(':')) value = value * 60 + double.Parse(part, NumberStyles.Float, CultureInfo.InvariantCulture);
                return JsonValue.Create(sign * value);
            }
            var d = sign * double.Parse(f, NumberStyles.Float, CultureInfo.InvariantCulture);
            return double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(d > 0 ? "inf" : "-inf");
        }
        if (Yaml11Int().IsMatch(s))
        {
            var t = s.Replace("_", "", StringComparison.Ordinal);
            var negative = false;
            if (t[0] is '-' or '+') { negative = t[0] == '-'; t = t[1..]; }
            // Python refuses int <-> str beyond 4300 digits (CVE-2020-10735): a bigger integer is a usage error here too,
            // and the digits are taken in machine-word chunks, so no scalar costs more than microseconds (s36 attacker #7).
            var digits = t.Length - (t.StartsWith("0b", StringComparison.Ordinal) || t.StartsWith("0x", StringComparison.Ordinal) ? 2 : 0) - t.Count(c => c == ':');
            if (digits > MaxIntDigits)
                throw new OverflowException($"an integer of {digits:N0} digits is longer than the {MaxIntDigits} digits resh reads (Python's limit too); quote it to keep it as text");
            // A decimal is its digits (YAML 1.1 reads a leading 0 as octal): no conversion to a number and back.
            if (t[0] != '0' && !t.Contains(':')) return JsonText.Number(negative ? "-" + t : t);
            System.Numerics.BigInteger n = 0;
            if (t == "0") n = 0;
            else if (t.StartsWith("0b", StringComparison.Ordinal)) n = Digits(t[2..], 2);
            else if (t.StartsWith("0x", StringComparison.Ordinal)) n = Digits(t[2..], 16);
            else if (t[0] == '0') n = Digits(t, 8);
            else if (t.Contains(':')) foreach (var part in t.Split(':')) n = n * 60 + System.Numerics.BigInteger.Parse(part, CultureInfo.InvariantCulture);
            else n = Digits(t, 10);
            if (negative) n = -n;
            return JsonText.Number(n.ToString(CultureInfo.InvariantCulture));
        }
        // A timestamp with a time is a datetime in PyYAML: it stays text here, written as Python's str() of it writes it
        // (2001-12-14t21:59:43.10-05:00 is 2001-12-14 21:59:43.100000-05:00: s36 user #8). A date alone prints as written.
        if (Yaml11Timestamp().Match(s) is { Success: true } ts && PythonDateTime(ts) is { } text) return JsonValue.Create(text);
        return JsonValue.Create(s);
    }

    /// <summary>The most digits a YAML 1.1 integer may have (Python's int_max_str_digits default).</summary>
    public const int MaxIntDigits = 4300;

    /// <summary>
    /// The value of digits in base 2, 8, 10 or 16, a machine word of digits at a time (a step per 15-62 digits, not per
    /// digit: 15,000 integers of 4300 decimal digits parse in under a second).
    /// </summary>
    static System.Numerics.BigInteger Digits(string digits, int radix)
    {
        var chunk = radix switch { 2 => 62, 8 => 20, 10 => 18, _ => 15 };
        System.Numerics.BigInteger n = 0;
        for (int at = 0; at < digits.Length; at += chunk)
        {
            var part = digits.AsSpan(at, Math.Min(chunk, digits.Length - at));
            long value = 0;
            foreach (var c in part) value = value * radix + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            n = radix == 10 ? n * System.Numerics.BigInteger.Pow(10, part.Length) + value
                : (n << (part.Length * (radix == 2 ? 1 : radix == 8 ? 3 : 4))) + value;
        }
        return n;
    }

    // PyYAML's implicit resolvers for float and int (YAML 1.1), tried in this order: a float first.
    static string? PythonDateTime(System.Text.RegularExpressions.Match m)
    {
        int G(string name) => int.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture);
        int year = G("year"), month = G("month"), day = G("day"), hour = G("hour"), minute = G("minute"), second = G("second");
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 59 || year < 1) return null;
        var fraction = m.Groups["fraction"].Value;
        var micro = fraction.Length == 0 ? 0 : int.Parse(fraction.Length > 6 ? fraction[..6] : fraction.PadRight(6, '0'), CultureInfo.InvariantCulture);
        var sb = new System.Text.StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{year:D4}-{month:D2}-{day:D2} {hour:D2}:{minute:D2}:{second:D2}");
        if (micro != 0) sb.Append(CultureInfo.InvariantCulture, $".{micro:D6}");
        if (m.Groups["tz"].Success)
        {
            if (m.Groups["tzsign"].Success)
            {
                int th = G("tzhour"), tm = m.Groups["tzminute"].Success ? G("tzminute") : 0;
                if (th > 23 || tm > 59) return null;
                sb.Append(CultureInfo.InvariantCulture, $"{m.Groups["tzsign"].Value}{th:D2}:{tm:D2}");
            }
            else sb.Append("+00:00");
        }
        return sb.ToString();
    }

    /// <summary>PyYAML's timestamp pattern with a time part (resolver.py); a date alone is left as written.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<year>[0-9]{4})-(?<month>[0-9][0-9]?)-(?<day>[0-9][0-9]?)(?:[Tt]|[ \t]+)(?<hour>[0-9][0-9]?):(?<minute>[0-9][0-9]):(?<second>[0-9][0-9])(?:\.(?<fraction>[0-9]*))?(?<tz>[ \t]*(?:Z|(?<tzsign>[-+])(?<tzhour>[0-9][0-9]?)(?::(?<tzminute>[0-9][0-9]))?))?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Yaml11Timestamp();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Yaml11Float();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Yaml11Int();

    static bool IsFloat(string s)
    {
        int i = 0;
        if (s[i] is '-' or '+') i++;
        int digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        if (i < s.Length && s[i] == '.') { i++; while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; } }
        if (digits == 0) return false;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '-' or '+') i++;
            int exp = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; exp++; }
            if (exp == 0) return false;
        }
        return i == s.Length;
    }

    // ---- rendering ----

    /// <summary>A scalar on one line; a string keeps <paramref name="quote"/> when it had one, else is plain when that reads back as the same string.</summary>
    public static string ScalarText(JsonNode? value, char quote, bool flow)
    {
        if (value is not JsonValue v) return value is null ? "null" : JsonText.Inline(value);
        if (!v.TryGetValue<string>(out var s)) return JsonText.Scalar(v);
        if (quote == '\'' && !s.Contains('\n') && !HasControl(s)) return "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        if (quote == '"' || !PlainSafe(s, flow)) return JsonText.String(s);
        return s;
    }

    static bool HasControl(string s)
    {
        foreach (var c in s) if (c < ' ' || c == '\x7f') return true;
        return false;
    }

    public static bool PlainSafe(string s, bool flow)
    {
        if (s.Length == 0 || HasControl(s) || s != s.Trim()) return false;
        if (PlainValue(s) is not JsonValue jv || !jv.TryGetValue<string>(out var back) || back != s) return false;
        switch (s.ToLowerInvariant()) { case "yes" or "no" or "on" or "off" or "y" or "n" or "<<": return false; }
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0])) return s.Length > 1 && s[0] is '-' or '?' or ':' && s[1] != ' ' && !flow && SafeBody(s, flow);
        return SafeBody(s, flow);
    }

    static bool SafeBody(string s, bool flow)
    {
        if (s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal) || s.EndsWith(':')) return false;
        if (flow && s.AsSpan().IndexOfAny(",[]{}") >= 0) return false;
        if (char.IsAsciiDigit(s[0]) && (s.Contains(':') || s.Count(c => c == '-') >= 2)) return false; // 1.1 sexagesimals and dates
        return true;
    }

    static string KeyText(string key) => PlainSafe(key, false) ? key : JsonText.String(key);

    /// <summary>Indented block lines (for a collection value), each line prefixed with <paramref name="indent"/>; no trailing newline.</summary>
    static string Block(JsonNode value, string indent, string nl)
    {
        var rendered = YamlRenderer.Render(value).TrimEnd('\n');
        var sb = new StringBuilder();
        var lines = rendered.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (i > 0) sb.Append(nl);
            if (lines[i].Length > 0) sb.Append(indent).Append(lines[i]);
        }
        return sb.ToString();
    }

    static bool IsBlockCollection(JsonNode? v) => v is JsonObject { Count: > 0 } or JsonArray { Count: > 0 };

    static int Unit(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var t = line.TrimStart(' ');
            if (t.Length == 0 || t[0] == '#' || t[0] == '-') continue;
            var ws = line.Length - t.Length;
            if (ws > 0) return ws;
        }
        return 2;
    }

    static string StyleOf(SNode map)
    {
        foreach (var e in map.Entries) if (e.Value is { Kind: NodeKind.Scalar, Quote: '"' or '\'' } s && s.Scalar is JsonValue) return s.Quote.ToString();
        return "";
    }

    /// <summary>What follows <c>key:</c> for a value: " scalar", or a newline and an indented block.</summary>
    static string AfterColon(JsonNode? value, int childColumn, char quote, string nl) =>
        IsBlockCollection(value) ? nl + Block(value!, new string(' ', childColumn), nl) : " " + ScalarText(value, quote, false);

    /// <summary>
    /// A set, checked: the edited text must read back with the value at the key. An edit inside a flow collection
    /// ({...} or [...]) that does not (a splice the flow syntax cannot take) re-renders the outermost flow collection
    /// on the path, in flow style, with the value set in its data.
    /// </summary>
    public override string Set(string text, KeyPath path, JsonNode? value)
    {
        var edited = base.Set(text, path, value); // a key below a scalar, a bad index: refused here, as before
        if (ReadsBack(edited, path, value) || OutermostFlow(text, path) is not { } flow) return edited;
        var (node, depth) = flow;
        var data = Read(text);
        var sub = Lookup(data, KeyPath.Of(path.Segments.Take(depth).ToList()), out _)?.DeepClone();
        var updated = SetIn(sub, path, depth, value);
        var start = FlowStart(text, node);
        var result = new Splice(start, node.End, FlowText(updated, '\0')).ApplyTo(text);
        if (!ReadsBack(result, path, value))
        {
            if (Parses(edited)) return edited; // a value that does not round-trip exactly (1.0 reads as 1) either way
            throw ReshError.Failed($"Setting `{path}` inside a flow collection did not read back as the value set; the file is left as it was.",
                "Set the whole collection (value:=[...] or value:={...}) instead.").ToException();
        }
        return result;
    }

    bool Parses(string text)
    {
        try { Read(text); return true; }
        catch (ReshException) { return false; }
    }

    bool ReadsBack(string text, KeyPath path, JsonNode? value)
    {
        try { return JsonNode.DeepEquals(Lookup(Read(text), path, out var found), value) && found; }
        catch (ReshException) { return false; }
    }

    /// <summary>The first flow collection on the way to the key, and how many segments lead to it; null when the path has none.</summary>
    (SNode Node, int Depth)? OutermostFlow(string text, KeyPath path)
    {
        SNode node;
        try { node = ParseTree(text); }
        catch (ReshException) { return null; }
        var segs = path.Segments;
        for (int i = 0; i < segs.Count; i++)
        {
            if (node.Flow && node.Kind != NodeKind.Scalar && node.Tag is null) return (node, i);
            if (node.Kind == NodeKind.Map && node.FindLast(segs[i]) is >= 0 and var idx) node = node.Entries[idx].Value;
            else if (node.Kind == NodeKind.Seq && int.TryParse(segs[i], out var n) && n >= 0 && n < node.Items.Count) node = node.Items[n];
            else return null;
        }
        return null;
    }

    /// <summary>Data with the value set at segments[from..] (missing objects created; an index one past the end appends).</summary>
    static JsonNode? SetIn(JsonNode? node, KeyPath path, int from, JsonNode? value)
    {
        var segs = path.Segments;
        if (from == segs.Count) return value?.DeepClone();
        var seg = segs[from];
        if (node is null && path.IsIndex(from)) node = new JsonArray(); // x[0] under a missing key starts a list (base.Set refused other indexes)
        if (node is JsonArray a && (seg == "-" || int.TryParse(seg, out _)))
        {
            var i = seg == "-" ? a.Count : int.Parse(seg, CultureInfo.InvariantCulture);
            if (i == a.Count) { a.Add(SetIn(null, path, from + 1, value)); return a; }
            if (i >= 0 && i < a.Count) { var child = a[i]; a[i] = null; a[i] = SetIn(child, path, from + 1, value); return a; }
        }
        var o = node as JsonObject ?? new JsonObject();
        o.TryGetPropertyValue(seg, out var current);
        o.Remove(seg);
        o[seg] = SetIn(current, path, from + 1, value);
        return o;
    }

    /// <summary>Where a flow collection's bracket is (after its anchor or tag).</summary>
    static int FlowStart(string text, SNode node)
    {
        var i = node.Start;
        while (i < node.End && text[i] is not ('[' or '{')) i++;
        return i < node.End ? i : node.Start;
    }

    protected override Splice ReplaceValue(string text, SNode? parent, SEntry? entry, SNode node, JsonNode? value)
    {
        var nl = TextSpans.Newline(text);
        // A flow collection replaced by a collection stays in flow style, in its place.
        if (node.Flow && node.Kind != NodeKind.Scalar && node.Tag is null && value is JsonObject or JsonArray)
            return new Splice(FlowStart(text, node), node.End, FlowText(value, '\0'));
        if (parent is null)
            return new Splice(node.Start, node.End, IsBlockCollection(value) ? Block(value!, "", nl) : ScalarText(value, node.Quote, false));
        if (parent.Flow) return new Splice(node.Start, node.End, FlowText(value, node.Quote));
        var quote = node.Kind == NodeKind.Scalar ? node.Quote is '"' or '\'' ? node.Quote : '\0' : '\0';
        if (entry is not null)
        {
            var colon = text.IndexOf(':', entry.KeyEnd);
            var childColumn = node.Kind != NodeKind.Scalar && !node.Flow && node.Column >= 0 ? node.Column : parent.Column + Unit(text);
            if (node.Kind == NodeKind.Map && !node.Flow && node.Entries.Count > 0) childColumn = TextSpans.Column(text, node.Entries[0].KeyStart);
            if (node.Kind == NodeKind.Scalar && !IsBlockCollection(value) && node.Start > colon && node.End > node.Start)
                return new Splice(node.Start, node.End, ScalarText(value, quote, false));
            return new Splice(colon + 1, node.End, AfterColon(value, childColumn, quote, nl));
        }
        // An item of a block sequence: the first line follows "- ", the others line up under it.
        var column = TextSpans.Column(text, node.Start);
        if (IsBlockCollection(value)) return new Splice(node.Start, node.End, Block(value!, new string(' ', column), nl)[column..]);
        return new Splice(node.Start, node.End, ScalarText(value, quote, false));
    }

    static string FlowText(JsonNode? value, char quote) => value switch
    {
        JsonObject o => "{" + string.Join(", ", o.Select(p => (PlainSafe(p.Key, true) ? p.Key : JsonText.String(p.Key)) + ": " + FlowText(p.Value, '\0'))) + "}",
        JsonArray a => "[" + string.Join(", ", a.Select(x => FlowText(x, '\0'))) + "]",
        _ => ScalarText(value, quote, true),
    };

    protected override Splice InsertEntry(string text, SNode map, string key, JsonNode? value)
    {
        var nl = TextSpans.Newline(text);
        if (map.Flow || (map.Entries.Count == 0 && map.End > map.Start))
        {
            if (map.Entries.Count == 0) return new Splice(map.Start, map.End, "{" + KeyText(key) + ": " + FlowText(value, '\0') + "}");
            var last = map.Entries[^1];
            return new Splice(last.Value.End, last.Value.End, ", " + (PlainSafe(key, true) ? key : JsonText.String(key)) + ": " + FlowText(value, '\0'));
        }
        var column = map.Entries.Count > 0 ? TextSpans.Column(text, map.Entries[0].KeyStart) : 0;
        var quote = StyleOf(map) is { Length: 1 } q ? q[0] : '\0';
        var line = new string(' ', column) + KeyText(key) + ":" + AfterColon(value, column + Unit(text), quote, nl);
        var pos = map.Entries.Count == 0 ? text.Length : TextSpans.NextLineStart(text, map.End); // an empty document: at its end
        var prefix = pos == text.Length && text.Length > 0 && text[^1] != '\n' ? nl : "";
        return new Splice(pos, pos, prefix + line + nl);
    }

    protected override Splice AppendItem(string text, SNode seq, JsonNode? value)
    {
        var nl = TextSpans.Newline(text);
        if (seq.Flow || seq.Items.Count == 0)
        {
            if (seq.Items.Count == 0) return new Splice(seq.Start, seq.End, "[" + FlowText(value, '\0') + "]");
            var lastItem = seq.Items[^1];
            return new Splice(lastItem.End, lastItem.End, ", " + FlowText(value, '\0'));
        }
        var column = seq.Column;
        var body = IsBlockCollection(value) ? Block(value!, new string(' ', column + 2), nl)[(column + 2)..] : ScalarText(value, seq.Items[^1].Quote is '"' or '\'' ? seq.Items[^1].Quote : '\0', false);
        var pos = TextSpans.NextLineStart(text, seq.End);
        var prefix = pos == text.Length && text.Length > 0 && text[^1] != '\n' ? nl : "";
        return new Splice(pos, pos, prefix + new string(' ', column) + "- " + body + nl);
    }

    protected override Splice RemoveEntry(string text, SNode map, int index)
    {
        var e = map.Entries[index];
        if (map.Flow) return FlowRemove(text, map.Entries.Select(x => (x.KeyStart, x.Value.End)).ToList(), index, map);
        if (TextSpans.OnlySpaceBefore(text, e.KeyStart))
            return new Splice(TextSpans.LineStart(text, e.KeyStart), TextSpans.NextLineStart(text, Math.Max(e.Value.End - 1, e.KeyEnd)), "");
        // The first key of a sequence item ("- name: x"): the next key moves up after the dash.
        if (index + 1 < map.Entries.Count) return new Splice(e.KeyStart, map.Entries[index + 1].KeyStart, "");
        return new Splice(e.KeyStart, e.Value.End, "{}");
    }

    protected override Splice RemoveItem(string text, SNode seq, int index)
    {
        if (seq.Flow) return FlowRemove(text, seq.Items.Select(x => (x.Start, x.End)).ToList(), index, seq);
        var item = seq.Items[index];
        if (seq.Items.Count == 1)
        {
            var dash = text.LastIndexOf('-', item.Start);
            return new Splice(dash, item.End, "[]");
        }
        return new Splice(TextSpans.LineStart(text, item.Start), TextSpans.NextLineStart(text, Math.Max(item.End - 1, item.Start)), "");
    }

    static Splice FlowRemove(string text, List<(int Start, int End)> members, int index, SNode container)
    {
        var (start, end) = members[index];
        if (members.Count == 1) return new Splice(container.Start + 1, container.End - 1, "");
        if (index + 1 < members.Count) return new Splice(start, members[index + 1].Start, "");
        return new Splice(members[index - 1].End, end, "");
    }

    public override string Render(JsonNode? data) => YamlRenderer.Render(data);
}
