namespace Resh.Handles.Template.Engine;

/// <summary>
/// A variable a template reads from its context: the name and where it is first used. Guarded: every use is
/// <c>x | default(...)</c>, <c>x is defined</c> (or undefined), or inside a branch that tests <c>x is defined</c>, so a
/// render without it does not fail.
/// </summary>
internal sealed record FreeVariable(string Name, Loc At, bool Guarded = false);

/// <summary>
/// The free variables of a template and of everything it includes, extends and imports (names given as
/// string literals): the names it reads that no loop, set, macro parameter, import or builtin binds.
/// </summary>
internal sealed class Analysis
{
    static readonly HashSet<string> Builtins = ["range", "dict", "namespace", "secret", "super", "loop", "caller", "true", "false", "none", "True", "False", "None"];

    readonly Loader _loader;
    readonly Dictionary<string, FreeVariable> _free = new(StringComparer.Ordinal);
    readonly HashSet<string> _visited = new(StringComparer.Ordinal);
    readonly List<string> _notFollowed = [];
    /// <summary>The templates being read, outermost first: one that is reached again includes itself.</summary>
    readonly List<ParsedTemplate> _chain = [];
    /// <summary>Names an enclosing `if x is defined` (or `x is undefined` ... else) guards.</summary>
    readonly List<string> _guards = [];

    Analysis(Loader loader) => _loader = loader;

    /// <summary>Free variables (sorted by name), and the include/extends/import names that are not literals (not followed).</summary>
    public static (List<FreeVariable> Free, List<string> NotFollowed) Run(Loader loader, ParsedTemplate top)
    {
        var a = new Analysis(loader);
        a.Template(top, []);
        return (a._free.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList(), a._notFollowed);
    }

    void Template(ParsedTemplate t, HashSet<string> bound, Loc? at = null)
    {
        if (_chain.Any(c => c.Path == t.Path))
            throw new TemplateError($"{t.Display} includes, extends or imports itself ({string.Join(" -> ", _chain.Select(c => c.Display))} -> {t.Display}).", at,
                "Break the cycle: a render of it fails.");
        if (!_visited.Add(t.Path)) return;
        if (_visited.Count > 1000) throw new TemplateError("More than 1000 templates are included.", null);
        var scope = new HashSet<string>(bound, StringComparer.Ordinal);
        // Top-level sets, macros and imports bind for the whole file (blocks of a child run after them).
        foreach (var n in t.Body)
            switch (n)
            {
                case MacroNode m: scope.Add(m.Name); break;
                case ImportNode i: scope.Add(i.Alias); break;
                case FromImportNode fi: foreach (var (_, alias) in fi.Names) scope.Add(alias); break;
            }
        _chain.Add(t);
        try { Nodes(t, t.Body, scope); }
        finally { _chain.RemoveAt(_chain.Count - 1); }
    }

    void Follow(ParsedTemplate from, Expr name, HashSet<string> scope, bool withContext, bool ignoreMissing = false)
    {
        if (name is not Literal { Value: string s })
        {
            _notFollowed.Add($"{name.At}");
            Expr(name, scope);
            return;
        }
        ParsedTemplate t;
        try { t = _loader.Load(s, from, name.At); }
        catch (TemplateError e) when (e.Kind == "not_found" && ignoreMissing) { return; } // render skips it too
        Template(t, withContext ? scope : [], name.At);
    }

    void Nodes(ParsedTemplate t, List<Node> nodes, HashSet<string> scope)
    {
        foreach (var n in nodes) Node(t, n, scope);
    }

    void Node(ParsedTemplate t, Node n, HashSet<string> scope)
    {
        switch (n)
        {
            case OutputNode o: Expr(o.Value, scope); break;
            case IfNode i:
            {
                // `if x is defined` guards x in its branch; `if x is undefined` guards it in the branches after.
                var mark = _guards.Count;
                foreach (var (test, body) in i.Branches)
                {
                    Expr(test, scope);
                    var branchMark = _guards.Count;
                    _guards.AddRange(DefinedBy(test, true));
                    Nodes(t, body, scope);
                    _guards.RemoveRange(branchMark, _guards.Count - branchMark);
                    _guards.AddRange(DefinedBy(test, false));
                }
                if (i.Else is not null) Nodes(t, i.Else, scope);
                _guards.RemoveRange(mark, _guards.Count - mark);
                break;
            }
            case ForNode f:
            {
                Expr(f.Iter, scope);
                var inner = new HashSet<string>(scope, StringComparer.Ordinal) { "loop" };
                foreach (var target in f.Targets) inner.Add(target);
                if (f.Filter is not null) Expr(f.Filter, inner);
                Nodes(t, f.Body, inner);
                if (f.Else is not null) Nodes(t, f.Else, scope);
                break;
            }
            case SetNode s:
                if (s.Value is not null) Expr(s.Value, scope);
                if (s.Body is not null) Nodes(t, s.Body, scope);
                if (s.Attr is not null) Use(s.Targets[0], s.At, scope);
                else foreach (var target in s.Targets) scope.Add(target);
                break;
            case WithNode w:
            {
                foreach (var (_, value) in w.Assigns) Expr(value, scope);
                var inner = new HashSet<string>(scope, StringComparer.Ordinal);
                foreach (var (name, _) in w.Assigns) inner.Add(name);
                Nodes(t, w.Body, inner);
                break;
            }
            case FilterBlockNode fb:
                Nodes(t, fb.Body, new HashSet<string>(scope, StringComparer.Ordinal));
                Expr(fb.Chain, new HashSet<string>(scope, StringComparer.Ordinal) { FilterBlockNode.BodyName });
                break;
            case IncludeNode inc: Follow(t, inc.Name, scope, inc.WithContext, inc.IgnoreMissing); break;
            case ExtendsNode ext: Follow(t, ext.Name, scope, true); break;
            case BlockNode b: Nodes(t, b.Body, new HashSet<string>(scope, StringComparer.Ordinal)); break;
            case MacroNode m:
            {
                scope.Add(m.Name);
                var inner = new HashSet<string>(scope, StringComparer.Ordinal) { "caller", "varargs", "kwargs" };
                foreach (var (p, d) in m.Params) { if (d is not null) Expr(d, inner); inner.Add(p); }
                Nodes(t, m.Body, inner);
                break;
            }
            case CallBlockNode c:
            {
                Expr(c.Call, scope);
                var inner = new HashSet<string>(scope, StringComparer.Ordinal);
                foreach (var (p, _) in c.Params) inner.Add(p);
                Nodes(t, c.Body, inner);
                break;
            }
            case ImportNode imp: scope.Add(imp.Alias); Follow(t, imp.Name, [], false); break;
            case FromImportNode fi:
                foreach (var (_, alias) in fi.Names) scope.Add(alias);
                Follow(t, fi.Name, [], false);
                break;
        }
    }

    void Use(string name, Loc at, HashSet<string> scope, bool guarded = false)
    {
        if (scope.Contains(name) || Builtins.Contains(name)) return;
        guarded = guarded || _guards.Contains(name);
        if (_free.TryGetValue(name, out var seen) && (guarded || !seen.Guarded)) return;
        _free[name] = new FreeVariable(name, at, guarded); // the first unguarded use, after guarded ones: no longer guarded
    }

    /// <summary>
    /// The names a test proves defined when it is <paramref name="truth"/>: `x is defined`, `x is not undefined`, and the
    /// parts of `and` (when true) or `or` (when false), through `not`.
    /// </summary>
    static IEnumerable<string> DefinedBy(Expr test, bool truth) => test switch
    {
        TestExpr { Name: "defined" } te when te.Negated != truth && Root(te.Target) is { } n => [n.Name],
        TestExpr { Name: "undefined" } te when te.Negated == truth && Root(te.Target) is { } n => [n.Name],
        UnaryExpr { Op: "not" } u => DefinedBy(u.Operand, !truth),
        BinaryExpr { Op: "and" } b when truth => DefinedBy(b.Left, true).Concat(DefinedBy(b.Right, true)),
        BinaryExpr { Op: "or" } b when !truth => DefinedBy(b.Left, false).Concat(DefinedBy(b.Right, false)),
        _ => [],
    };

    void Expr(Expr e, HashSet<string> scope)
    {
        switch (e)
        {
            case NameExpr n: Use(n.Name, n.At, scope); break;
            case AttrExpr a: Expr(a.Target, scope); break;
            case IndexExpr i: Expr(i.Target, scope); Expr(i.Index, scope); break;
            case SliceExpr s:
                Expr(s.Target, scope);
                if (s.Start is not null) Expr(s.Start, scope);
                if (s.Stop is not null) Expr(s.Stop, scope);
                if (s.Step is not null) Expr(s.Step, scope);
                break;
            case UnaryExpr u: Expr(u.Operand, scope); break;
            case BinaryExpr { Op: "and" or "or" } b:
            {
                // `x is defined and x`: the right side runs only when the left side allows it.
                Expr(b.Left, scope);
                var mark = _guards.Count;
                _guards.AddRange(DefinedBy(b.Left, b.Op == "and"));
                Expr(b.Right, scope);
                _guards.RemoveRange(mark, _guards.Count - mark);
                break;
            }
            case BinaryExpr b: Expr(b.Left, scope); Expr(b.Right, scope); break;
            case CondExpr c:
            {
                Expr(c.Test, scope);
                var mark = _guards.Count;
                _guards.AddRange(DefinedBy(c.Test, true));
                Expr(c.Then, scope);
                _guards.RemoveRange(mark, _guards.Count - mark);
                _guards.AddRange(DefinedBy(c.Test, false));
                if (c.Else is not null) Expr(c.Else, scope);
                _guards.RemoveRange(mark, _guards.Count - mark);
                break;
            }
            case ListExpr l: foreach (var x in l.Items) Expr(x, scope); break;
            case DictExpr d: foreach (var (k, v) in d.Items) { Expr(k, scope); Expr(v, scope); } break;
            case CallExpr call: Expr(call.Target, scope); ArgsOf(call.Args, scope); break;
            // x.y | default(...) and x.y is defined guard x too (chainable undefined, as Ansible); an index inside is still a use.
            case FilterExpr { Name: "default" or "d" } f:
                if (Root(f.Target) is { } fr) Guarded(f.Target, fr, scope); else Expr(f.Target, scope);
                // its fallback is only needed when the value is undefined: a chain there is guarded too (default(y.z))
                foreach (var a in f.Args.Positional.Concat(f.Args.Named.Select(x => x.Value)))
                    if (Root(a) is { } ar) Guarded(a, ar, scope); else Expr(a, scope);
                break;
            case FilterExpr f: Expr(f.Target, scope); ArgsOf(f.Args, scope); break;
            case TestExpr { Name: "defined" or "undefined" } t when Root(t.Target) is { } n: Guarded(t.Target, n, scope); ArgsOf(t.Args, scope); break;
            case TestExpr t: Expr(t.Target, scope); ArgsOf(t.Args, scope); break;
        }
    }

    /// <summary>The name an attribute and item chain starts from (x of x.y["z"]), or null when it starts elsewhere.</summary>
    static NameExpr? Root(Expr e) => e switch
    {
        NameExpr n => n,
        AttrExpr a => Root(a.Target),
        IndexExpr i => Root(i.Target),
        _ => null,
    };

    void Guarded(Expr chain, NameExpr root, HashSet<string> scope)
    {
        Use(root.Name, root.At, scope, guarded: true);
        for (var e = chain; e is not NameExpr;)
        {
            if (e is IndexExpr i) { Expr(i.Index, scope); e = i.Target; }
            else e = ((AttrExpr)e).Target;
        }
    }

    void ArgsOf(Args args, HashSet<string> scope)
    {
        foreach (var a in args.Positional) Expr(a, scope);
        foreach (var (_, a) in args.Named) Expr(a, scope);
    }
}
