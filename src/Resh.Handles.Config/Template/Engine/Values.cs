using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Template.Engine;

/// <summary>
/// A value the engine computes with. Template values are plain objects: null (None), bool, long, double, string,
/// <see cref="List{T}"/> of values, <see cref="Dictionary{TKey,TValue}"/> string to value (insertion order kept),
/// <see cref="Undefined"/>, and the engine's callables (<see cref="Macro"/>, <see cref="Builtin"/>).
/// </summary>
internal sealed class Undefined(string name, Loc at)
{
    public string Name { get; } = name;
    public Loc At { get; } = at;
}

/// <summary>A name, with the file and line it was used at.</summary>
internal readonly record struct Loc(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>
/// A Python tuple: (1, 2), a, b, dict.items()'s pairs, dictsort's. It is a list to every filter and loop; it differs where
/// Python differs: it prints (1, 2), and only a tuple is the argument tuple of the % operator.
/// </summary>
internal sealed class PyTuple : List<object?>
{
    public PyTuple() { }
    public PyTuple(int capacity) : base(capacity) { }
    public PyTuple(IEnumerable<object?> items) : base(items) { }
}

/// <summary>A mutable object made by namespace(): its attributes may be set from inside a loop.</summary>
internal sealed class Namespace : Dictionary<string, object?>;

/// <summary>A function that is not a filter: range, dict, namespace, secret, super.</summary>
internal sealed class Builtin(string name, Func<List<object?>, Dictionary<string, object?>, Loc, object?> call)
{
    public string Name { get; } = name;
    public Func<List<object?>, Dictionary<string, object?>, Loc, object?> Call { get; } = call;
}

internal static class V
{
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => FromObject(o),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v => FromValue(v),
        _ => null,
    };

    static Dictionary<string, object?> FromObject(JsonObject o)
    {
        var d = new Dictionary<string, object?>(o.Count);
        foreach (var (k, v) in o) d[k] = FromJson(v);
        return d;
    }

    static object? FromValue(JsonValue v)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String: return v.GetValue<string>();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Null: return null;
            case JsonValueKind.Number:
                if (v.TryGetValue<long>(out var l)) return l;
                if (v.TryGetValue<int>(out var i)) return (long)i;
                // An integer past 1e308 is no double: its exact digits print (Python prints the int), never "inf".
                if (v.TryGetValue<double>(out var d)) return double.IsFinite(d) ? d : v.ToJsonString();
                if (v.TryGetValue<decimal>(out var m)) return (double)m;
                if (v.TryGetValue<JsonElement>(out var e))
                    return e.TryGetInt64(out var el) ? el : e.GetDouble();
                return v.ToJsonString();
            default: return v.ToJsonString();
        }
    }

    /// <summary>Values built by a template can nest without bound (set x = [x] in a loop): recursion stops here.</summary>
    public const int MaxNesting = 200;

    static TemplateError TooDeep() => new($"A value nests deeper than {MaxNesting} levels.", null);

    public static JsonNode? ToJson(object? v, int depth = 0) => depth > MaxNesting ? throw TooDeep() : v switch
    {
        null or Undefined => null,
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(Str(d)),
        string s => JsonValue.Create(s),
        Dictionary<string, object?> d => ToJsonObject(d, depth),
        List<object?> l => new JsonArray(l.Select(x => ToJson(x, depth + 1)).ToArray()),
        _ => JsonValue.Create(Str(v)),
    };

    static JsonObject ToJsonObject(Dictionary<string, object?> d, int depth)
    {
        var o = new JsonObject();
        foreach (var (k, x) in d) o[k] = ToJson(x, depth + 1);
        return o;
    }

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Python's str(): what {{ x }} prints (None prints nothing, as in Ansible).</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        Undefined => "",
        List<object?> or Dictionary<string, object?> => Repr(v),
        Macro m => $"<macro {m.Name}>",
        Builtin f => $"<function {f.Name}>",
        _ => v.ToString() ?? "",
    };

    /// <summary>Python's repr() of a float: shortest round trip, always with a dot or exponent.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16) return d.ToString("F1", CultureInfo.InvariantCulture);
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        var e = s.IndexOf('E');
        if (e < 0) return s;
        // 1E+20 -> 1e+20, 1.5E-07 -> 1.5e-07
        var mant = s[..e];
        var exp = s[(e + 1)..];
        var sign = exp[0] is '-' ? "-" : "+";
        var digits = exp.TrimStart('+', '-').PadLeft(2, '0');
        return $"{mant}e{sign}{digits}";
    }

    /// <summary>
    /// A lower bound of the text any printer (str, to_json, to_yaml, toml) makes of a value, counted without building it;
    /// the count stops once it passes <paramref name="limit"/>. A list repeated by reference counts each time it is printed.
    /// </summary>
    public static long MinSize(object? v, long limit)
    {
        long size = 0;
        var stack = new Stack<object?>();
        stack.Push(v);
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case string s: size += s.Length; break;
                case List<object?> l:
                    size += 2 + l.Count; // brackets or dashes, and a separator per item
                    if (size > limit) return size;
                    for (int i = l.Count - 1; i >= 0; i--) stack.Push(l[i]);
                    break;
                case Dictionary<string, object?> d:
                    size += 2 + 2L * d.Count; // braces, ": " or " = " per entry
                    if (size > limit) return size;
                    foreach (var (k, x) in d) { size += k.Length; stack.Push(x); }
                    break;
                default: size += 1; break;
            }
            if (size > limit) return size;
        }
        return size;
    }

    /// <summary>Python's repr(): how lists and dicts print.</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        Repr(sb, v, 0);
        return sb.ToString();
    }

    static void Repr(StringBuilder sb, object? v, int depth)
    {
        if (depth > MaxNesting) throw TooDeep();
        switch (v)
        {
            case string s: ReprString(sb, s); break;
            case PyTuple t:
                sb.Append('(');
                for (int i = 0; i < t.Count; i++) { if (i > 0) sb.Append(", "); Repr(sb, t[i], depth + 1); }
                sb.Append(t.Count == 1 ? ",)" : ")");
                break;
            case List<object?> l:
                sb.Append('[');
                for (int i = 0; i < l.Count; i++) { if (i > 0) sb.Append(", "); Repr(sb, l[i], depth + 1); }
                sb.Append(']');
                break;
            case Dictionary<string, object?> d:
                sb.Append('{');
                bool first = true;
                foreach (var (k, x) in d)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    ReprString(sb, k);
                    sb.Append(": ");
                    Repr(sb, x, depth + 1);
                }
                sb.Append('}');
                break;
            case null or Undefined: sb.Append("None"); break;
            default: sb.Append(Str(v)); break;
        }
    }

    static void ReprString(StringBuilder sb, string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(q);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == q) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(q);
    }

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        Undefined => "undefined",
        Macro => "macro",
        Builtin => "function",
        _ => "object",
    };

    public static new bool Equals(object? a, object? b) => Equals(a, b, 0);

    static bool Equals(object? a, object? b, int depth)
    {
        if (depth > MaxNesting) throw TooDeep();
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b)) return a is long la && b is long lb ? la == lb : ToDouble(a) == ToDouble(b);
        if (a is bool ba && b is bool bb) return ba == bb;
        if (a is bool && IsNumber(b) || IsNumber(a) && b is bool) return ToDouble(a) == ToDouble(b); // Python: True == 1
        if (a is string sa && b is string sb) return sa == sb;
        if (a is List<object?> xa && b is List<object?> xb)
        {
            if (xa.Count != xb.Count) return false;
            for (int i = 0; i < xa.Count; i++) if (!Equals(xa[i], xb[i], depth + 1)) return false;
            return true;
        }
        if (a is Dictionary<string, object?> da && b is Dictionary<string, object?> db)
        {
            if (da.Count != db.Count) return false;
            foreach (var (k, x) in da) if (!db.TryGetValue(k, out var y) || !Equals(x, y, depth + 1)) return false;
            return true;
        }
        return ReferenceEquals(a, b);
    }

    /// <summary>Ordering for comparisons and sort: numbers with numbers, strings with strings, lists element-wise.</summary>
    public static int Compare(object? a, object? b, bool caseSensitive = true, int depth = 0)
    {
        if (depth > MaxNesting) throw TooDeep();
        if ((IsNumber(a) || a is bool) && (IsNumber(b) || b is bool))
            return a is long la && b is long lb ? la.CompareTo(lb) : ToDouble(a).CompareTo(ToDouble(b));
        if (a is string sa && b is string sb)
            return caseSensitive ? string.CompareOrdinal(sa, sb) : string.CompareOrdinal(sa.ToLowerInvariant(), sb.ToLowerInvariant());
        if (a is List<object?> xa && b is List<object?> xb)
        {
            for (int i = 0; i < Math.Min(xa.Count, xb.Count); i++)
            {
                var c = Compare(xa[i], xb[i], caseSensitive, depth + 1);
                if (c != 0) return c;
            }
            return xa.Count.CompareTo(xb.Count);
        }
        throw new TemplateError($"Cannot compare {TypeName(a)} with {TypeName(b)}.", null);
    }

    /// <summary>The items of a value that can be iterated: a list, a dict's keys, a string's characters.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Select(k => (object?)k).ToList(),
        string s => EnumerateText(s),
        null or Undefined => [],
        _ => throw new TemplateError($"A {TypeName(v)} cannot be iterated.", null),
    };

    static List<object?> EnumerateText(string s)
    {
        var list = new List<object?>(s.Length);
        foreach (var r in s.EnumerateRunes()) list.Add(r.ToString());
        return list;
    }
}
