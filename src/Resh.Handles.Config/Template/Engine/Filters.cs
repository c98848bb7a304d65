using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Template.Engine;

/// <summary>The filters of `x | NAME(args)`: Jinja2's builtins and the Ansible ones operators use in config templates.</summary>
internal static class Filters
{
    public static readonly string[] Names =
    [
        "default", "d", "mandatory", "upper", "lower", "capitalize", "title", "trim", "strip", "replace", "length", "count", "first", "last", "join", "split",
        "sort", "unique", "reverse", "int", "float", "string", "bool", "list", "abs", "round", "json", "to_json", "tojson", "to_nice_json", "yaml", "to_yaml",
        "to_nice_yaml", "toml", "to_toml", "b64encode", "b64decode", "sha256", "sha1", "md5", "hash", "indent", "regex_replace", "regex_search",
        "regex_findall", "regex_escape", "quote", "dict2items", "items2dict", "items", "keys", "values", "min", "max", "sum", "map", "select", "reject",
        "selectattr", "rejectattr", "combine", "dictsort", "center", "ternary", "basename", "dirname", "flatten", "e", "escape", "format", "wordcount",
    ];

    public static object? Apply(Renderer r, FilterExpr f, Frame frame)
    {
        var raw = f.Name is "default" or "d" ? r.EvalGuarded(f.Target, frame) : r.Eval(f.Target, frame);
        // default's own value is chainable too: {{ x | default(y.z) }} with x defined never needs y (s37 user #21); when it
        // is used, an undefined one still fails where it is printed, as in Ansible.
        Func<Expr, object?> eval = f.Name is "default" or "d" ? a => r.EvalGuarded(a, frame) : a => r.Eval(a, frame);
        var pos = f.Args.Positional.Select(eval).ToList();
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (n, a) in f.Args.Named) named[n] = eval(a);
        object? A(int i, string name, object? dflt) => i < pos.Count ? pos[i] : named.TryGetValue(name, out var x) ? x : dflt;
        try
        {
            switch (f.Name)
            {
                case "default" or "d":
                    return raw is Undefined || V.Truthy(A(1, "boolean", false)) && !V.Truthy(raw) ? A(0, "default_value", "") : raw;
                case "mandatory":
                    return raw is Undefined u ? throw Renderer.UndefinedError(u) : raw;
            }
            var v = r.Force(raw, f.Target);
            if (v is Undefined) v = null; // strict=false: an undefined value filters as none
            // A filter that prints a whole value (to_json of a list holding one list eight times) is refused before the
            // text is built, when the value is already too big to print within max_size.
            var max = r.Options.MaxSize;
            if (Prints.Contains(f.Name) && v is List<object?> or Dictionary<string, object?> && V.MinSize(v, max) > max) throw Big(max);
            if (f.Name == "b64encode" && v is string bs && bs.Length / 3 * 4L > max) throw Big(max);
            var result = Run(r, f, v, A, pos, named);
            // Every string a filter builds (to_json, to_yaml, b64encode, indent, format...) is bounded by max_size.
            if (result is string s && s.Length > r.Options.MaxSize) throw Big(r.Options.MaxSize);
            return result;
        }
        catch (TemplateError e) when (e.At is null)
        {
            e.At = f.At;
            throw;
        }
        catch (RegexMatchTimeoutException)
        {
            throw new TemplateError($"The regular expression of {f.Name} ran longer than 1 s on this input (catastrophic backtracking).", f.At,
                "Simplify the pattern (avoid nested quantifiers such as (a+)+).", "timeout");
        }
    }

    /// <summary>The filters whose text holds all of the value.</summary>
    static readonly HashSet<string> Prints = ["json", "to_json", "tojson", "to_nice_json", "yaml", "to_yaml", "to_nice_yaml", "toml", "to_toml", "string", "join", "b64encode", "indent", "e", "escape", "upper", "lower", "title", "capitalize", "quote", "sha256", "sha1", "md5", "hash"];

    delegate object? ArgFn(int i, string name, object? dflt);

    static object? Run(Renderer r, FilterExpr f, object? v, ArgFn A, List<object?> pos, Dictionary<string, object?> named)
    {
        string S(object? x) => x is null ? "" : V.Str(x);
        var max = r.Options.MaxSize;
        switch (f.Name)
        {
            // Jinja2 converts with str() first: none | upper is NONE, none | title is None (s37 user #10).
            case "upper": return Upper(V.Str(v));
            case "lower": return Lower(V.Str(v));
            case "capitalize": return Capitalize(V.Str(v));
            case "title": return Title(V.Str(v));
            case "trim" or "strip": return A(0, "chars", null) is string chars ? S(v).Trim(chars.ToCharArray()) : S(v).Trim();
            case "replace":
            {
                var (old, @new) = (S(A(0, "old", "")), S(A(1, "new", "")));
                var s = S(v);
                if (old.Length == 0) return ReplaceEmpty(s, @new, A(2, "count", null) is long en ? en : -1, max);
                var result = A(2, "count", null) is long n ? ReplaceCount(s, old, @new, n) : s.Replace(old, @new, StringComparison.Ordinal);
                return result.Length > max ? throw Big(max) : result;
            }
            case "length" or "count" or "wordcount" when f.Name != "wordcount":
                return v switch
                {
                    string s => (long)s.EnumerateRunes().Count(),
                    List<object?> l => (long)l.Count,
                    Dictionary<string, object?> d => (long)d.Count,
                    null => 0L,
                    _ => throw new TemplateError($"A {V.TypeName(v)} has no length.", f.At),
                };
            case "wordcount": return (long)S(v).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            case "first": { var l = Seq(v, f); return l.Count > 0 ? l[0] : new Undefined($"(first of an empty {V.TypeName(v)})", f.At); }
            case "last": { var l = Seq(v, f); return l.Count > 0 ? l[^1] : new Undefined($"(last of an empty {V.TypeName(v)})", f.At); }
            case "join":
            {
                var attr = A(1, "attribute", null) as string;
                var items = Seq(v, f).Select(x => attr is null ? x : Attr(x, attr));
                var s = string.Join(S(A(0, "d", "")), items.Select(x => x is null ? "None" : V.Str(x)));
                return s.Length > max ? throw Big(max) : s;
            }
            case "split": return Split(S(v), A(0, "sep", null) as string, A(1, "maxsplit", -1L) is long ms ? ms : -1);
            case "sort":
            {
                bool rev = V.Truthy(A(0, "reverse", false)), cs = V.Truthy(A(1, "case_sensitive", false));
                var attr = A(2, "attribute", null) as string;
                var l = Seq(v, f).ToList();
                var keyed = l.Select(x => attr is null ? x : Attr(x, attr)).ToList();
                var idx = Enumerable.Range(0, l.Count).ToArray();
                try { Array.Sort(idx, (a, b) => { var c = V.Compare(keyed[a], keyed[b], cs); return c != 0 ? c : a.CompareTo(b); }); }
                catch (InvalidOperationException e) when (e.InnerException is TemplateError te) { throw new TemplateError(te.Message, f.At, "Sort values of one type."); }
                var sorted = idx.Select(i => l[i]).ToList();
                if (rev) sorted.Reverse();
                return sorted;
            }
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in Seq(v, f)) if (!result.Any(y => V.Equals(x, y))) result.Add(x);
                return result;
            }
            case "reverse": return v is string rs ? new string(rs.Reverse().ToArray()) : Enumerable.Reverse(Seq(v, f)).ToList();
            case "list": return Seq(v, f).ToList();
            case "int":
            {
                var dflt = A(0, "default", 0L);
                var b = A(1, "base", 10L) is long bb ? (int)bb : 10;
                return v switch
                {
                    long l => l,
                    double d => double.IsFinite(d) && Math.Abs(d) < 9e18 ? (long)Math.Truncate(d) : dflt,
                    bool bo => bo ? 1L : 0L,
                    string s => ParseInt(s.Trim(), b) ?? (double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d2) && double.IsFinite(d2) && Math.Abs(d2) < 9e18 ? (long)Math.Truncate(d2) : dflt),
                    _ => dflt,
                };
            }
            case "float":
                return v switch
                {
                    long l => (double)l,
                    double d => d,
                    bool b => b ? 1.0 : 0.0,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => A(0, "default", 0.0),
                };
            case "string": return v is null ? "None" : V.Str(v);
            case "bool":
                return v switch
                {
                    bool b => b,
                    long l => l == 1,
                    double d => d == 1.0,
                    string s => s.Trim().ToLowerInvariant() is "yes" or "on" or "1" or "true" or "y" or "t",
                    _ => false,
                };
            case "abs": return v switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), _ => throw new TemplateError($"abs needs a number, got {V.TypeName(v)}.", f.At) };
            case "round":
            {
                var precision = A(0, "precision", 0L) is long p ? (int)Math.Clamp(p, -400, 400) : 0;
                var method = S(A(1, "method", "common"));
                var d = v is long or double ? V.ToDouble(v) : throw new TemplateError($"round needs a number, got {V.TypeName(v)}.", f.At);
                var factor = Math.Pow(10, precision);
                return method switch
                {
                    "ceil" => Math.Ceiling(d * factor) / factor,
                    "floor" => Math.Floor(d * factor) / factor,
                    // Python's round(): half to even on the exact value; an int stays an int
                    "common" => v is long l ? (object)(precision >= 0 ? l : (long)PyFormat.Round(d, precision)) : PyFormat.Round(d, precision),
                    _ => throw new TemplateError($"round: unknown method '{method}'.", f.At, "common, ceil or floor."),
                };
            }
            case "json" or "to_json" or "tojson":
                return Json.Write(v, A(0, "indent", null) is long ind ? (int)Math.Clamp(ind, 0, 1024) : null, V.Truthy(A(1, "sort_keys", false)), f.Name == "tojson" ? false : !named.ContainsKey("ensure_ascii") || V.Truthy(named["ensure_ascii"]), max);
            case "to_nice_json":
                return Json.Write(v, A(0, "indent", 4L) is long ni ? (int)Math.Clamp(ni, 0, 1024) : 4, V.Truthy(A(1, "sort_keys", true)), !named.ContainsKey("ensure_ascii") || V.Truthy(named["ensure_ascii"]), max);
            case "yaml" or "to_yaml" or "to_nice_yaml" when v is List<object?> or Dictionary<string, object?>:
            {
                // As Ansible (PyYAML's yaml.dump): to_yaml keeps a list or dict of scalars in flow style, to_nice_yaml is
                // block style with indent 4; keys sorted (s37 user #9).
                bool nice = f.Name == "to_nice_yaml";
                var indent = A(nice ? 0 : 99, "indent", nice ? 4L : 2L) is long yi ? (int)yi : nice ? 4 : 2;
                bool flowLeaves = !nice && !(named.TryGetValue("default_flow_style", out var dfs) && dfs is false);
                return PyYaml.Dump(v, indent, flowLeaves, max);
            }
            case "yaml" or "to_yaml" or "to_nice_yaml":
                return v is string ys && !ys.Contains('\n') ? YamlFormat.Instance.Render(V.ToJson(v)).TrimEnd('\n') : YamlFormat.Instance.Render(V.ToJson(v));
            case "toml" or "to_toml":
                if (v is not Dictionary<string, object?>) throw new TemplateError($"toml needs a dict (a TOML document is a table), got {V.TypeName(v)}.", f.At);
                return TomlFormat.Instance.Render(V.ToJson(v));
            case "b64encode": return Convert.ToBase64String(Encoding.UTF8.GetBytes(S(v)));
            case "b64decode":
                try { return Encoding.UTF8.GetString(Convert.FromBase64String(S(v).Trim())); }
                catch (FormatException) { throw new TemplateError("b64decode: the value is not base64.", f.At); }
            case "sha256": return Hex(SHA256.HashData(Encoding.UTF8.GetBytes(S(v))));
            case "sha1": return Hex(SHA1.HashData(Encoding.UTF8.GetBytes(S(v))));
            case "md5": return Hex(MD5.HashData(Encoding.UTF8.GetBytes(S(v))));
            case "hash":
                var bytes = Encoding.UTF8.GetBytes(S(v));
                return S(A(0, "hashtype", "sha1")) switch
                {
                    "sha256" => Hex(SHA256.HashData(bytes)),
                    "sha512" => Hex(SHA512.HashData(bytes)),
                    "sha1" => Hex(SHA1.HashData(bytes)),
                    "md5" => Hex(MD5.HashData(bytes)),
                    var h => throw new TemplateError($"hash: unknown hash type '{h}'.", f.At, "sha1, sha256, sha512 or md5."),
                };
            case "indent":
            {
                var width = A(0, "width", 4L);
                var pad = width is string ws ? ws : new string(' ', (int)Math.Clamp(width is long wl ? wl : 4, 0, 1024));
                bool first = V.Truthy(A(1, "first", false)), blank = V.Truthy(A(2, "blank", false));
                var text = S(v);
                var lines = text.Split('\n');
                if (text.Length + (long)pad.Length * lines.Length > max && text.Length + (long)pad.Length * lines.Count(l => blank || l.Length > 0) > max) throw Big(max);
                var sb = new StringBuilder();
                for (int i = 0; i < lines.Length; i++)
                {
                    if (i > 0) sb.Append('\n');
                    if ((i > 0 || first) && (blank || lines[i].Length > 0)) sb.Append(pad);
                    sb.Append(lines[i]);
                    if (sb.Length > max) throw Big(max);
                }
                return sb.ToString();
            }
            case "regex_replace":
            {
                var re = Regex(r, S(A(0, "pattern", "")), V.Truthy(A(2, "ignorecase", false)), V.Truthy(A(3, "multiline", false)), f.At);
                var count = A(4, "count", 0L) is long c ? (int)Math.Clamp(c, 0, int.MaxValue) : 0;
                var result = re.Replace(S(v), PythonReplacement(S(A(1, "replacement", ""))), count == 0 ? -1 : count);
                return result.Length > max ? throw Big(max) : result;
            }
            case "regex_search":
            {
                var re = Regex(r, S(A(0, "pattern", "")), V.Truthy(named.GetValueOrDefault("ignorecase")), V.Truthy(named.GetValueOrDefault("multiline")), f.At);
                var m = re.Match(S(v));
                if (!m.Success) return null;
                if (pos.Count > 1)
                {
                    var groups = new List<object?>();
                    foreach (var g in pos.Skip(1))
                    {
                        var gs = S(g);
                        groups.Add(gs.StartsWith('\\') && int.TryParse(gs.AsSpan(1), out var gi) ? m.Groups[gi].Value
                            : gs.StartsWith("\\g<", StringComparison.Ordinal) ? m.Groups[gs[3..^1]].Value : m.Groups[gs].Value);
                    }
                    return groups;
                }
                return m.Value;
            }
            case "regex_findall":
            {
                var re = Regex(r, S(A(0, "pattern", "")), V.Truthy(A(1, "ignorecase", false)), V.Truthy(A(2, "multiline", false)), f.At);
                var list = new List<object?>();
                foreach (Match m in re.Matches(S(v)))
                {
                    if (m.Groups.Count == 1) list.Add(m.Value);
                    else if (m.Groups.Count == 2) list.Add(m.Groups[1].Value);
                    else list.Add(new PyTuple(m.Groups.Cast<Group>().Skip(1).Select(g => (object?)g.Value))); // re.findall: tuples
                }
                return list;
            }
            case "regex_escape": return System.Text.RegularExpressions.Regex.Escape(S(v));
            case "quote": return Quote(S(v));
            case "dict2items":
            {
                var d = Dict(v, f);
                var kn = S(A(0, "key_name", "key"));
                var vn = S(A(1, "value_name", "value"));
                return d.Select(kv => (object?)new Dictionary<string, object?>(StringComparer.Ordinal) { [kn] = kv.Key, [vn] = kv.Value }).ToList();
            }
            case "items2dict":
            {
                var kn = S(A(0, "key_name", "key"));
                var vn = S(A(1, "value_name", "value"));
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var item in Seq(v, f))
                {
                    if (item is not Dictionary<string, object?> e || !e.TryGetValue(kn, out var k) || !e.TryGetValue(vn, out var val))
                        throw new TemplateError($"items2dict needs a list of dicts with '{kn}' and '{vn}'.", f.At);
                    d[V.Str(k)] = val;
                }
                return d;
            }
            case "items": return Dict(v, f).Select(kv => (object?)new PyTuple { kv.Key, kv.Value }).ToList();
            case "keys": return Dict(v, f).Keys.Select(k => (object?)k).ToList();
            case "values": return Dict(v, f).Values.ToList();
            case "min" or "max":
            {
                var attr = A(0, "attribute", null) as string;
                var l = Seq(v, f);
                if (l.Count == 0) return new Undefined($"({f.Name} of an empty list)", f.At);
                var best = l[0];
                foreach (var x in l.Skip(1))
                {
                    var c = V.Compare(attr is null ? x : Attr(x, attr), attr is null ? best : Attr(best, attr));
                    if (f.Name == "min" ? c < 0 : c > 0) best = x;
                }
                return best;
            }
            case "sum":
            {
                var attr = A(0, "attribute", null) as string;
                object? total = A(1, "start", 0L);
                foreach (var x in Seq(v, f))
                {
                    var y = attr is null ? x : Attr(x, attr);
                    if (!V.IsNumber(y)) throw new TemplateError($"sum needs numbers, got {V.TypeName(y)}.", f.At);
                    total = total is long a && y is long b ? (object)checked(a + b) : V.ToDouble(total) + V.ToDouble(y);
                }
                return total;
            }
            case "map":
            {
                if (named.TryGetValue("attribute", out var at))
                    return Seq(v, f).Select(x => Attr(x, V.Str(at), named.GetValueOrDefault("default"))).ToList();
                if (pos.Count == 0) throw new TemplateError("map needs a filter name or attribute=.", f.At);
                var inner = V.Str(pos[0]);
                var rest = pos.Skip(1).Select(p => (Expr)new Literal(f.At, p)).ToList();
                return Seq(v, f).Select(x => Apply(r, new FilterExpr(f.At, new Literal(f.At, x), inner, new Args(rest, [])), new Frame(null))).ToList();
            }
            case "select" or "reject":
            {
                var test = pos.Count > 0 ? V.Str(pos[0]) : null;
                var rest = pos.Skip(1).Select(p => (Expr)new Literal(f.At, p)).ToList();
                bool keep(object? x) => test is null ? V.Truthy(x) : Tests.Apply(r, new TestExpr(f.At, new Literal(f.At, x), test, new Args(rest, []), false), new Frame(null));
                return Seq(v, f).Where(x => keep(x) == (f.Name == "select")).ToList();
            }
            case "selectattr" or "rejectattr":
            {
                var attr = pos.Count > 0 ? V.Str(pos[0]) : throw new TemplateError($"{f.Name} needs an attribute name.", f.At);
                var test = pos.Count > 1 ? V.Str(pos[1]) : null;
                var rest = pos.Skip(2).Select(p => (Expr)new Literal(f.At, p)).ToList();
                bool keep(object? x)
                {
                    var a = x is Dictionary<string, object?> d && d.TryGetValue(attr, out var y) ? y : new Undefined(attr, f.At);
                    if (test is null) return a is not Undefined && V.Truthy(a);
                    if (test is "defined" or "undefined") return (a is Undefined) == (test == "undefined");
                    return Tests.Apply(r, new TestExpr(f.At, new Literal(f.At, a is Undefined ? null : a), test, new Args(rest, []), false), new Frame(null));
                }
                return Seq(v, f).Where(x => keep(x) == (f.Name == "selectattr")).ToList();
            }
            case "combine":
            {
                bool recursive = V.Truthy(named.GetValueOrDefault("recursive"));
                var result = Copy(Dict(v, f));
                foreach (var p in pos)
                {
                    var others = p is List<object?> pl ? pl : [p];
                    foreach (var o in others) Merge(result, Dict(o, f), recursive);
                }
                return result;
            }
            case "dictsort":
            {
                var d = Dict(v, f);
                bool byValue = S(A(1, "by", "key")) == "value";
                bool rev = V.Truthy(A(2, "reverse", false));
                var items = d.ToList();
                items.Sort((a, b) => byValue ? V.Compare(a.Value, b.Value, V.Truthy(A(0, "case_sensitive", false))) : V.Compare(a.Key, b.Key, V.Truthy(A(0, "case_sensitive", false))));
                if (rev) items.Reverse();
                return items.Select(kv => (object?)new PyTuple { kv.Key, kv.Value }).ToList();
            }
            case "center": return Center(S(v), A(0, "width", 80L) is long cw ? cw : 80, " ");
            case "ternary": return V.Truthy(v) ? A(0, "true_val", null) : v is null && pos.Count > 2 ? pos[2] : A(1, "false_val", null);
            case "basename": return Path.GetFileName(S(v));
            case "dirname": return Path.GetDirectoryName(S(v)) ?? "";
            case "flatten":
            {
                var levels = A(0, "levels", null) is long lv ? lv : long.MaxValue;
                var result = new List<object?>();
                Flatten(Seq(v, f), levels, result, 0);
                return result;
            }
            case "e" or "escape":
                return S(v).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");
            case "format": return PyFormat.Printf(S(v), named.Count > 0 ? [named] : pos, f.At); // value % args, or value % kwargs
        }
        var near = Resh.Core.Text.Suggest.Closest(f.Name, Names);
        throw new TemplateError($"Unknown filter '{f.Name}'.", f.At, near is null ? "See resh help template for the filters." : $"Did you mean '{near}'?");
    }

    static TemplateError Big(long max) => new($"A string grows past max_size ({max} bytes).", null, "Raise max_size if this is intended.", "failed");

    /// <summary>Python's s.replace('', new, count): new before each character and at the end ('ab' -> '-a-b-').</summary>
    internal static string ReplaceEmpty(string s, string @new, long count, long max)
    {
        var runes = V.Iterate(s);
        long inserts = count < 0 ? runes.Count + 1 : Math.Min(count, runes.Count + 1);
        if (s.Length + inserts * @new.Length > max) throw Big(max);
        var sb = new StringBuilder();
        for (int i = 0; i <= runes.Count; i++)
        {
            if (i < inserts) sb.Append(@new);
            if (i < runes.Count) sb.Append((string)runes[i]!);
        }
        return sb.ToString();
    }

    static string ReplaceCount(string s, string old, string @new, long count)
    {
        var sb = new StringBuilder();
        int i = 0;
        for (long n = 0; n < count; n++)
        {
            var j = s.IndexOf(old, i, StringComparison.Ordinal);
            if (j < 0) break;
            sb.Append(s, i, j - i).Append(@new);
            i = j + old.Length;
        }
        return sb.Append(s, i, s.Length - i).ToString();
    }

    static long? ParseInt(string s, int b)
    {
        var t = s.Replace("_", "");
        bool neg = t.StartsWith('-');
        if (neg || t.StartsWith('+')) t = t[1..];
        if (b == 16 && t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) t = t[2..];
        if (b == 8 && t.StartsWith("0o", StringComparison.OrdinalIgnoreCase)) t = t[2..];
        if (b == 2 && t.StartsWith("0b", StringComparison.OrdinalIgnoreCase)) t = t[2..];
        if (t.Length == 0) return null;
        try
        {
            long r = b switch
            {
                10 => long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var x) ? x : throw new FormatException(),
                16 or 8 or 2 => Convert.ToInt64(t, b),
                _ => throw new FormatException(),
            };
            return neg ? -r : r;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { return null; }
    }

    static void Flatten(List<object?> items, long levels, List<object?> into, long depth)
    {
        if (depth > V.MaxNesting) throw new TemplateError($"flatten: the list nests deeper than {V.MaxNesting} levels.", null);
        foreach (var x in items)
        {
            if (x is List<object?> l && depth < levels) Flatten(l, levels, into, depth + 1);
            else if (x is not null) into.Add(x);
        }
    }

    static Dictionary<string, object?> Copy(Dictionary<string, object?> d) => new(d, StringComparer.Ordinal);

    /// <summary>Ansible's combine: later keys win; recursive merges dicts inside dicts.</summary>
    public static void Merge(Dictionary<string, object?> into, Dictionary<string, object?> from, bool recursive, int depth = 0)
    {
        if (depth > V.MaxNesting) throw new TemplateError($"combine: the dicts nest deeper than {V.MaxNesting} levels.", null);
        foreach (var (k, v) in from)
        {
            if (recursive && v is Dictionary<string, object?> dv && into.TryGetValue(k, out var old) && old is Dictionary<string, object?> dold)
            {
                var merged = Copy(dold);
                Merge(merged, dv, true, depth + 1);
                into[k] = merged;
            }
            else into[k] = v;
        }
    }

    static List<object?> Seq(object? v, FilterExpr f) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> or string or null => V.Iterate(v),
        _ => throw new TemplateError($"{f.Name} needs a list, got {V.TypeName(v)}.", f.At),
    };

    static Dictionary<string, object?> Dict(object? v, FilterExpr f) => v as Dictionary<string, object?>
        ?? (v is null ? [] : throw new TemplateError($"{f.Name} needs a dict, got {V.TypeName(v)}.", f.At));

    static object? Attr(object? x, string attr, object? dflt = null)
    {
        foreach (var part in attr.Split('.'))
        {
            if (x is Dictionary<string, object?> d && d.TryGetValue(part, out var y)) x = y;
            else if (x is List<object?> l && int.TryParse(part, out var i) && i >= 0 && i < l.Count) x = l[i];
            else return dflt;
        }
        return x;
    }

    static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);

    /// <summary>Python's str.center: the extra space of an odd margin goes left when the width is odd ('ab'.center(5) is '  ab ').</summary>
    public static string Center(string s, long width, string fill)
    {
        var w = (int)Math.Clamp(width, 0, 1 << 20);
        if (s.Length >= w) return s;
        int marg = w - s.Length, left = marg / 2 + (marg & w & 1);
        return string.Concat(Enumerable.Repeat(fill, left)) + s + string.Concat(Enumerable.Repeat(fill, marg - left));
    }

    /// <summary>Python's str.upper: the full case mappings (ß is SS, the ligature ﬁ is FI), not only one character for one.</summary>
    public static string Upper(string s)
    {
        var up = s.ToUpperInvariant();
        if (!up.AsSpan().ContainsAny(SpecialUpper)) return up;
        var sb = new StringBuilder(up.Length + 4);
        foreach (var c in up)
            sb.Append(c switch
            {
                'ß' => "SS", 'ŉ' => "ʼN", 'ﬀ' => "FF", 'ﬁ' => "FI", 'ﬂ' => "FL", 'ﬃ' => "FFI", 'ﬄ' => "FFL", 'ﬅ' or 'ﬆ' => "ST",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    static readonly System.Buffers.SearchValues<char> SpecialUpper = System.Buffers.SearchValues.Create("ßŉﬀﬁﬂﬃﬄﬅﬆ");

    /// <summary>Python's str.lower: İ (capital I with a dot) becomes i and a combining dot, two characters.</summary>
    public static string Lower(string s) => s.Contains('İ') ? s.Replace("İ", "i\u0307").ToLowerInvariant() : s.ToLowerInvariant();

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (var c in s)
        {
            sb.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = !char.IsLetterOrDigit(c) && c != '\'';
        }
        return sb.ToString();
    }

    public static List<object?> Split(string s, string? sep, long maxsplit)
    {
        if (sep is null)
        {
            var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxsplit < 0 || parts.Length <= maxsplit) return parts.Select(p => (object?)p).ToList();
            var head = parts.Take((int)maxsplit).ToList();
            var rest = s.TrimStart();
            foreach (var h in head) rest = rest[(rest.IndexOf(h, StringComparison.Ordinal) + h.Length)..].TrimStart();
            return [.. head.Select(p => (object?)p), rest];
        }
        if (sep.Length == 0) throw new TemplateError("split: empty separator.", null);
        return (maxsplit < 0 ? s.Split(sep) : s.Split(sep, (int)Math.Min(maxsplit + 1, int.MaxValue))).Select(p => (object?)p).ToList();
    }

    /// <summary>POSIX shell quoting, as Python's shlex.quote (Ansible's quote filter).</summary>
    public static string Quote(string s)
    {
        if (s.Length == 0) return "''";
        bool safe = true;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '@' or '%' or '+' or '=' or ':' or ',' or '.' or '/' or '-')) { safe = false; break; }
        return safe ? s : "'" + s.Replace("'", "'\"'\"'") + "'";
    }

    /// <summary>printf-style "%s" formatting (Jinja2's format filter): %s, %d, %i, %f with precision, %%.</summary>
    public static string Format(string fmt, List<object?> args, Loc at) => PyFormat.Printf(fmt, args, at);

    /// <summary>A compiled pattern (Python syntax: (?P&lt;name&gt;...) is accepted) with a 1 s match timeout.</summary>
    public static Regex Regex(Renderer r, string pattern, bool ignoreCase, bool multiline, Loc at)
    {
        var opts = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0) | (multiline ? RegexOptions.Multiline : 0);
        var key = (pattern, opts);
        if (r.Regexes.TryGetValue(key, out var cached)) return cached;
        var net = pattern.Replace("(?P<", "(?<", StringComparison.Ordinal);
        net = System.Text.RegularExpressions.Regex.Replace(net, @"\(\?P=(\w+)\)", @"\k<$1>");
        try
        {
            var re = new Regex(net, opts, TimeSpan.FromSeconds(1));
            r.Regexes[key] = re;
            return re;
        }
        catch (ArgumentException e)
        {
            throw new TemplateError($"Invalid regular expression '{pattern}': {e.Message}", at);
        }
    }

    /// <summary>A Python re.sub replacement (\1, \g&lt;1&gt;, \g&lt;name&gt;) as a .NET one ($ escaped).</summary>
    static string PythonReplacement(string repl)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < repl.Length; i++)
        {
            char c = repl[i];
            if (c == '$') { sb.Append("$$"); continue; }
            if (c != '\\' || i + 1 >= repl.Length) { sb.Append(c); continue; }
            char n = repl[i + 1];
            if (char.IsAsciiDigit(n))
            {
                int j = i + 1;
                while (j < repl.Length && j < i + 3 && char.IsAsciiDigit(repl[j])) j++;
                sb.Append("${").Append(repl, i + 1, j - i - 1).Append('}');
                i = j - 1;
            }
            else if (n == 'g' && i + 2 < repl.Length && repl[i + 2] == '<' && repl.IndexOf('>', i + 3) is var close and > 0)
            {
                sb.Append("${").Append(repl, i + 3, close - i - 3).Append('}');
                i = close;
            }
            else if (n == 'n') { sb.Append('\n'); i++; }
            else if (n == 't') { sb.Append('\t'); i++; }
            else if (n == '\\') { sb.Append('\\'); i++; }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>JSON text the way Python's json.dumps writes it (Ansible's to_json and to_nice_json).</summary>
internal static class Json
{
    public static string Write(object? v, int? indent, bool sortKeys, bool ensureAscii, long max = long.MaxValue)
    {
        var sb = new StringBuilder();
        Write(sb, v, indent, sortKeys, ensureAscii, 0, max);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? v, int? indent, bool sort, bool ascii, int depth, long max)
    {
        if (depth > V.MaxNesting) throw new TemplateError($"A value nests deeper than {V.MaxNesting} levels.", null);
        // Bounded while it is built (escapes and indents make the text larger than the value).
        if (sb.Length > max) throw new TemplateError($"A string grows past max_size ({max} bytes).", null, "Raise max_size if this is intended.", "failed");
        string itemSep = indent is null ? ", " : ",";
        void NewLine(int d)
        {
            if (indent is not { } n) return;
            sb.Append('\n').Append(' ', n * d);
        }
        switch (v)
        {
            case null or Undefined: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : V.Float(d)); break;
            case string s: String(sb, s, ascii); break;
            case List<object?> list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    NewLine(depth + 1);
                    Write(sb, list[i], indent, sort, ascii, depth + 1, max);
                }
                NewLine(depth);
                sb.Append(']');
                break;
            case Dictionary<string, object?> dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                IEnumerable<KeyValuePair<string, object?>> items = sort ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal) : dict;
                bool first = true;
                foreach (var (k, x) in items)
                {
                    if (!first) sb.Append(itemSep);
                    first = false;
                    NewLine(depth + 1);
                    String(sb, k, ascii);
                    sb.Append(": ");
                    Write(sb, x, indent, sort, ascii, depth + 1, max);
                }
                NewLine(depth);
                sb.Append('}');
                break;
            default: String(sb, V.Str(v), ascii); break;
        }
    }

    static void String(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || ascii && c > 0x7f) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
