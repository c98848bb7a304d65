using System.Text.Json.Nodes;
using Resh.Handles.Template.Engine;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>The Jinja2 engine in-process: each case is what Jinja2 (with Ansible's trim_blocks) prints for the same template.</summary>
public sealed class TemplateEngineTests
{
    static string Render(string template, string vars = "{}", bool strict = true, bool lstrip = false, long maxSize = 64L << 20, Dictionary<string, string>? files = null)
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", template);
        if (files is not null) foreach (var (name, text) in files) dir.File(name, text);
        return RenderIn(dir.Path, top, vars, strict, lstrip, maxSize);
    }

    static string RenderIn(string root, string top, string vars = "{}", bool strict = true, bool lstrip = false, long maxSize = 64L << 20,
        Func<string, string?>? secret = null)
    {
        var loader = new Loader(root, new LexOptions(true, lstrip), 1 << 20);
        var renderer = new Renderer(loader, new RenderOptions { Strict = strict, MaxSize = maxSize, Secret = secret });
        return renderer.Render(loader.LoadTop(top), (Dictionary<string, object?>)V.FromJson(JsonNode.Parse(vars))!);
    }

    static TemplateError Fails(string template, string vars = "{}", Dictionary<string, string>? files = null, long maxSize = 64L << 20) =>
        Assert.Throws<TemplateError>(() => Render(template, vars, files: files, maxSize: maxSize));

    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }}", "3.5 3 -4 2 1024")]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ true }} {{ False }} {{ none }}|", "True False |")]
    [InlineData("{{ [1, 'a', none] }} {{ {'k': [1.5]} }}", "[1, 'a', None] {'k': [1.5]}")]
    [InlineData("{{ 1 < 2 < 3 and not (2 == 3) }}", "True")]
    [InlineData("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'x' not in {'x': 1} }}", "True True False")]
    [InlineData("{{ 'yes' if 1 > 2 else 'no' }}", "no")]
    [InlineData("{{ '-' * 5 }}{{ [0] * 3 }}", "-----[0, 0, 0]")]
    [InlineData("{{ 'abcdef'[1:3] }} {{ [1,2,3,4][::-1] }} {{ 'abc'[-1] }}", "bc [4, 3, 2, 1] c")]
    [InlineData("{{ 3.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }}", "3.0 0.30000000000000004 1e+20")]
    [InlineData("{{ -1|abs }}", "1")]
    public void Expressions_evaluate_like_jinja2(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void Loops_have_loop_variables_else_filters_and_items()
    {
        const string t = "{% for x in xs %}{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% endfor %}\n"
            + "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}\n"
            + "{% for x in [] %}x{% else %}empty{% endfor %}\n"
            + "{% for x in xs if x is odd %}{{ x }}{{ loop.cycle('a', 'b') }}{% endfor %}\n"
            + "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}";
        Assert.Equal("1/3,2/3,3/3a=1;b=2;empty1a3b1", Render(t, "{\"xs\":[1,2,3],\"d\":{\"a\":1,\"b\":2}}"));
    }

    [Fact]
    public void Set_scoping_and_namespace_follow_jinja2()
    {
        const string t = "{% set x = 1 %}{% for i in [1,2] %}{% set x = i %}{% endfor %}{{ x }}"
            + "{% set ns = namespace(n=0) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}{% endfor %} {{ ns.n }}"
            + "{% set a, b = 1, 2 %} {{ a + b }}{% set block %}in {{ x }}{% endset %} {{ block }}";
        Assert.Equal("1 6 3 in 1", Render(t));
    }

    [Fact]
    public void Whitespace_control_and_trim_blocks_match_ansible_defaults()
    {
        Assert.Equal("a\nb\n", Render("{% if true %}\na\n{% endif %}\nb\n"));
        Assert.Equal("ab", Render("a  {%- if true -%}  \n  b {%- endif %}"));
        Assert.Equal("x= 1\n", Render("x={{- ' ' -}} {{- 1 }}\n"));
        Assert.Equal("    a\n  ", Render("  {% if true %}\n  a\n  {% endif %}\n")); // trim_blocks only: the indents stay
        Assert.Equal("  a\n", Render("  {% if true %}\n  a\n  {% endif %}\n", lstrip: true));
        Assert.Equal("{{ not rendered }} {% if %}", Render("{% raw %}{{ not rendered }} {% if %}{% endraw %}\n"));
        Assert.Equal("ab", Render("a{# a comment {{ x }} #}b"));
        Assert.Equal("keep\n", Render("keep\n")); // the final newline stays (Ansible)
    }

    [Fact]
    public void Inheritance_three_levels_deep_with_super()
    {
        var files = new Dictionary<string, string>
        {
            ["base.j2"] = "<{% block head %}base-head{% endblock %}|{% block body %}base-body{% endblock %}>",
            ["layouts/mid.j2"] = "{% extends 'base.j2' %}{% block body %}mid[{{ super() }}]{% endblock %}",
        };
        var result = Render("{% extends 'layouts/mid.j2' %}{% set who = 'child' %}{% block body %}{{ who }}({{ super() }}){% endblock %}{% block head %}H{% endblock %}", files: files);
        Assert.Equal("<H|child(mid[base-body])>", result);
    }

    [Fact]
    public void Includes_resolve_relative_to_the_including_file_then_the_root()
    {
        var files = new Dictionary<string, string>
        {
            ["conf.d/site.j2"] = "site:{{ name }} {% include 'parts/inner.j2' %}",
            ["conf.d/parts/inner.j2"] = "inner:{{ name|upper }} {% include 'shared.j2' %}",
            ["shared.j2"] = "shared",
        };
        Assert.Equal("site:web inner:WEB shared", Render("{% include 'conf.d/site.j2' %}", "{\"name\":\"web\"}", files: files));
        Assert.Equal("x", Render("{% include 'missing.j2' ignore missing %}x"));
    }

    [Fact]
    public void Macros_with_defaults_import_and_call_blocks()
    {
        var files = new Dictionary<string, string>
        {
            ["macros.j2"] = "{% macro server(name, port=80, tls=false) %}server {{ name }}:{{ port }}{{ ' tls' if tls }}{% endmacro %}",
        };
        Assert.Equal("server a:80|server b:443 tls", Render("{% import 'macros.j2' as m %}{{ m.server('a') }}|{{ m.server('b', tls=true, port=443) }}", files: files));
        Assert.Equal("server c:80", Render("{% from 'macros.j2' import server as s %}{{ s('c') }}", files: files));
        Assert.Equal("[x]", Render("{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}x{% endcall %}"));
        Assert.Contains("no parameter 'nope'", Fails("{% macro m(a) %}{% endmacro %}{{ m(1, nope=2) }}").Message);
    }

    [Fact]
    public void A_missing_variable_is_an_error_naming_it_and_its_line()
    {
        var e = Fails("line one\n{{ prot }}\n", "{\"port\":1}");
        Assert.Equal("'prot' is undefined.", e.Message);
        Assert.Equal(2, e.At!.Value.Line);
        Assert.Equal("top.j2", e.At!.Value.File);
        Assert.Equal("usage", e.Kind);
        Assert.Contains("'server.tls' is undefined", Fails("{{ server.tls.port }}", "{\"server\":{}}").Message);
        Assert.Contains("'x' is undefined", Fails("{% if x %}a{% endif %}").Message);
        Assert.Contains("'x' is undefined", Fails("{{ x | upper }}").Message);
        // default, is defined and strict=false are the ways out
        Assert.Equal("d|no|", Render("{{ x | default('d') }}|{{ 'yes' if x is defined else 'no' }}|{{ y.z }}".Replace("{{ y.z }}", "")));
        Assert.Equal("[]", Render("[{{ x }}{{ x.y }}]", strict: false));
    }

    [Fact]
    public void Syntax_errors_name_the_file_line_and_column()
    {
        var e = Fails("ok\n{% if x %}\nno end\n");
        Assert.Contains("never closed", e.Message);
        Assert.Equal(2, e.At!.Value.Line);
        var e2 = Fails("a\n  {{ 1 + }}");
        Assert.Equal(2, e2.At!.Value.Line);
        Assert.Equal(10, e2.At!.Value.Column);
        Assert.Contains("Unknown filter 'uper'", Fails("{{ 'a' | uper }}").Message);
        Assert.Contains("upper", Fails("{{ 'a' | uper }}").Hint);
        Assert.Contains("Unknown statement", Fails("{% frob %}").Message);
    }

    [Theory]
    [InlineData("{{ 'hello world'|upper }}|{{ 'ABC'|lower }}|{{ 'hello world'|capitalize }}|{{ 'hello world'|title }}|{{ '  x  '|trim }}", "HELLO WORLD|abc|Hello world|Hello World|x")]
    [InlineData("{{ 'a-b-c'|replace('-', '+') }}|{{ [1,2,3]|length }}|{{ 'héllo'|count }}|{{ [3,1,2]|first }}|{{ [3,1,2]|last }}", "a+b+c|3|5|3|2")]
    [InlineData("{{ ['a','b']|join(', ') }}|{{ 'a,b,,c'|split(',') }}|{{ [3,1,2]|sort }}|{{ [1,2,1,3]|unique }}|{{ [1,2]|reverse }}", "a, b|['a', 'b', '', 'c']|[1, 2, 3]|[1, 2, 3]|[2, 1]")]
    [InlineData("{{ '42'|int + 1 }}|{{ 'x'|int }}|{{ '1.5'|float }}|{{ 7|string ~ 'a' }}|{{ 'yes'|bool }}|{{ '0x1f'|int(base=16) }}", "43|0|1.5|7a|True|31")]
    [InlineData("{{ {'b': 1, 'a': [1, 'é']}|to_json }}|{{ {'b': 1, 'a': 2}|to_nice_json(indent=2) }}", "{\"b\": 1, \"a\": [1, \"\\u00e9\"]}|{\n  \"a\": 2,\n  \"b\": 1\n}")]
    [InlineData("{{ 'secret'|b64encode }}|{{ 'c2VjcmV0'|b64decode }}|{{ 'abc'|sha256 }}|{{ 'abc'|md5 }}", "c2VjcmV0|secret|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad|900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, first=true) }}", "a\n  b\n\n  c|  a\n  b")]
    [InlineData("{{ 'port=80'|regex_replace('port=(\\\\d+)', 'port=\\\\1\\\\1') }}|{{ 'abc123'|regex_search('[0-9]+') }}|{{ 'a1b22'|regex_findall('\\\\d+') }}", "port=8080|123|['1', '22']")]
    [InlineData("{{ \"it's\"|quote }}|{{ 'simple-word'|quote }}|{{ ''|quote }}|{{ '$(rm -rf /)'|quote }}", "'it'\"'\"'s'|simple-word|''|'$(rm -rf /)'")]
    [InlineData("{{ {'a': 1}|dict2items }}|{{ [{'key': 'k', 'value': 2}]|items2dict }}|{{ {'a': 1}|items|list }}|{{ {'a': 1, 'b': 2}|keys }}|{{ {'a': 1}|values }}", "[{'key': 'a', 'value': 1}]|{'k': 2}|[('a', 1)]|['a', 'b']|[1]")]
    [InlineData("{{ [3,1,2]|min }}|{{ [3,1,2]|max }}|{{ [1,2,3.5]|sum }}|{{ range(3)|list }}|{{ range(1, 10, 4)|list }}", "1|3|6.5|[0, 1, 2]|[1, 5, 9]")]
    [InlineData("{{ users|map(attribute='name')|join(',') }}|{{ users|selectattr('admin')|map(attribute='name')|list }}|{{ [1,2,3,4]|select('even')|list }}", "a,b|['b']|[2, 4]")]
    [InlineData("{{ {'a': {'x': 1}}|combine({'a': {'y': 2}}, recursive=true) }}|{{ none|default('d', true) }}|{{ ''|d('e', true) }}", "{'a': {'x': 1, 'y': 2}}|d|e")]
    [InlineData("{{ 'a'|to_yaml }}|{{ {'a': [1, 2]}|to_yaml }}|{{ {'a': [1, 2]}|to_nice_yaml }}", "a|a: [1, 2]\n|a:\n- 1\n- 2\n")]
    [InlineData("{{ {'server': {'port': 80}}|toml }}", "[server]\nport = 80\n")]
    [InlineData("{{ '%s:%d'|format('h', 80) }}|{{ 'x'|center(5) }}|{{ [[1,[2]],3]|flatten }}", "h:80|  x  |[1, 2, 3]")]
    public void Filters_compute_like_jinja2_and_ansible(string template, string expected) =>
        Assert.Equal(expected, Render(template, "{\"users\":[{\"name\":\"a\",\"admin\":false},{\"name\":\"b\",\"admin\":true}]}"));

    [Theory]
    [InlineData("{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 1 is number }}{{ 'a' is string }}{{ {} is mapping }}", "TrueTrueTrueTrueTrueTrue")]
    [InlineData("{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 2 is gt 1 }}{{ 1 is in [1] }}{{ 'abc' is match('a') }}{{ 'abc' is search('c') }}", "TrueTrueTrueTrueTrueTrue")]
    public void Tests_answer_like_jinja2(string template, string expected) => Assert.Equal(expected, Render(template, "{\"x\":1}"));

    [Fact]
    public void Bounds_hold_against_hostile_templates()
    {
        Assert.Equal("failed", Fails("{% for i in range(100) %}{{ 'x' * 1000 }}{% endfor %}", maxSize: 50_000).Kind);
        Assert.Equal("failed", Fails("{{ 'x' * 100000000000 }}").Kind);
        Assert.Equal("failed", Fails("{% for i in range(100000000000) %}{% endfor %}").Kind);
        Assert.Equal("failed", Fails("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}").Kind);
        Assert.Contains("recurses", Fails("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}").Message);
        Assert.Contains("deeper than", Fails("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}").Message);
        // Long operator chains and values nested by a loop are bounded before they can overflow the stack.
        Assert.Contains("deeper than", Fails("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 100_000)) + " }}").Message);
        Assert.Contains("deeper than", Fails("{{ x" + string.Concat(Enumerable.Repeat(".a", 100_000)) + " }}").Message);
        Assert.Contains("deeper than", Fails("{{ x" + string.Concat(Enumerable.Repeat("|upper", 100_000)) + " }}").Message);
        Assert.Contains("deeper than", Fails(string.Concat(Enumerable.Repeat("{% if true %}", 50_000))).Message);
        Assert.Contains("nests deeper", Fails("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x == ns.x }}").Message);
        Assert.Contains("nests deeper", Fails("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x | to_yaml }}").Message);
        Assert.Equal("201", Render("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 200)) + " }}"));
        var started = DateTime.UtcNow;
        var e = Fails("{{ ('a' * 40 ~ '!')|regex_replace('(a+)+$', 'x') }}");
        Assert.Equal("timeout", e.Kind);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Cycles_and_depth_of_includes_are_errors()
    {
        var files = new Dictionary<string, string> { ["a.j2"] = "{% include 'b.j2' %}", ["b.j2"] = "{% include 'a.j2' %}" };
        Assert.Contains("itself", Fails("{% include 'a.j2' %}", files: files).Message);
        Assert.Contains("itself", Fails("{% extends 'top.j2' %}").Message);
    }

    [Fact]
    public void Includes_may_not_leave_the_root()
    {
        using var outer = new TempDir("tmpl-outer");
        var secretFile = outer.File("secret.txt", "TOP-SECRET");
        var root = Path.Combine(outer.Path, "root");
        Directory.CreateDirectory(root);
        var top = Path.Combine(root, "top.j2");
        File.WriteAllText(top, "{% include '../secret.txt' %}");
        Assert.Equal("permission_denied", Assert.Throws<TemplateError>(() => RenderIn(root, top)).Kind);
        File.WriteAllText(top, $"{{% include '{secretFile}' %}}");
        Assert.Equal("permission_denied", Assert.Throws<TemplateError>(() => RenderIn(root, top)).Kind);
        File.CreateSymbolicLink(Path.Combine(root, "link.j2"), secretFile);
        File.WriteAllText(top, "{% include 'link.j2' %}");
        Assert.Equal("permission_denied", Assert.Throws<TemplateError>(() => RenderIn(root, top)).Kind);
        Directory.CreateSymbolicLink(Path.Combine(root, "dirlink"), outer.Path);
        File.WriteAllText(top, "{% include 'dirlink/secret.txt' %}");
        Assert.Equal("permission_denied", Assert.Throws<TemplateError>(() => RenderIn(root, top)).Kind);
    }

    [Fact]
    public void Secret_function_reads_through_the_given_store()
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", "password={{ secret('db') }}");
        Assert.Equal("password=hunter22", RenderIn(dir.Path, top, secret: n => n == "db" ? "hunter22" : null));
        var e = Assert.Throws<TemplateError>(() => RenderIn(dir.Path, top, secret: _ => null));
        Assert.Equal("not_found", e.Kind);
    }

    [Theory]
    [InlineData("env:PATH")]
    [InlineData("file:/etc/passwd")]
    [InlineData("secret:db")]
    [InlineData("file:db")]
    [InlineData("../db")]
    public void Secret_reads_the_keystore_by_name_only(string name)
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", "{{ secret('" + name + "') }}");
        var asked = new List<string>();
        var e = Assert.Throws<TemplateError>(() => RenderIn(dir.Path, top, secret: n => { asked.Add(n); return "leaked-value"; }));
        Assert.Equal("usage", e.Kind);
        Assert.Contains("secret()", e.Message);
        Assert.Empty(asked);
    }

    [Theory]
    [InlineData("{{ ('ab' * 200) | b64encode | length }}")]
    [InlineData("{{ ('a' * 499) | to_json | length }}")]
    [InlineData("{{ [('a' * 300), ('b' * 300)] | to_yaml | length }}")]
    [InlineData("{{ ('a\\n' * 200) | indent(8) | length }}")]
    [InlineData("{{ '%s%s' | format('a' * 300, 'b' * 300) | length }}")]
    [InlineData("{{ '-'.join(['a' * 300, 'b' * 300]) | length }}")]
    public void Max_size_bounds_every_string_a_filter_builds(string template)
    {
        var e = Fails(template, maxSize: 500);
        Assert.Equal("failed", e.Kind);
        Assert.Contains("max_size", e.Message);
    }

    [Fact]
    public void Secret_is_read_once_per_render()
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", "{% for i in range(1000) %}{{ secret('db') }}{% endfor %}{{ secret('db2') }}{{ secret('db') }}");
        var asked = new List<string>();
        var text = RenderIn(dir.Path, top, secret: n => { asked.Add(n); return "v"; });
        Assert.Equal(1002, text.Length);
        Assert.Equal(["db", "db2"], asked);
    }

    [Fact]
    public void Vars_lists_free_variables_across_includes_only()
    {
        using var dir = new TempDir("tmpl");
        dir.File("inc.j2", "{{ included_var }}{% for i in items %}{{ i }}{% endfor %}");
        var top = dir.File("top.j2", "{% set local = 1 %}{{ local }}{{ server.port }}\n{% include 'inc.j2' %}{% macro m(a, b=default_b) %}{{ a }}{{ c }}{% endmacro %}{{ range(3) }}{{ loop_free }}");
        var loader = new Loader(dir.Path, new LexOptions(), 1 << 20);
        var (free, notFollowed) = Analysis.Run(loader, loader.LoadTop(top));
        Assert.Equal(["c", "default_b", "included_var", "items", "loop_free", "server"], free.Select(f => f.Name));
        Assert.Equal(1, free.Single(f => f.Name == "server").At.Line);
        Assert.Equal("inc.j2", free.Single(f => f.Name == "included_var").At.File);
        Assert.Empty(notFollowed);
    }
}
