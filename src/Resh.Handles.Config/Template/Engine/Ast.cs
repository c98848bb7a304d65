namespace Resh.Handles.Template.Engine;

// ---- expressions ----------------------------------------------------------------------------------

internal abstract record Expr(Loc At);
internal sealed record Literal(Loc At, object? Value) : Expr(At);
internal sealed record NameExpr(Loc At, string Name) : Expr(At);
internal sealed record AttrExpr(Loc At, Expr Target, string Name) : Expr(At);
internal sealed record IndexExpr(Loc At, Expr Target, Expr Index) : Expr(At);
internal sealed record SliceExpr(Loc At, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(At);
internal sealed record UnaryExpr(Loc At, string Op, Expr Operand) : Expr(At);
internal sealed record BinaryExpr(Loc At, string Op, Expr Left, Expr Right) : Expr(At);
internal sealed record CondExpr(Loc At, Expr Test, Expr Then, Expr? Else) : Expr(At);
/// <summary>A list literal, or a tuple ((1, 2), or a, b in set and for): <see cref="Tuple"/> makes a <see cref="PyTuple"/>.</summary>
internal sealed record ListExpr(Loc At, List<Expr> Items, bool Tuple = false) : Expr(At);
internal sealed record DictExpr(Loc At, List<(Expr Key, Expr Value)> Items) : Expr(At);
internal sealed record Args(List<Expr> Positional, List<(string Name, Expr Value)> Named)
{
    public static readonly Args None = new([], []);
}
internal sealed record CallExpr(Loc At, Expr Target, Args Args) : Expr(At);
internal sealed record FilterExpr(Loc At, Expr Target, string Name, Args Args) : Expr(At);
internal sealed record TestExpr(Loc At, Expr Target, string Name, Args Args, bool Negated) : Expr(At);

// ---- statements -----------------------------------------------------------------------------------

internal abstract record Node(Loc At);
internal sealed record TextNode(Loc At, string Text) : Node(At);
internal sealed record OutputNode(Loc At, Expr Value) : Node(At);
internal sealed record IfNode(Loc At, List<(Expr Test, List<Node> Body)> Branches, List<Node>? Else) : Node(At);
/// <summary>A for loop; a recursive one may call loop(items) in its body to run itself on them one level deeper.</summary>
internal sealed record ForNode(Loc At, List<string> Targets, Expr Iter, Expr? Filter, List<Node> Body, List<Node>? Else, bool Recursive = false) : Node(At);
/// <summary>{% with a = 1, b = x %}...{% endwith %}: names bound for the body only (the values are computed outside).</summary>
internal sealed record WithNode(Loc At, List<(string Name, Expr Value)> Assigns, List<Node> Body) : Node(At);
/// <summary>{% filter upper | indent(2) %}...{% endfilter %}: the body's text through a filter chain whose innermost target is <see cref="Body"/>.</summary>
internal sealed record FilterBlockNode(Loc At, Expr Chain, List<Node> Body) : Node(At)
{
    /// <summary>The name the body's text is bound to while the chain runs (not an identifier a template can write).</summary>
    public const string BodyName = "(filter body)";
}
/// <summary>{% set a = x %}, {% set a, b = x %}, {% set ns.attr = x %}, or a block set (Body, Value null).</summary>
internal sealed record SetNode(Loc At, List<string> Targets, string? Attr, Expr? Value, List<Node>? Body) : Node(At);
internal sealed record IncludeNode(Loc At, Expr Name, bool IgnoreMissing, bool WithContext) : Node(At);
internal sealed record ExtendsNode(Loc At, Expr Name) : Node(At);
internal sealed record BlockNode(Loc At, string Name, List<Node> Body) : Node(At);
internal sealed record MacroNode(Loc At, string Name, List<(string Name, Expr? Default)> Params, List<Node> Body) : Node(At);
internal sealed record CallBlockNode(Loc At, CallExpr Call, List<(string Name, Expr? Default)> Params, List<Node> Body) : Node(At);
internal sealed record ImportNode(Loc At, Expr Name, string Alias) : Node(At);
internal sealed record FromImportNode(Loc At, Expr Name, List<(string Name, string Alias)> Names) : Node(At);
internal sealed record LoopControlNode(Loc At, bool Break) : Node(At);

/// <summary>One parsed file.</summary>
internal sealed class ParsedTemplate(string path, string display, List<Node> body)
{
    /// <summary>The real path on disk (includes resolve against its directory).</summary>
    public string Path { get; } = path;
    /// <summary>The path shown in errors: relative to the template root.</summary>
    public string Display { get; } = display;
    public List<Node> Body { get; } = body;
    public ExtendsNode? Extends => Body.OfType<ExtendsNode>().FirstOrDefault();

    /// <summary>Every block of the file, nested ones included, by name.</summary>
    public Dictionary<string, BlockNode> Blocks
    {
        get
        {
            if (_blocks is not null) return _blocks;
            _blocks = [];
            Collect(Body);
            return _blocks;
        }
    }
    Dictionary<string, BlockNode>? _blocks;

    void Collect(List<Node> nodes)
    {
        foreach (var n in nodes)
        {
            switch (n)
            {
                case BlockNode b: _blocks![b.Name] = b; Collect(b.Body); break;
                case IfNode i: foreach (var br in i.Branches) Collect(br.Body); if (i.Else is not null) Collect(i.Else); break;
                case ForNode f: Collect(f.Body); if (f.Else is not null) Collect(f.Else); break;
                case WithNode w: Collect(w.Body); break;
                case FilterBlockNode fb: Collect(fb.Body); break;
            }
        }
    }
}
