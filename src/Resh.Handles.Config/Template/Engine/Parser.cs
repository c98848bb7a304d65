using System.Globalization;

namespace Resh.Handles.Template.Engine;

/// <summary>Jinja2 statements and expressions to an AST (recursive descent; nesting is bounded so input cannot overflow the stack).</summary>
internal sealed class Parser
{
    const int MaxDepth = 400;
    readonly List<Token> _t;
    readonly Lexer _lexer;
    int _i;
    int _depth;

    Parser(List<Token> tokens, Lexer lexer)
    {
        _t = tokens;
        _lexer = lexer;
    }

    public static List<Node> Parse(string source, string file, LexOptions options)
    {
        // Newlines in the template become \n, as Jinja2's lexer and Ansible's newline_sequence make them.
        if (source.Contains('\r')) source = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var lexer = new Lexer(source, file, options);
        var p = new Parser(lexer.Tokenize(), lexer);
        var (body, end) = p.ParseBody([]);
        if (end is not null) throw p.Error($"Unexpected {{% {end} %}}.", p.Peek.Offset, "Check that every block tag has its opening tag.");
        return body;
    }

    Token Peek => _t[_i];
    Token PeekAt(int k) => _t[Math.Min(_i + k, _t.Count - 1)];
    Loc LocOf(Token t) => _lexer.LocOf(t.Offset);
    Loc Here => LocOf(Peek);
    TemplateError Error(string message, int offset, string? hint = null) => new(message, _lexer.LocOf(offset), hint);

    Token Next() => _t[_i < _t.Count - 1 ? _i++ : _i];
    bool IsOp(string op) => Peek.Kind == Tok.Op && Peek.Value == op;
    bool IsName(string name) => Peek.Kind == Tok.Name && Peek.Value == name;

    bool SkipOp(string op)
    {
        if (!IsOp(op)) return false;
        _i++;
        return true;
    }

    bool SkipName(string name)
    {
        if (!IsName(name)) return false;
        _i++;
        return true;
    }

    void ExpectOp(string op)
    {
        if (!SkipOp(op)) throw Error($"Expected '{op}', found {Describe(Peek)}.", Peek.Offset);
    }

    string ExpectName(string what)
    {
        if (Peek.Kind != Tok.Name) throw Error($"Expected {what}, found {Describe(Peek)}.", Peek.Offset);
        return Next().Value;
    }

    void ExpectBlockEnd(string tag)
    {
        if (Peek.Kind != Tok.BlockEnd) throw Error($"Expected the end of the {tag} tag (%}}), found {Describe(Peek)}.", Peek.Offset);
        _i++;
    }

    static string Describe(Token t) => t.Kind switch
    {
        Tok.Eof => "the end of the template",
        Tok.VarEnd => "'}}'",
        Tok.BlockEnd => "'%}'",
        Tok.String => $"the string '{Clip(t.Value)}'",
        Tok.Text => "text",
        _ => $"'{Clip(t.Value)}'",
    };

    static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;

    /// <summary>One more operator of a chain (a + b + c ..., a.b.c ..., x|f|g ...): each makes the tree one level deeper.</summary>
    void Chain(ref int links)
    {
        links++;
        Enter();
    }

    void Leave(int links) => _depth -= links;

    void Enter()
    {
        if (++_depth > MaxDepth) throw Error($"The template nests deeper than {MaxDepth} levels.", Peek.Offset, "Split it into macros or includes.");
    }

    // ---- statements ---------------------------------------------------------------------------

    /// <summary>Nodes up to one of <paramref name="ends"/> (the end tag's name is returned, its %} not yet read) or the end of input.</summary>
    (List<Node> body, string? end) ParseBody(string[] ends)
    {
        Enter();
        var body = new List<Node>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case Tok.Eof:
                    _depth--;
                    return (body, null);
                case Tok.Text:
                    body.Add(new TextNode(LocOf(t), t.Value));
                    _i++;
                    break;
                case Tok.VarStart:
                    _i++;
                    var e = ParseExpr();
                    if (Peek.Kind != Tok.VarEnd) throw Error($"Expected '}}}}' after the expression, found {Describe(Peek)}.", Peek.Offset);
                    _i++;
                    body.Add(new OutputNode(LocOf(t), e));
                    break;
                case Tok.BlockStart:
                    var name = PeekAt(1);
                    if (name.Kind != Tok.Name) throw Error($"Expected a statement name after {{%, found {Describe(name)}.", name.Offset);
                    if (ends.Contains(name.Value))
                    {
                        _i += 2;
                        _depth--;
                        return (body, name.Value);
                    }
                    _i += 2;
                    body.Add(ParseStatement(name, LocOf(t)));
                    break;
                default:
                    throw Error($"Unexpected {Describe(t)}.", t.Offset);
            }
        }
    }

    static readonly string[] EndTags = ["endif", "endfor", "endblock", "endmacro", "endset", "endcall", "endwith", "endfilter", "elif", "else", "endraw"];

    Node ParseStatement(Token name, Loc at)
    {
        switch (name.Value)
        {
            case "if": return ParseIf(at);
            case "for": return ParseFor(at);
            case "set": return ParseSet(at);
            case "include": return ParseInclude(at);
            case "extends":
            {
                var e = ParseExpr();
                ExpectBlockEnd("extends");
                return new ExtendsNode(at, e);
            }
            case "block": return ParseBlock(at);
            case "macro": return ParseMacro(at);
            case "call": return ParseCallBlock(at);
            case "with": return ParseWith(at);
            case "filter": return ParseFilterBlock(at);
            case "import": return ParseImport(at);
            case "from": return ParseFromImport(at);
            case "break" or "continue":
                ExpectBlockEnd(name.Value);
                return new LoopControlNode(at, name.Value == "break");
            default:
                if (EndTags.Contains(name.Value))
                    throw Error($"Unexpected {{% {name.Value} %}}: no open tag it closes.", name.Offset, "Check the nesting of if/for/block/macro tags.");
                throw Error($"Unknown statement '{name.Value}'.", name.Offset,
                    "Statements: if, for, set, include, extends, block, macro, call, with, filter, import, from, raw, break, continue.");
        }
    }

    List<Node> Expect(string tag, Loc open, out string end, params string[] ends)
    {
        var (body, e) = ParseBody(ends);
        if (e is null)
            throw new TemplateError($"The {{% {tag} %}} at line {open.Line} is never closed.", open, $"Add {{% {ends[^1]} %}}.");
        end = e;
        return body;
    }

    Node ParseIf(Loc at)
    {
        var branches = new List<(Expr, List<Node>)>();
        List<Node>? elseBody = null;
        var test = ParseExpr();
        ExpectBlockEnd("if");
        while (true)
        {
            var body = Expect("if", at, out var end, "elif", "else", "endif");
            branches.Add((test, body));
            if (end == "elif")
            {
                test = ParseExpr();
                ExpectBlockEnd("elif");
                continue;
            }
            if (end == "else")
            {
                ExpectBlockEnd("else");
                elseBody = Expect("if", at, out _, "endif");
            }
            ExpectBlockEnd("endif");
            return new IfNode(at, branches, elseBody);
        }
    }

    Node ParseFor(Loc at)
    {
        var targets = new List<string> { ExpectName("a loop variable") };
        while (SkipOp(",")) targets.Add(ExpectName("a loop variable"));
        if (!SkipName("in")) throw Error($"Expected 'in' in the for tag, found {Describe(Peek)}.", Peek.Offset);
        var iter = ParseOr(noCond: true);
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpr();
        bool recursive = SkipName("recursive");
        ExpectBlockEnd("for");
        var body = Expect("for", at, out var end, "else", "endfor");
        List<Node>? elseBody = null;
        if (end == "else")
        {
            ExpectBlockEnd("else");
            elseBody = Expect("for", at, out _, "endfor");
        }
        ExpectBlockEnd("endfor");
        return new ForNode(at, targets, iter, filter, body, elseBody, recursive);
    }

    Node ParseWith(Loc at)
    {
        var assigns = new List<(string, Expr)>();
        while (Peek.Kind != Tok.BlockEnd)
        {
            if (assigns.Count > 0) ExpectOp(",");
            var name = ExpectName("a variable name");
            ExpectOp("=");
            assigns.Add((name, ParseExpr()));
        }
        ExpectBlockEnd("with");
        var body = Expect("with", at, out _, "endwith");
        ExpectBlockEnd("endwith");
        return new WithNode(at, assigns, body);
    }

    Node ParseFilterBlock(Loc at)
    {
        // The chain is parsed as `BODY | name(args) | ...` with a placeholder for the body's text.
        var first = Here;
        var name = ExpectName("a filter name");
        while (IsOp(".") && PeekAt(1).Kind == Tok.Name) { _i++; name = Next().Value; }
        var args = IsOp("(") ? ParseArgs() : Args.None;
        var chain = ParseFilters(new FilterExpr(first, new NameExpr(first, FilterBlockNode.BodyName), name, args));
        ExpectBlockEnd("filter");
        var body = Expect("filter", at, out _, "endfilter");
        ExpectBlockEnd("endfilter");
        return new FilterBlockNode(at, chain, body);
    }

    Node ParseSet(Loc at)
    {
        var targets = new List<string> { ExpectName("a variable name") };
        string? attr = null;
        if (SkipOp(".")) attr = ExpectName("an attribute name");
        else while (SkipOp(",")) targets.Add(ExpectName("a variable name"));
        if (Peek.Kind == Tok.BlockEnd && attr is null && targets.Count == 1)
        {
            _i++;
            var body = Expect("set", at, out _, "endset");
            ExpectBlockEnd("endset");
            return new SetNode(at, targets, null, null, body);
        }
        ExpectOp("=");
        var value = ParseTuple();
        ExpectBlockEnd("set");
        return new SetNode(at, targets, attr, value, null);
    }

    Node ParseInclude(Loc at)
    {
        var name = ParseExpr();
        bool ignore = false, context = true;
        if (IsName("ignore") && PeekAt(1) is { Kind: Tok.Name, Value: "missing" }) { _i += 2; ignore = true; }
        if (IsName("with") || IsName("without"))
        {
            context = Next().Value == "with";
            if (!SkipName("context")) throw Error("Expected 'context' after with/without.", Peek.Offset);
        }
        ExpectBlockEnd("include");
        return new IncludeNode(at, name, ignore, context);
    }

    Node ParseBlock(Loc at)
    {
        var name = ExpectName("a block name");
        SkipName("scoped");
        SkipName("required");
        ExpectBlockEnd("block");
        var body = Expect("block", at, out _, "endblock");
        if (Peek.Kind == Tok.Name && Next().Value != name)
            throw Error($"{{% endblock %}} names a different block than '{name}'.", _t[_i - 1].Offset);
        ExpectBlockEnd("endblock");
        return new BlockNode(at, name, body);
    }

    List<(string, Expr?)> ParseParams()
    {
        var ps = new List<(string, Expr?)>();
        ExpectOp("(");
        while (!IsOp(")"))
        {
            var n = ExpectName("a parameter name");
            Expr? d = null;
            if (SkipOp("=")) d = ParseExpr();
            else if (ps.Count > 0 && ps[^1].Item2 is not null)
                throw Error($"Parameter '{n}' without a default follows one with a default.", _t[_i - 1].Offset);
            ps.Add((n, d));
            if (!SkipOp(",")) break;
        }
        ExpectOp(")");
        return ps;
    }

    Node ParseMacro(Loc at)
    {
        var name = ExpectName("a macro name");
        var ps = ParseParams();
        ExpectBlockEnd("macro");
        var body = Expect("macro", at, out _, "endmacro");
        if (Peek.Kind == Tok.Name) _i++;
        ExpectBlockEnd("endmacro");
        return new MacroNode(at, name, ps, body);
    }

    Node ParseCallBlock(Loc at)
    {
        var ps = IsOp("(") ? ParseParams() : [];
        var call = ParseExpr();
        if (call is not CallExpr c) throw Error("{% call %} needs a macro call, e.g. {% call m(1) %}.", Peek.Offset);
        ExpectBlockEnd("call");
        var body = Expect("call", at, out _, "endcall");
        ExpectBlockEnd("endcall");
        return new CallBlockNode(at, c, ps, body);
    }

    Node ParseImport(Loc at)
    {
        var name = ParseExpr();
        if (!SkipName("as")) throw Error("Expected 'as NAME' in the import tag.", Peek.Offset);
        var alias = ExpectName("a name");
        SkipContext();
        ExpectBlockEnd("import");
        return new ImportNode(at, name, alias);
    }

    Node ParseFromImport(Loc at)
    {
        var name = ParseExpr();
        if (!SkipName("import")) throw Error("Expected 'import' in the from tag.", Peek.Offset);
        var names = new List<(string, string)>();
        do
        {
            if (IsName("with") || IsName("without")) break;
            var n = ExpectName("a name to import");
            var alias = SkipName("as") ? ExpectName("a name") : n;
            names.Add((n, alias));
        } while (SkipOp(","));
        SkipContext();
        ExpectBlockEnd("from");
        return new FromImportNode(at, name, names);
    }

    void SkipContext()
    {
        if ((IsName("with") || IsName("without")) && PeekAt(1) is { Kind: Tok.Name, Value: "context" }) _i += 2;
    }

    // ---- expressions --------------------------------------------------------------------------

    /// <summary>An expression, or a tuple without parentheses (set a, b = 1, 2).</summary>
    Expr ParseTuple()
    {
        var at = Here;
        var first = ParseExpr();
        if (!IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOp(","))
        {
            if (Peek.Kind is Tok.BlockEnd or Tok.VarEnd) break;
            items.Add(ParseExpr());
        }
        return new ListExpr(at, items, Tuple: true);
    }

    public Expr ParseExpr()
    {
        Enter();
        var at = Here;
        var e = ParseOr(false);
        if (IsName("if"))
        {
            _i++;
            var test = ParseOr(false);
            Expr? otherwise = null;
            if (SkipName("else")) otherwise = ParseExpr();
            e = new CondExpr(at, test, e, otherwise);
        }
        _depth--;
        return e;
    }

    Expr ParseOr(bool noCond)
    {
        int links = 0;
        var e = ParseAnd();
        while (IsName("or")) { Chain(ref links); var at = Here; _i++; e = new BinaryExpr(at, "or", e, ParseAnd()); }
        Leave(links);
        return e;
    }

    Expr ParseAnd()
    {
        int links = 0;
        var e = ParseNot();
        while (IsName("and")) { Chain(ref links); var at = Here; _i++; e = new BinaryExpr(at, "and", e, ParseNot()); }
        Leave(links);
        return e;
    }

    Expr ParseNot()
    {
        if (IsName("not"))
        {
            var at = Here;
            _i++;
            Enter();
            var operand = ParseNot();
            _depth--;
            return new UnaryExpr(at, "not", operand);
        }
        return ParseCompare();
    }

    static readonly string[] CompareOps = ["==", "!=", "<", "<=", ">", ">="];

    Expr ParseCompare()
    {
        int links = 0;
        var e = ParseMath1();
        while (true)
        {
            var at = Here;
            if (Peek.Kind == Tok.Op && CompareOps.Contains(Peek.Value)) { Chain(ref links); var op = Next().Value; e = new BinaryExpr(at, op, e, ParseMath1()); }
            else if (IsName("in")) { Chain(ref links); _i++; e = new BinaryExpr(at, "in", e, ParseMath1()); }
            else if (IsName("not") && PeekAt(1) is { Kind: Tok.Name, Value: "in" }) { Chain(ref links); _i += 2; e = new BinaryExpr(at, "not in", e, ParseMath1()); }
            else { Leave(links); return e; }
        }
    }

    Expr ParseMath1()
    {
        int links = 0;
        var e = ParseConcat();
        while (IsOp("+") || IsOp("-")) { Chain(ref links); var at = Here; var op = Next().Value; e = new BinaryExpr(at, op, e, ParseConcat()); }
        Leave(links);
        return e;
    }

    Expr ParseConcat()
    {
        int links = 0;
        var e = ParseMath2();
        while (IsOp("~")) { Chain(ref links); var at = Here; _i++; e = new BinaryExpr(at, "~", e, ParseMath2()); }
        Leave(links);
        return e;
    }

    Expr ParseMath2()
    {
        int links = 0;
        var e = ParsePow();
        while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) { Chain(ref links); var at = Here; var op = Next().Value; e = new BinaryExpr(at, op, e, ParsePow()); }
        Leave(links);
        return e;
    }

    Expr ParsePow()
    {
        int links = 0;
        var e = ParseUnary();
        while (IsOp("**")) { Chain(ref links); var at = Here; _i++; e = new BinaryExpr(at, "**", e, ParseUnary()); }
        Leave(links);
        return e;
    }

    /// <summary>As Jinja2: filters apply after a sign, so -1|abs is abs(-1).</summary>
    Expr ParseUnary(bool withFilters = true)
    {
        Expr e;
        if (IsOp("-") || IsOp("+"))
        {
            var at = Here;
            var op = Next().Value;
            Enter();
            var operand = ParseUnary(false);
            _depth--;
            e = new UnaryExpr(at, op, operand);
        }
        else e = ParsePostfix(ParsePrimary());
        return withFilters ? ParseFilters(e) : e;
    }

    Expr ParsePrimary()
    {
        var t = Peek;
        var at = LocOf(t);
        switch (t.Kind)
        {
            case Tok.Name:
                _i++;
                return t.Value switch
                {
                    "true" or "True" => new Literal(at, true),
                    "false" or "False" => new Literal(at, false),
                    "none" or "None" => new Literal(at, null),
                    _ => new NameExpr(at, t.Value),
                };
            case Tok.String:
                _i++;
                var s = t.Value;
                while (Peek.Kind == Tok.String) s += Next().Value; // adjacent literals concatenate
                return new Literal(at, s);
            case Tok.Int:
                _i++;
                if (!long.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                    throw Error($"The integer {Clip(t.Value)} is too large.", t.Offset);
                return new Literal(at, l);
            case Tok.Float:
                _i++;
                return new Literal(at, double.Parse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture));
            case Tok.Op when t.Value == "(":
            {
                _i++;
                if (SkipOp(")")) return new ListExpr(at, [], Tuple: true);
                var e = ParseExpr();
                if (IsOp(","))
                {
                    var items = new List<Expr> { e };
                    while (SkipOp(",") && !IsOp(")")) items.Add(ParseExpr());
                    e = new ListExpr(at, items, Tuple: true);
                }
                ExpectOp(")");
                return e;
            }
            case Tok.Op when t.Value == "[":
            {
                _i++;
                var items = new List<Expr>();
                while (!IsOp("]"))
                {
                    items.Add(ParseExpr());
                    if (!SkipOp(",")) break;
                }
                ExpectOp("]");
                return new ListExpr(at, items);
            }
            case Tok.Op when t.Value == "{":
            {
                _i++;
                var items = new List<(Expr, Expr)>();
                while (!IsOp("}"))
                {
                    var k = ParseExpr();
                    ExpectOp(":");
                    items.Add((k, ParseExpr()));
                    if (!SkipOp(",")) break;
                }
                ExpectOp("}");
                return new DictExpr(at, items);
            }
            default:
                throw Error($"Expected a value, found {Describe(t)}.", t.Offset, t.Kind is Tok.VarEnd or Tok.BlockEnd ? "Something is missing before the end of the tag." : null);
        }
    }

    Expr ParsePostfix(Expr e)
    {
        int links = 0;
        while (true)
        {
            if (IsOp(".") || IsOp("[") || IsOp("(")) Chain(ref links);
            var at = Here;
            if (SkipOp("."))
            {
                var t = Next();
                if (t.Kind == Tok.Name) e = new AttrExpr(at, e, t.Value);
                else if (t.Kind == Tok.Int) e = new IndexExpr(at, e, new Literal(at, long.Parse(t.Value, CultureInfo.InvariantCulture)));
                else throw Error($"Expected an attribute name after '.', found {Describe(t)}.", t.Offset);
            }
            else if (SkipOp("["))
            {
                Expr? start = null, stop = null, step = null;
                bool slice = false;
                if (!IsOp(":")) start = ParseExpr();
                if (SkipOp(":"))
                {
                    slice = true;
                    if (!IsOp(":") && !IsOp("]")) stop = ParseExpr();
                    if (SkipOp(":") && !IsOp("]")) step = ParseExpr();
                }
                ExpectOp("]");
                e = slice ? new SliceExpr(at, e, start, stop, step) : new IndexExpr(at, e, start!);
            }
            else if (IsOp("(")) e = new CallExpr(at, e, ParseArgs());
            else { Leave(links); return e; }
        }
    }

    Args ParseArgs()
    {
        ExpectOp("(");
        var pos = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!IsOp(")"))
        {
            if (Peek.Kind == Tok.Name && PeekAt(1) is { Kind: Tok.Op, Value: "=" })
            {
                var n = Next().Value;
                _i++;
                named.Add((n, ParseExpr()));
            }
            else
            {
                if (named.Count > 0) throw Error("A positional argument follows a named one.", Peek.Offset);
                pos.Add(ParseExpr());
            }
            if (!SkipOp(",")) break;
        }
        ExpectOp(")");
        return new Args(pos, named);
    }

    Expr ParseFilters(Expr e)
    {
        int links = 0;
        while (true)
        {
            if (IsOp("|") || IsName("is")) Chain(ref links);
            var at = Here;
            if (SkipOp("|"))
            {
                var name = ExpectName("a filter name");
                while (IsOp(".") && PeekAt(1).Kind == Tok.Name) { _i++; name = Next().Value; } // ansible.builtin.to_json
                var args = IsOp("(") ? ParseArgs() : Args.None;
                e = new FilterExpr(at, e, name, args);
            }
            else if (IsName("is"))
            {
                _i++;
                bool neg = SkipName("not");
                var name = Peek.Kind == Tok.Name ? Next().Value
                    : Peek.Kind == Tok.Op && Peek.Value is "==" or "!=" or "<" or ">" or "<=" or ">=" ? Next().Value
                    : throw Error($"Expected a test name after 'is', found {Describe(Peek)}.", Peek.Offset);
                name = name switch { "none" or "None" => "none", "true" or "True" => "true", "false" or "False" => "false", _ => name };
                Args args;
                if (IsOp("(")) args = ParseArgs();
                else if (Peek.Kind is Tok.String or Tok.Int or Tok.Float || Peek.Kind == Tok.Op && Peek.Value is "[" or "{" || Peek.Kind == Tok.Name && Peek.Value is not ("and" or "or" or "else" or "if" or "is" or "in" or "not"))
                    args = new Args([ParsePostfix(ParsePrimary())], []);
                else args = Args.None;
                e = new TestExpr(at, e, name, args, neg);
            }
            else { Leave(links); return e; }
        }
    }
}
