using System.Text;

namespace Resh.Handles.Template.Engine;

/// <summary>What a render may do and use.</summary>
internal sealed record RenderOptions
{
    /// <summary>Undefined names are errors (Ansible's and StrictUndefined's behaviour); false renders them empty.</summary>
    public bool Strict { get; init; } = true;
    /// <summary>The longest text a render (or any string it builds) may reach.</summary>
    public long MaxSize { get; init; } = 64L << 20;
    /// <summary>Include/extends/import nesting.</summary>
    public int MaxDepth { get; init; } = 32;
    /// <summary>Loop iterations over the whole render (data bounds a loop; this bounds range() and nested loops).</summary>
    public long MaxIterations { get; init; } = 10_000_000;
    /// <summary>The value of secret("name"); null when the store has no such secret.</summary>
    public Func<string, string?>? Secret { get; init; }
    public CancellationToken Cancellation { get; init; }
}

internal sealed class Frame(Frame? parent)
{
    public readonly Dictionary<string, object?> Vars = new(StringComparer.Ordinal);
    public Frame? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var f = this; f is not null; f = f.Parent)
            if (f.Vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }
}

internal sealed class Macro(string name, MacroNode? node, ParsedTemplate template, Frame closure)
{
    public string Name { get; } = name;
    public MacroNode? Node { get; } = node;
    public ParsedTemplate Template { get; } = template;
    public Frame Closure { get; } = closure;
    /// <summary>The body of a {% call %} block, as the caller() of the macro it calls.</summary>
    public List<Node>? CallerBody { get; init; }
    public List<(string Name, Expr? Default)>? CallerParams { get; init; }
}

internal sealed class LoopInfo(int length, int depth)
{
    public int Index0;
    public int Length = length;
    public int Depth = depth;
    public object? Prev, Next;
    /// <summary>A recursive loop: its statement and the frame it runs in, for loop(items).</summary>
    public ForNode? Node;
    public Frame? Outer;
}

sealed class BreakSignal : Exception;
sealed class ContinueSignal : Exception;

/// <summary>Walks the AST of a template (with its parents, includes and imports) and produces text.</summary>
internal sealed partial class Renderer
{
    readonly Loader _loader;
    readonly RenderOptions _opt;
    readonly List<string> _stack = [];
    long _iterations;
    long _produced;
    int _calls;
    ParsedTemplate _current = null!;
    Dictionary<string, List<(BlockNode Block, ParsedTemplate Tpl)>>? _chains;
    readonly List<(List<(BlockNode Block, ParsedTemplate Tpl)> Chain, int Index)> _blockStack = [];

    /// <summary>The secret names read with secret(); their values are in <see cref="SecretValues"/>.</summary>
    public List<string> SecretNames { get; } = [];
    public List<string> SecretValues { get; } = [];

    public Renderer(Loader loader, RenderOptions options)
    {
        _loader = loader;
        _opt = options;
    }

    public RenderOptions Options => _opt;

    /// <summary>Compiled patterns of this render, by pattern and options.</summary>
    internal readonly Dictionary<(string, System.Text.RegularExpressions.RegexOptions), System.Text.RegularExpressions.Regex> Regexes = new();

    public string Render(ParsedTemplate top, Dictionary<string, object?> vars)
    {
        var frame = new Frame(null);
        foreach (var (k, v) in vars) frame.Vars[k] = v;
        var sb = new StringBuilder();
        RenderTemplate(top, new Frame(frame), sb, null);
        return sb.ToString();
    }

    void Push(ParsedTemplate t, Loc? at)
    {
        if (_stack.Contains(t.Path))
            throw new TemplateError($"{t.Display} includes, extends or imports itself ({string.Join(" -> ", _stack.Select(_loader.Display))} -> {t.Display}).", at,
                "Break the cycle.");
        if (_stack.Count >= _opt.MaxDepth)
            throw new TemplateError($"Templates nest more than {_opt.MaxDepth} deep (include, extends, import).", at, "Flatten the template structure.");
        _stack.Add(t.Path);
    }

    void Pop() => _stack.RemoveAt(_stack.Count - 1);

    /// <summary>Renders one file into <paramref name="sb"/>: a child template renders its root ancestor with its blocks.</summary>
    void RenderTemplate(ParsedTemplate t, Frame frame, StringBuilder sb, Loc? at)
    {
        var savedCurrent = _current;
        var savedChains = _chains;
        var savedDepth = _stack.Count;
        try
        {
            Push(t, at);
            if (t.Extends is null)
            {
                _current = t;
                _chains = null;
                RenderNodes(t.Body, frame, sb);
                return;
            }
            var chains = new Dictionary<string, List<(BlockNode, ParsedTemplate)>>(StringComparer.Ordinal);
            var cur = t;
            while (true)
            {
                foreach (var (name, block) in cur.Blocks)
                {
                    if (!chains.TryGetValue(name, out var list)) chains[name] = list = [];
                    list.Add((block, cur));
                }
                _current = cur;
                if (cur.Extends is not { } ext) break;
                // A child's top-level set, import and macro statements run (their output is dropped, as in Jinja2).
                foreach (var n in cur.Body)
                    if (n is SetNode or ImportNode or FromImportNode or MacroNode) RenderNode(n, frame, new StringBuilder());
                var parentName = Eval(ext.Name, frame);
                if (parentName is not string pn) throw new TemplateError($"extends needs a template name, got {V.TypeName(parentName)}.", ext.At);
                cur = _loader.Load(pn, cur, ext.At);
                Push(cur, ext.At);
            }
            _chains = chains;
            RenderNodes(cur.Body, frame, sb);
        }
        finally
        {
            while (_stack.Count > savedDepth) Pop();
            _current = savedCurrent;
            _chains = savedChains;
        }
    }

    void RenderNodes(List<Node> nodes, Frame frame, StringBuilder sb)
    {
        foreach (var n in nodes) RenderNode(n, frame, sb);
    }

    /// <summary>str() of a value, refused before it is built when a list or dict is too big to print within max_size.</summary>
    internal string Str(object? v)
    {
        if (v is List<object?> or Dictionary<string, object?> && V.MinSize(v, _opt.MaxSize) > _opt.MaxSize)
            throw new TemplateError($"A string grows past max_size ({_opt.MaxSize} bytes).", null, "Raise max_size if this is intended.", "failed");
        return V.Str(v);
    }

    /// <summary>Lists and dicts of this render, with the number of items they hold, nested ones included.</summary>
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, System.Runtime.CompilerServices.StrongBox<long>> _weights = new();
    public const long MaxItems = 10_000_000;

    /// <summary>The items of a value, nested ones counted (a list holding one list of a million items eight times holds 8,000,008).</summary>
    internal long Weight(object? v, int depth = 0)
    {
        if (v is not (List<object?> or Dictionary<string, object?>)) return 1;
        if (_weights.TryGetValue(v, out var known)) return known.Value;
        if (depth > V.MaxNesting) throw new TemplateError($"A value nests deeper than {V.MaxNesting} levels.", null);
        long w = 1;
        if (v is List<object?> l) foreach (var x in l) { w += Weight(x, depth + 1); if (w > MaxItems) break; }
        else foreach (var x in ((Dictionary<string, object?>)v).Values) { w += Weight(x, depth + 1); if (w > MaxItems) break; }
        _weights.AddOrUpdate(v, new System.Runtime.CompilerServices.StrongBox<long>(w));
        return w;
    }

    /// <summary>Remembers the count of a list or dict just built from counted parts.</summary>
    internal T Weighed<T>(T v, long items) where T : class
    {
        _weights.AddOrUpdate(v, new System.Runtime.CompilerServices.StrongBox<long>(items));
        return v;
    }

    /// <summary>A new list or dict of this many items (nested ones counted) is refused past the 10,000,000-item bound.</summary>
    internal void CheckItems(long items, Loc? at)
    {
        if (items > MaxItems)
            throw new TemplateError($"A list or dict grows past {MaxItems:N0} items (the items of nested lists and dicts count).", at, "Values are bounded; check what the template builds.", "failed");
    }

    void Append(StringBuilder sb, string s)
    {
        if (sb.Length + (long)s.Length > _opt.MaxSize || (_produced += s.Length) > 4 * _opt.MaxSize)
            throw new TemplateError($"The output grows past max_size ({_opt.MaxSize} bytes).", null, "Raise max_size if this is intended, or check the loops.", "failed") { At = null };
        sb.Append(s);
    }

    void RenderNode(Node node, Frame frame, StringBuilder sb)
    {
        try
        {
            switch (node)
            {
                case TextNode t: Append(sb, t.Text); break;
                case OutputNode o:
                {
                    var v = Force(Eval(o.Value, frame), o.Value);
                    if (v is not null) Append(sb, Str(v)); // None prints nothing (Ansible's finalize)
                    break;
                }
                case IfNode i:
                {
                    foreach (var (test, body) in i.Branches)
                        if (Truth(Eval(test, frame), test)) { RenderNodes(body, frame, sb); return; }
                    if (i.Else is not null) RenderNodes(i.Else, frame, sb);
                    break;
                }
                case ForNode f: RenderFor(f, frame, sb, Force(Eval(f.Iter, frame), f.Iter), 1); break;
                case WithNode w:
                {
                    var inner = new Frame(frame);
                    foreach (var (name, value) in w.Assigns) inner.Vars[name] = Eval(value, frame); // computed outside, as Jinja2 does
                    RenderNodes(w.Body, inner, sb);
                    break;
                }
                case FilterBlockNode fb:
                {
                    var body = new StringBuilder();
                    RenderNodes(fb.Body, new Frame(frame), body);
                    var inner = new Frame(frame);
                    inner.Vars[FilterBlockNode.BodyName] = body.ToString();
                    var v = Force(Eval(fb.Chain, inner), fb.Chain);
                    if (v is not null) Append(sb, Str(v));
                    break;
                }
                case SetNode s: RenderSet(s, frame); break;
                case IncludeNode inc: RenderInclude(inc, frame, sb); break;
                case ExtendsNode: break; // handled by RenderTemplate
                case BlockNode b: RenderBlock(b, frame, sb); break;
                case MacroNode m: frame.Vars[m.Name] = new Macro(m.Name, m, _current, frame); break;
                case CallBlockNode c:
                {
                    var caller = new Macro("caller", null, _current, frame) { CallerBody = c.Body, CallerParams = c.Params };
                    var v = Call(c.Call, frame, caller);
                    if (v is not null) Append(sb, Str(v));
                    break;
                }
                case ImportNode imp: frame.Vars[imp.Alias] = Import(imp.Name, frame, imp.At); break;
                case FromImportNode fi:
                {
                    var module = Import(fi.Name, frame, fi.At);
                    foreach (var (name, alias) in fi.Names)
                    {
                        if (!module.TryGetValue(name, out var v))
                            throw new TemplateError($"'{name}' is not defined in the imported template.", fi.At, "Check the macro's name.");
                        frame.Vars[alias] = v;
                    }
                    break;
                }
                case LoopControlNode lc:
                    if (lc.Break) throw new BreakSignal();
                    throw new ContinueSignal();
            }
        }
        catch (TemplateError e) when (e.At is null && e.Kind != "failed")
        {
            e.At = node.At;
            throw;
        }
    }

    /// <summary>loop(items) in a recursive loop: the loop again on items, one level deeper, as text.</summary>
    internal string RecurseLoop(LoopInfo loop, List<object?> args, Loc at)
    {
        if (loop.Node is null || loop.Outer is null)
            throw new TemplateError("loop(...) works only in a loop marked recursive: {% for x in items recursive %}.", at, "Add `recursive` to the for tag.");
        if (args.Count != 1) throw new TemplateError($"loop() takes the items to loop over, {args.Count} given.", at);
        if (++_calls > 1000) throw new TemplateError("A recursive loop goes deeper than 1000 levels.", at, "Check the data for a cycle.");
        try
        {
            var sb = new StringBuilder();
            RenderFor(loop.Node, loop.Outer, sb, Force(args[0]), loop.Depth + 1);
            return sb.ToString();
        }
        finally { _calls--; }
    }

    void RenderFor(ForNode f, Frame frame, StringBuilder sb, object? source, int depth)
    {
        if (source is not (List<object?> or Dictionary<string, object?> or string or null or Undefined))
            throw new TemplateError($"Cannot loop over a {V.TypeName(source)}.", f.Iter.At, "Loop over a list, a dict (its keys) or dict.items().");
        var items = V.Iterate(source);
        var loopFrame = new Frame(frame);
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                Bind(f, loopFrame, item);
                if (Truth(Eval(f.Filter, loopFrame), f.Filter)) kept.Add(item);
            }
            items = kept;
        }
        else items = [.. items]; // the body may change the list it loops over
        // loop.depth counts recursion levels of a recursive loop only: a loop nested in another is at depth 1 (Jinja2).
        var loop = new LoopInfo(items.Count, depth) { Node = f.Recursive ? f : null, Outer = f.Recursive ? frame : null };
        loopFrame.Vars["loop"] = loop;
        for (int i = 0; i < items.Count; i++)
        {
            if (++_iterations > _opt.MaxIterations)
                throw new TemplateError($"More than {_opt.MaxIterations} loop iterations.", f.At, "Loops are bounded; check range() arguments and nested loops.", "failed");
            if ((_iterations & 1023) == 0) _opt.Cancellation.ThrowIfCancellationRequested();
            loop.Index0 = i;
            loop.Prev = i > 0 ? items[i - 1] : null;
            loop.Next = i + 1 < items.Count ? items[i + 1] : null;
            Bind(f, loopFrame, items[i]);
            try { RenderNodes(f.Body, loopFrame, sb); }
            catch (ContinueSignal) { }
            catch (BreakSignal) { break; }
        }
        if (items.Count == 0 && f.Else is not null) RenderNodes(f.Else, frame, sb);
    }

    void Bind(ForNode f, Frame frame, object? item)
    {
        if (f.Targets.Count == 1) { frame.Vars[f.Targets[0]] = item; return; }
        if (item is not List<object?> parts || parts.Count != f.Targets.Count)
            throw new TemplateError($"Cannot unpack a {V.TypeName(item)} into {f.Targets.Count} loop variables.", f.At,
                "Use `for k, v in d.items()` for a dict, or one loop variable.");
        for (int i = 0; i < parts.Count; i++) frame.Vars[f.Targets[i]] = parts[i];
    }

    void RenderSet(SetNode s, Frame frame)
    {
        object? value;
        if (s.Body is not null)
        {
            var sb = new StringBuilder();
            RenderNodes(s.Body, frame, sb);
            value = sb.ToString();
        }
        else value = Eval(s.Value!, frame);
        if (s.Attr is not null)
        {
            if (!frame.TryGet(s.Targets[0], out var target) || target is not Dictionary<string, object?> d)
                throw new TemplateError($"Cannot set '{s.Targets[0]}.{s.Attr}': '{s.Targets[0]}' is not a namespace.", s.At,
                    "Make it with {% set ns = namespace(count=0) %}.");
            d[s.Attr] = value;
            return;
        }
        if (s.Targets.Count == 1) { frame.Vars[s.Targets[0]] = value; return; }
        if (value is not List<object?> parts || parts.Count != s.Targets.Count)
            throw new TemplateError($"Cannot unpack a {V.TypeName(value)} into {s.Targets.Count} names.", s.At);
        for (int i = 0; i < parts.Count; i++) frame.Vars[s.Targets[i]] = parts[i];
    }

    void RenderInclude(IncludeNode inc, Frame frame, StringBuilder sb)
    {
        var names = Force(Eval(inc.Name, frame), inc.Name) switch
        {
            string s => [s],
            List<object?> l => l.Select(V.Str).ToList(),
            var other => throw new TemplateError($"include needs a template name, got {V.TypeName(other)}.", inc.At),
        };
        foreach (var name in names)
        {
            ParsedTemplate t;
            try { t = _loader.Load(name, _current, inc.At); }
            catch (TemplateError e) when (e.Kind == "not_found" && (inc.IgnoreMissing || names.Count > 1)) { continue; }
            RenderTemplate(t, new Frame(inc.WithContext ? frame : RootFrame(frame)), sb, inc.At);
            return;
        }
        if (!inc.IgnoreMissing)
            throw new TemplateError($"None of the templates {string.Join(", ", names)} was found.", inc.At, null, "not_found");
    }

    static Frame RootFrame(Frame f)
    {
        while (f.Parent is not null) f = f.Parent;
        return f;
    }

    void RenderBlock(BlockNode b, Frame frame, StringBuilder sb)
    {
        if (_chains is null || !_chains.TryGetValue(b.Name, out var chain))
        {
            var solo = new List<(BlockNode, ParsedTemplate)> { (b, _current) };
            RenderChain(solo, 0, frame, sb);
            return;
        }
        RenderChain(chain, 0, frame, sb);
    }

    void RenderChain(List<(BlockNode Block, ParsedTemplate Tpl)> chain, int index, Frame frame, StringBuilder sb)
    {
        var saved = _current;
        _blockStack.Add((chain, index));
        _current = chain[index].Tpl;
        try { RenderNodes(chain[index].Block.Body, new Frame(frame), sb); }
        finally
        {
            _blockStack.RemoveAt(_blockStack.Count - 1);
            _current = saved;
        }
    }

    /// <summary>super(): the same block as the parent template defines it.</summary>
    object? Super(Frame frame, Loc at)
    {
        if (_blockStack.Count == 0) throw new TemplateError("super() is called outside a block.", at);
        var (chain, index) = _blockStack[^1];
        if (index + 1 >= chain.Count)
            throw new TemplateError($"super() in block '{chain[index].Block.Name}': no parent template defines that block.", at, "Remove the super() call.");
        var sb = new StringBuilder();
        RenderChain(chain, index + 1, frame, sb);
        return sb.ToString();
    }

    Dictionary<string, object?> Import(Expr nameExpr, Frame frame, Loc at)
    {
        var name = Force(Eval(nameExpr, frame), nameExpr) as string ?? throw new TemplateError("import needs a template name (a string).", at);
        var t = _loader.Load(name, _current, at);
        var moduleFrame = new Frame(RootFrame(frame));
        RenderTemplate(t, moduleFrame, new StringBuilder(), at);
        var module = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in moduleFrame.Vars) if (!k.StartsWith('_')) module[k] = v;
        return module;
    }

    // ---- truth and undefined ------------------------------------------------------------------

    /// <summary>An undefined value used where a value is needed: an error when strict, else the undefined itself.</summary>
    public object? Force(object? v, Expr? at = null)
    {
        if (v is Undefined u && _opt.Strict) throw UndefinedError(u);
        return v;
    }

    public static TemplateError UndefinedError(Undefined u) =>
        new($"'{u.Name}' is undefined.", u.At, $"Pass it in vars (vars:='{{\"{u.Name.Split('.', '[')[0]}\": ...}}'), give a default ({{{{ {u.Name} | default('') }}}}), or render with strict=false.");

    bool Truth(object? v, Expr at) => V.Truthy(Force(v, at));

    // ---- macros -------------------------------------------------------------------------------

    object? CallMacro(Macro m, List<object?> args, Dictionary<string, object?> kwargs, Loc at, Macro? caller = null)
    {
        if (++_calls > 1000) throw new TemplateError($"Macro '{m.Name}' recurses deeper than 1000 calls.", at, "Check the recursion's end condition.");
        try
        {
            var ps = m.Node?.Params ?? m.CallerParams ?? [];
            var body = m.Node?.Body ?? m.CallerBody!;
            if (args.Count > ps.Count)
                throw new TemplateError($"Macro '{m.Name}' takes {ps.Count} argument(s), {args.Count} given.", at);
            var frame = new Frame(m.Closure);
            for (int i = 0; i < ps.Count; i++)
            {
                var (name, def) = ps[i];
                if (i < args.Count) frame.Vars[name] = args[i];
                else if (kwargs.Remove(name, out var kv)) frame.Vars[name] = kv;
                else frame.Vars[name] = def is null ? new Undefined(name, at) : Eval(def, frame);
            }
            if (kwargs.Count > 0)
                throw new TemplateError($"Macro '{m.Name}' has no parameter '{kwargs.Keys.First()}'.", at,
                    ps.Count == 0 ? "It takes no arguments." : $"Its parameters: {string.Join(", ", ps.Select(p => p.Name))}.");
            if (caller is not null) frame.Vars["caller"] = caller;
            var saved = _current;
            _current = m.Template;
            var sb = new StringBuilder();
            try { RenderNodes(body, frame, sb); }
            finally { _current = saved; }
            return sb.ToString();
        }
        finally { _calls--; }
    }
}
