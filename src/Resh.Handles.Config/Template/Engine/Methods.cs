namespace Resh.Handles.Template.Engine;

/// <summary>The Python methods templates call on values: d.items(), s.split(), xs.append(x), loop.cycle(...).</summary>
internal static class Methods
{
    static readonly HashSet<string> Names =
    [
        "items", "keys", "values", "get", "update", "upper", "lower", "strip", "lstrip", "rstrip", "split", "splitlines", "startswith", "endswith",
        "replace", "title", "capitalize", "join", "find", "count", "append", "extend", "index", "cycle", "format", "zfill", "isdigit",
        "center", "ljust", "rjust",
    ];

    public static bool Has(string name) => Names.Contains(name);

    public static object? Call(Renderer r, object? obj, string name, List<object?> args, Dictionary<string, object?> kwargs, Loc at, string what)
    {
        object? A(int i, object? dflt = null) => i < args.Count ? args[i] : dflt;
        string S(int i) => A(i) is string s ? s : throw new TemplateError($"{what}.{name}() needs a string argument, got {V.TypeName(A(i))}.", at);
        string Fill(object? f) => f is null ? " " : f is string fs && fs.Length == 1 ? fs : throw new TemplateError($"{what}.{name}() takes one fill character.", at);
        switch (obj, name)
        {
            case (LoopInfo loop, "cycle"): return r.Cycle(loop, args, at);
            case (Dictionary<string, object?> d, "items"): return d.Select(kv => (object?)new PyTuple { kv.Key, kv.Value }).ToList();
            case (Dictionary<string, object?> d, "keys"): return d.Keys.Select(k => (object?)k).ToList();
            case (Dictionary<string, object?> d, "values"): return d.Values.ToList();
            case (Dictionary<string, object?> d, "get"): return d.TryGetValue(V.Str(A(0)), out var v) ? v : A(1);
            case (Dictionary<string, object?> d, "update"):
                if (A(0) is Dictionary<string, object?> other) foreach (var (k, x) in other) d[k] = x;
                foreach (var (k, x) in kwargs) d[k] = x;
                return null;
            case (List<object?> l, "append"):
                if (l.Count >= 10_000_000) throw new TemplateError("A list grows past 10,000,000 items.", at, null, "failed");
                l.Add(A(0));
                return null;
            case (List<object?> l, "extend"):
                if (A(0) is List<object?> more) l.AddRange(more);
                return null;
            case (List<object?> l, "index"):
                for (int i = 0; i < l.Count; i++) if (V.Equals(l[i], A(0))) return (long)i;
                throw new TemplateError($"{V.Repr(A(0))} is not in {what}.", at);
            case (List<object?> l, "count"): return (long)l.Count(x => V.Equals(x, A(0)));
            case (string s, "upper"): return Filters.Upper(s);
            case (string s, "lower"): return Filters.Lower(s);
            case (string s, "center"): return Filters.Center(s, A(0) is long cw ? cw : throw new TemplateError($"{what}.center() needs a width.", at), Fill(A(1)));
            case (string s, "ljust"): return A(0) is long lw ? s + string.Concat(Enumerable.Repeat(Fill(A(1)), (int)Math.Clamp(lw - s.Length, 0, 1 << 20))) : throw new TemplateError($"{what}.ljust() needs a width.", at);
            case (string s, "rjust"): return A(0) is long rw ? string.Concat(Enumerable.Repeat(Fill(A(1)), (int)Math.Clamp(rw - s.Length, 0, 1 << 20))) + s : throw new TemplateError($"{what}.rjust() needs a width.", at);
            case (string s, "strip"): return A(0) is string c1 ? s.Trim(c1.ToCharArray()) : s.Trim();
            case (string s, "lstrip"): return A(0) is string c2 ? s.TrimStart(c2.ToCharArray()) : s.TrimStart();
            case (string s, "rstrip"): return A(0) is string c3 ? s.TrimEnd(c3.ToCharArray()) : s.TrimEnd();
            case (string s, "split"): return Filters.Split(s, A(0) as string, A(1) is long n ? n : -1);
            case (string s, "splitlines"): return s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).SkipLastIfEmpty().ToList();
            case (string s, "startswith"): return A(0) is List<object?> ps ? ps.Any(p => s.StartsWith(V.Str(p), StringComparison.Ordinal)) : s.StartsWith(S(0), StringComparison.Ordinal);
            case (string s, "endswith"): return A(0) is List<object?> ps2 ? ps2.Any(p => s.EndsWith(V.Str(p), StringComparison.Ordinal)) : s.EndsWith(S(0), StringComparison.Ordinal);
            case (string s, "replace"): return S(0).Length == 0 ? Filters.ReplaceEmpty(s, S(1), A(2) is long rc ? rc : -1, r.Options.MaxSize) : s.Replace(S(0), S(1), StringComparison.Ordinal);
            case (string s, "title"): return Filters.Title(s);
            case (string s, "capitalize"): return Filters.Capitalize(s);
            case (string s, "join"): return string.Join(s, V.Iterate(r.Force(A(0), null!)).Select(V.Str));
            case (string s, "find"): return (long)s.IndexOf(S(0), StringComparison.Ordinal);
            case (string s, "count"): return (long)(S(0).Length == 0 ? s.Length + 1 : (s.Length - s.Replace(S(0), "", StringComparison.Ordinal).Length) / S(0).Length);
            case (string s, "zfill"): return A(0) is long w ? s.PadLeft((int)Math.Min(w, 1 << 20), '0') : s;
            case (string s, "isdigit"): return s.Length > 0 && s.All(char.IsDigit);
            case (string s, "format"): return PyFormat.Format(s, args, kwargs, at); // str.format: {} fields, not %
        }
        throw new TemplateError($"{what} (a {V.TypeName(obj)}) has no method '{name}'.", at,
            obj is Dictionary<string, object?> ? "Dict methods: items(), keys(), values(), get(key, default)." : null);
    }

    static IEnumerable<object?> SkipLastIfEmpty(this IEnumerable<object?> items)
    {
        var list = items.ToList();
        if (list.Count > 0 && list[^1] is "") list.RemoveAt(list.Count - 1);
        return list;
    }
}

/// <summary>The tests of `x is NAME`.</summary>
internal static class Tests
{
    public static bool Apply(Renderer r, TestExpr t, Frame frame)
    {
        var raw = t.Name is "defined" or "undefined" ? r.EvalGuarded(t.Target, frame) : r.Eval(t.Target, frame);
        if (t.Name == "defined") return raw is not Undefined;
        if (t.Name == "undefined") return raw is Undefined;
        var v = r.Force(raw, t.Target);
        var args = t.Args.Positional.Select(a => r.Eval(a, frame)).ToList();
        object? A(int i) => i < args.Count ? r.Force(args[i], t.Args.Positional[i]) : throw new TemplateError($"The test '{t.Name}' needs an argument.", t.At);
        switch (t.Name)
        {
            case "none": return v is null;
            case "number": return V.IsNumber(v);
            case "integer": return v is long;
            case "float": return v is double;
            case "string": return v is string;
            case "boolean": return v is bool;
            case "true": return v is true;
            case "false": return v is false;
            case "mapping": return v is Dictionary<string, object?>;
            case "sequence" or "iterable": return v is List<object?> or string or Dictionary<string, object?>;
            case "callable": return v is Macro or Builtin;
            case "even": return v is long e ? e % 2 == 0 : throw new TemplateError($"'even' needs an integer, got {V.TypeName(v)}.", t.At);
            case "odd": return v is long o ? o % 2 != 0 : throw new TemplateError($"'odd' needs an integer, got {V.TypeName(v)}.", t.At);
            case "divisibleby": return v is long a && A(0) is long b && b != 0 ? a % b == 0 : throw new TemplateError("'divisibleby' needs integers.", t.At);
            case "eq" or "equalto" or "==": return V.Equals(v, A(0));
            case "ne" or "!=": return !V.Equals(v, A(0));
            case "lt" or "lessthan" or "<": return V.Compare(v, A(0)) < 0;
            case "le" or "<=": return V.Compare(v, A(0)) <= 0;
            case "gt" or "greaterthan" or ">": return V.Compare(v, A(0)) > 0;
            case "ge" or ">=": return V.Compare(v, A(0)) >= 0;
            case "in": return A(0) switch
            {
                List<object?> l => l.Any(x => V.Equals(x, v)),
                string s => v is string sub && s.Contains(sub, StringComparison.Ordinal),
                Dictionary<string, object?> d => v is string k && d.ContainsKey(k),
                _ => false,
            };
            case "sameas": return v is null ? A(0) is null : v is bool bv ? A(0) is bool ba && ba == bv : ReferenceEquals(v, A(0));
            case "lower": return v is string sl && sl == sl.ToLowerInvariant();
            case "upper": return v is string su && su == su.ToUpperInvariant();
            case "truthy": return V.Truthy(v);
            case "falsy": return !V.Truthy(v);
            case "match" or "search" or "regex":
                var m = Filters.Regex(r, V.Str(A(0)), false, false, t.At).Match(V.Str(v));
                return m.Success && (t.Name != "match" || m.Index == 0);
            case "startswith": return v is string ss && ss.StartsWith(V.Str(A(0)), StringComparison.Ordinal);
            case "endswith": return v is string se && se.EndsWith(V.Str(A(0)), StringComparison.Ordinal);
        }
        throw new TemplateError($"Unknown test '{t.Name}'.", t.At,
            "Tests: defined, undefined, none, number, integer, float, string, boolean, mapping, sequence, iterable, even, odd, divisibleby, eq, ne, lt, le, gt, ge, in, sameas, lower, upper, match, search.");
    }
}
