namespace Resh.Handles.Template.Engine;

/// <summary>A variable a template reads from its context: the name and where it is first used.</summary>
internal sealed record FreeVariable(string Name, Loc At);

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

    Analysis(Loader loader) => _loader = loader;

    /// <summary>Free variables (sorted by name), and the include/extends/import names that are not literals (not followed).</summary>
    public static (List<FreeVariable> Free, List<string> NotFollowed) Run(Loader loader, ParsedTemplate top)
    {
        var a = new Analysis(loader);
        a.Template(top, []);
        return (a._free.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList(), a._notFollowed);
    }

    void Template(ParsedTemplate t, HashSet<string> bound)
    {
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
        Nodes(t, t.Body, scope);
    }

    void Follow(ParsedTemplate from, Expr name, HashSet<string> scope, bool withContext)
    {
        if (name is not Literal { Value: string s })
        {
            _notFollowed.Add($"{name.At}");
            Expr(name, scope);
            return;
        }
        ParsedTemplate t;
        try { t = _loader.Load(s, from, name.At); }
        catch (TemplateError e) when (e.Kind == "not_found") { throw; }
        Template(t, withContext ? scope : []);
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
                foreach (var (test, body) in i.Branches) { Expr(test, scope); Nodes(t, body, scope); }
                if (i.Else is not null) Nodes(t, i.Else, scope);
                break;
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
            case IncludeNode inc: Follow(t, inc.Name, scope, inc.WithContext); break;
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

    void Use(string name, Loc at, HashSet<string> scope)
    {
        if (scope.Contains(name) || Builtins.Contains(name) || _free.ContainsKey(name)) return;
        _free[name] = new FreeVariable(name, at);
    }

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
            case BinaryExpr b: Expr(b.Left, scope); Expr(b.Right, scope); break;
            case CondExpr c:
                Expr(c.Test, scope);
                Expr(c.Then, scope);
                if (c.Else is not null) Expr(c.Else, scope);
                break;
            case ListExpr l: foreach (var x in l.Items) Expr(x, scope); break;
            case DictExpr d: foreach (var (k, v) in d.Items) { Expr(k, scope); Expr(v, scope); } break;
            case CallExpr call: Expr(call.Target, scope); ArgsOf(call.Args, scope); break;
            case FilterExpr f: Expr(f.Target, scope); ArgsOf(f.Args, scope); break;
            case TestExpr t: Expr(t.Target, scope); ArgsOf(t.Args, scope); break;
        }
    }

    void ArgsOf(Args args, HashSet<string> scope)
    {
        foreach (var a in args.Positional) Expr(a, scope);
        foreach (var (_, a) in args.Named) Expr(a, scope);
    }
}
