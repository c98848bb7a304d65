using System.Globalization;
using System.Text;

namespace Resh.Handles.Template.Engine;

/// <summary>Expression evaluation: names, attributes, operators, calls, methods, filters and tests.</summary>
internal sealed partial class Renderer
{
    public object? Eval(Expr e, Frame frame)
    {
        switch (e)
        {
            case Literal l: return l.Value;
            case NameExpr n: return Lookup(n.Name, frame, n.At);
            case AttrExpr a: return GetAttr(Eval(a.Target, frame), a.Name, a.Target, a.At);
            case IndexExpr ix: return GetItem(Eval(ix.Target, frame), Force(Eval(ix.Index, frame), ix.Index), ix.Target, ix.At);
            case SliceExpr s: return Slice(s, frame);
            case ListExpr le:
            {
                var list = le.Tuple ? new PyTuple(le.Items.Count) : new List<object?>(le.Items.Count);
                long items = 1;
                foreach (var item in le.Items)
                {
                    var x = Eval(item, frame);
                    CheckItems(items += Weight(x), le.At);
                    list.Add(x);
                }
                return Weighed(list, items);
            }
            case DictExpr de:
            {
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                long items = 1;
                foreach (var (k, v) in de.Items)
                {
                    var x = Eval(v, frame);
                    CheckItems(items += Weight(x), de.At);
                    d[Str(Force(Eval(k, frame), k))] = x;
                }
                return Weighed(d, items);
            }
            case UnaryExpr u:
            {
                var v = Force(Eval(u.Operand, frame), u.Operand);
                return u.Op switch
                {
                    "not" => !V.Truthy(v),
                    "-" => v switch { long x => (object)checked(-x), double d => -d, bool b => b ? -1L : 0L, _ => throw TypeError($"Cannot negate a {V.TypeName(v)}.", u.At) },
                    _ => V.IsNumber(v) || v is bool ? v : throw TypeError($"Unary + needs a number, got {V.TypeName(v)}.", u.At),
                };
            }
            case BinaryExpr b: return Binary(b, frame);
            case CondExpr c:
                if (Truth(Eval(c.Test, frame), c.Test)) return Eval(c.Then, frame);
                return c.Else is null ? "" : Eval(c.Else, frame); // no else: an empty string, as Ansible renders it
            case CallExpr call: return Call(call, frame, null);
            case FilterExpr f: return Filters.Apply(this, f, frame);
            case TestExpr t: return Tests.Apply(this, t, frame) != t.Negated;
            default: throw new TemplateError("Unknown expression.", e.At);
        }
    }

    static TemplateError TypeError(string message, Loc at, string? hint = null) => new(message, at, hint);

    /// <summary>
    /// The target of `| default` and `is defined`: an attribute or item of an undefined value is undefined too, not an error
    /// (Ansible's chainable undefined: {{ x.y | default(1) }} with x undefined is 1, s37 user #6). Elsewhere strict mode
    /// still stops at x.
    /// </summary>
    internal object? EvalGuarded(Expr e, Frame frame) => e switch
    {
        AttrExpr a => EvalGuarded(a.Target, frame) switch
        {
            Undefined u => new Undefined($"{u.Name}.{a.Name}", a.At),
            var t => GetAttr(t, a.Name, a.Target, a.At),
        },
        IndexExpr ix => EvalGuarded(ix.Target, frame) switch
        {
            Undefined u => new Undefined($"{u.Name}[...]", ix.At),
            var t => GetItem(t, Force(Eval(ix.Index, frame), ix.Index), ix.Target, ix.At),
        },
        _ => Eval(e, frame),
    };

    object? Lookup(string name, Frame frame, Loc at)
    {
        if (frame.TryGet(name, out var v)) return v;
        switch (name)
        {
            case "range": return RangeFn;
            case "dict": return DictFn;
            case "namespace": return NamespaceFn;
            case "lipsum" or "cycler" or "joiner": break;
            case "secret": return new Builtin("secret", (args, _, at2) => ReadSecret(args, at2));
            case "super": return new Builtin("super", (_, _, at2) => Super(frame, at2));
        }
        return new Undefined(name, at);
    }

    static readonly Builtin RangeFn = new("range", (args, _, at) =>
    {
        long start = 0, stop, step = 1;
        if (args.Count is 0 or > 3) throw new TemplateError("range() takes 1 to 3 integers.", at);
        long I(object? v) => v is long l ? l : v is bool b ? (b ? 1 : 0) : throw new TemplateError($"range() needs integers, got {V.TypeName(v)}.", at);
        if (args.Count == 1) stop = I(args[0]);
        else { start = I(args[0]); stop = I(args[1]); if (args.Count == 3) step = I(args[2]); }
        if (step == 0) throw new TemplateError("range() step must not be zero.", at);
        var count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
        if (count > 10_000_000) throw new TemplateError($"range() of {count} items is more than the 10,000,000 a template may make.", at, "Loops are bounded.", "failed");
        var list = new List<object?>((int)count);
        for (long i = 0, x = start; i < count; i++, x += step) list.Add(x);
        return list;
    });

    static readonly Builtin DictFn = new("dict", (args, kwargs, at) =>
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (args.Count > 0 && args[0] is Dictionary<string, object?> src) foreach (var (k, v) in src) d[k] = v;
        foreach (var (k, v) in kwargs) d[k] = v;
        return d;
    });

    static readonly Builtin NamespaceFn = new("namespace", (args, kwargs, at) =>
    {
        var ns = new Namespace();
        if (args.Count > 0 && args[0] is Dictionary<string, object?> src) foreach (var (k, v) in src) ns[k] = v;
        foreach (var (k, v) in kwargs) ns[k] = v;
        return ns;
    });

    object? ReadSecret(List<object?> args, Loc at)
    {
        if (args.Count != 1 || args[0] is not string name || name.Length == 0)
            throw new TemplateError("secret() takes one secret name, e.g. secret(\"db_password\").", at);
        if (name.Contains(':'))
            throw new TemplateError("secret() reads the secret:// keystore by name only; a source prefix (env:, file:, secret:, a backend) is refused.", at,
                "Store the value with resh secret://NAME.set and read it with secret(\"NAME\").");
        if (!global::Resh.Core.Secrets.SecretNames.IsValid(name))
            throw new TemplateError("secret() takes a secret name of the keystore.", at, global::Resh.Core.Secrets.SecretNames.Rule);
        if (_opt.Secret is null) throw new TemplateError("secret() is not available here.", at, null, "unsupported");
        var known = SecretNames.IndexOf(name);
        if (known >= 0) return SecretValues[known]; // read once per render
        var value = _opt.Secret(name) ?? throw new TemplateError($"No secret named '{name}'.", at, "List them with resh secret://.list; add one with secret://NAME.set.", "not_found");
        SecretNames.Add(name);
        SecretValues.Add(value);
        return value;
    }

    string NameOf(Expr e) => e switch
    {
        NameExpr n => n.Name,
        AttrExpr a => $"{NameOf(a.Target)}.{a.Name}",
        IndexExpr { Index: Literal l } ix => $"{NameOf(ix.Target)}[{(l.Value is string s ? "'" + s + "'" : V.Str(l.Value))}]",
        IndexExpr ix => $"{NameOf(ix.Target)}[...]",
        _ => "(value)",
    };

    object? GetAttr(object? target, string name, Expr targetExpr, Loc at)
    {
        if (target is Undefined u) return _opt.Strict ? throw UndefinedError(u) : new Undefined($"{u.Name}.{name}", at);
        switch (target)
        {
            case Dictionary<string, object?> d:
                return d.TryGetValue(name, out var v) ? v : new Undefined($"{NameOf(targetExpr)}.{name}", at);
            case LoopInfo loop:
                return name switch
                {
                    "index" => (long)loop.Index0 + 1,
                    "index0" => (long)loop.Index0,
                    "revindex" => (long)(loop.Length - loop.Index0),
                    "revindex0" => (long)(loop.Length - loop.Index0 - 1),
                    "first" => loop.Index0 == 0,
                    "last" => loop.Index0 == loop.Length - 1,
                    "length" => (long)loop.Length,
                    "depth" => (long)loop.Depth,
                    "depth0" => (long)loop.Depth - 1,
                    "previtem" => loop.Index0 > 0 ? loop.Prev : new Undefined("loop.previtem", at),
                    "nextitem" => loop.Index0 < loop.Length - 1 ? loop.Next : new Undefined("loop.nextitem", at),
                    _ => new Undefined($"loop.{name}", at),
                };
            default:
                return new Undefined($"{NameOf(targetExpr)}.{name}", at);
        }
    }

    object? GetItem(object? target, object? index, Expr targetExpr, Loc at)
    {
        if (target is Undefined u) return _opt.Strict ? throw UndefinedError(u) : new Undefined($"{u.Name}[{V.Str(index)}]", at);
        string Name() => $"{NameOf(targetExpr)}[{(index is string s ? "'" + s + "'" : V.Str(index))}]";
        switch (target)
        {
            case Dictionary<string, object?> d:
                return d.TryGetValue(V.Str(index), out var v) ? v : new Undefined(Name(), at);
            case List<object?> l when index is long i:
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : new Undefined(Name(), at);
            case string s when index is long i:
                var runes = V.Iterate(s);
                if (i < 0) i += runes.Count;
                return i >= 0 && i < runes.Count ? runes[(int)i] : new Undefined(Name(), at);
            case LoopInfo when index is string name:
                return GetAttr(target, name, targetExpr, at);
            case null:
                return new Undefined(Name(), at);
            default:
                throw TypeError($"Cannot index a {V.TypeName(target)} with a {V.TypeName(index)}.", at);
        }
    }

    object? Slice(SliceExpr s, Frame frame)
    {
        var target = Force(Eval(s.Target, frame), s.Target);
        long? N(Expr? e) => e is null ? null : Force(Eval(e, frame), e) switch
        {
            long l => l,
            null => null,
            var o => throw TypeError($"Slice bounds must be integers, got {V.TypeName(o)}.", e.At),
        };
        var start = N(s.Start);
        var stop = N(s.Stop);
        var step = N(s.Step) ?? 1;
        if (step == 0) throw TypeError("A slice step must not be zero.", s.At);
        var items = target switch
        {
            List<object?> l => l,
            string str => V.Iterate(str),
            _ => throw TypeError($"Cannot slice a {V.TypeName(target)}.", s.At),
        };
        int n = items.Count;
        long Clamp(long? v, long dflt, bool upper)
        {
            if (v is null) return dflt;
            var x = v.Value < 0 ? v.Value + n : v.Value;
            return step > 0 ? Math.Clamp(x, 0, n) : Math.Clamp(x, -1, n - 1);
        }
        long a = Clamp(start, step > 0 ? 0 : n - 1, false), b = Clamp(stop, step > 0 ? n : -1, true);
        var result = new List<object?>();
        for (long i = a; step > 0 ? i < b : i > b; i += step) result.Add(items[(int)i]);
        return target is string ? string.Concat(result.Select(V.Str)) : result;
    }

    object? Binary(BinaryExpr b, Frame frame)
    {
        if (b.Op == "and")
        {
            var l = Eval(b.Left, frame);
            return !Truth(l, b.Left) ? l : Eval(b.Right, frame);
        }
        if (b.Op == "or")
        {
            var l = Eval(b.Left, frame);
            return Truth(l, b.Left) ? l : Eval(b.Right, frame);
        }
        var x = Force(Eval(b.Left, frame), b.Left);
        var y = Force(Eval(b.Right, frame), b.Right);
        switch (b.Op)
        {
            case "==": return V.Equals(x, y);
            case "!=": return !V.Equals(x, y);
            case "<": return Cmp(x, y, b) < 0;
            case "<=": return Cmp(x, y, b) <= 0;
            case ">": return Cmp(x, y, b) > 0;
            case ">=": return Cmp(x, y, b) >= 0;
            case "in": return Contains(y, x, b.At);
            case "not in": return !Contains(y, x, b.At);
            case "~": return Checked(Str(x is null ? "None" : x) + Str(y is null ? "None" : y), b.At);
        }
        return Arith(b.Op, x, y, b.At);
    }

    int Cmp(object? x, object? y, BinaryExpr b)
    {
        try { return V.Compare(x, y); }
        catch (TemplateError e) { throw new TemplateError(e.Message, b.At); }
    }

    string Checked(string s, Loc at)
    {
        if (s.Length > _opt.MaxSize) throw new TemplateError($"A string grows past max_size ({_opt.MaxSize} bytes).", at, "Raise max_size if this is intended.", "failed");
        return s;
    }

    static bool Contains(object? container, object? item, Loc at) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw TypeError($"'in <string>' needs a string on the left, got {V.TypeName(item)}.", at),
        List<object?> l => l.Any(x => V.Equals(x, item)),
        Dictionary<string, object?> d => item is string k && d.ContainsKey(k),
        _ => throw TypeError($"Cannot test membership in a {V.TypeName(container)}.", at),
    };

    object? Arith(string op, object? x, object? y, Loc at)
    {
        // "%05.1f" % x, before booleans turn into numbers ("%s" % true is True, as in Python: s37 user #4). Only a tuple is
        // an argument tuple; a list is one argument ("%s" % [1, 2] is "[1, 2]": s37 user #5).
        if (op == "%" && x is string fmt) return Checked(PyFormat.Printf(fmt, y is PyTuple tuple ? tuple : [y], at), at);
        if (x is bool bx) x = bx ? 1L : 0L;
        if (y is bool by) y = by ? 1L : 0L;
        if (op == "+")
        {
            if (x is string sx && y is string sy) return Checked(sx + sy, at);
            if (x is List<object?> lx && y is List<object?> ly)
            {
                if ((long)lx.Count + ly.Count > 10_000_000) throw new TemplateError("A list grows past 10,000,000 items.", at, null, "failed");
                var items = Weight(lx) + Weight(ly) - 1;
                CheckItems(items, at);
                return Weighed(new List<object?>([.. lx, .. ly]), items); // known, so a list grown in a loop is not walked again
            }
        }
        if (op == "*")
        {
            var (rs, rn) = x is string xs && y is long yn ? (xs, yn) : y is string ys && x is long xn ? (ys, xn) : (null, 0L);
            if (rs is not null)
            {
                if (rn <= 0) return "";
                if (rs.Length * (double)rn > _opt.MaxSize) throw new TemplateError($"A string grows past max_size ({_opt.MaxSize} bytes).", at, "Raise max_size if this is intended.", "failed");
                return new StringBuilder(rs.Length * (int)rn).Insert(0, rs, (int)rn).ToString();
            }
            if (x is List<object?> l && y is long m)
            {
                if (m <= 0) return new List<object?>();
                if (l.Count * (double)m > 10_000_000) throw new TemplateError("A list grows past 10,000,000 items.", at, null, "failed");
                if (Weight(l) * (double)m > MaxItems) CheckItems(MaxItems + 1, at);
                var r = new List<object?>();
                for (long i = 0; i < m; i++) r.AddRange(l);
                return r;
            }
        }
        if (!V.IsNumber(x) || !V.IsNumber(y))
            throw TypeError($"Cannot apply '{op}' to {V.TypeName(x)} and {V.TypeName(y)}.", at,
                op == "+" && (x is string || y is string) ? "Join text with ~ ({{ a ~ b }}), which converts numbers." : null);
        if (x is long a && y is long b)
        {
            try
            {
                switch (op)
                {
                    case "+": return checked(a + b);
                    case "-": return checked(a - b);
                    case "*": return checked(a * b);
                    case "/": return b == 0 ? throw TypeError("Division by zero.", at) : (double)a / b;
                    case "//": return b == 0 ? throw TypeError("Division by zero.", at) : FloorDiv(a, b);
                    case "%": return b == 0 ? throw TypeError("Modulo by zero.", at) : ((a % b) + b) % b;
                    case "**":
                        if (b < 0) return Math.Pow(a, b);
                        long r = 1;
                        for (long i = 0; i < b; i++) r = checked(r * a);
                        return r;
                }
            }
            catch (OverflowException) { return Arith(op, (double)a, (double)b, at); }
        }
        double p = V.ToDouble(x), q = V.ToDouble(y);
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw TypeError("Division by zero.", at) : p / q,
            "//" => q == 0 ? throw TypeError("Division by zero.", at) : Math.Floor(p / q),
            "%" => q == 0 ? throw TypeError("Modulo by zero.", at) : p - q * Math.Floor(p / q),
            "**" => Math.Pow(p, q),
            _ => throw TypeError($"Unknown operator {op}.", at),
        };
    }

    static long FloorDiv(long a, long b)
    {
        var q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    // ---- calls --------------------------------------------------------------------------------

    (List<object?>, Dictionary<string, object?>) EvalArgs(Args args, Frame frame)
    {
        var pos = new List<object?>(args.Positional.Count);
        foreach (var a in args.Positional) pos.Add(Eval(a, frame));
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (n, a) in args.Named) named[n] = Eval(a, frame);
        return (pos, named);
    }

    internal object? Call(CallExpr call, Frame frame, Macro? caller)
    {
        if (call.Target is AttrExpr a)
        {
            var obj = Eval(a.Target, frame);
            if (obj is Dictionary<string, object?> d && d.TryGetValue(a.Name, out var member) && member is Macro or Builtin)
                return Invoke(member, call, frame, caller);
            if (obj is not Dictionary<string, object?> || Methods.Has(a.Name))
            {
                obj = Force(obj, a.Target);
                var (args, kwargs) = EvalArgs(call.Args, frame);
                var made = Methods.Call(this, obj, a.Name, args, kwargs, call.At, NameOf(a.Target));
                if (made is string ms && ms.Length > _opt.MaxSize) throw new TemplateError($"A string grows past max_size ({_opt.MaxSize} bytes).", call.At, "Raise max_size if this is intended.", "failed");
                return made;
            }
        }
        return Invoke(Eval(call.Target, frame), call, frame, caller);
    }

    object? Invoke(object? callee, CallExpr call, Frame frame, Macro? caller)
    {
        if (callee is Undefined u) throw UndefinedError(u);
        var (args, kwargs) = EvalArgs(call.Args, frame);
        return callee switch
        {
            Macro m => CallMacro(m, args, kwargs, call.At, caller),
            LoopInfo loop => RecurseLoop(loop, args, call.At),
            Builtin f => f.Call(args, kwargs, call.At),
            _ => throw TypeError($"'{NameOf(call.Target)}' is a {V.TypeName(callee)}, not a macro or function.", call.At),
        };
    }

    internal object? Cycle(LoopInfo loop, List<object?> args, Loc at) =>
        args.Count == 0 ? throw TypeError("loop.cycle() needs at least one value.", at) : args[loop.Index0 % args.Count];
}
