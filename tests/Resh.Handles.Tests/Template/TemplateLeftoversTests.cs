using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Handles.Config.Formats;
using Resh.Handles.Template.Engine;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>The leftovers of issue 17 and the s35 reviews: YAML 1.1 vars, filter bounds, validate, test cases, inline templates and the missing tags.</summary>
public sealed class TemplateLeftoversTests
{
    /// <summary>Runs Debian's python3 with a script on stdin-free argv, returning stdout (python3-yaml and python3-jinja2 are test deps).</summary>
    internal static string Python(string script, string stdin)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "python3 did not finish");
        Assert.True(p.ExitCode == 0, $"python3 failed: {stderr.Result}");
        return stdout.Result;
    }

    const string PyYamlTypes = """
        import sys, json, yaml
        out = []
        for s in json.load(sys.stdin):
            v = yaml.safe_load("v: " + s + "\n")["v"]
            if v is None: out.append(["none", "None"])
            elif isinstance(v, bool): out.append(["bool", str(v)])
            elif isinstance(v, int): out.append(["int", str(v)])
            elif isinstance(v, float): out.append(["float", repr(v)])
            else: out.append(["str", str(v)])
        print(json.dumps(out))
        """;

    static readonly string[] Scalars =
    [
        "yes", "Yes", "YES", "yEs", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "true", "True", "TRUE", "tRUE", "false", "FALSE",
        "y", "n", "Y", "N", "~", "null", "Null", "NULL", "nULL", "", "0644", "0o644", "0x1F", "0x_1F", "-0x1f", "0b101", "-0b11", "0b_1", "0_",
        "1_000", "1_000.5", "1:30", "190:20:30", "-1:30", "1:30.5", "0:30", "1:60", "08", "09.5", "0", "00", "-0", "+12", "1_",
        "1e3", "1.0e3", "1.0e+3", "1.5E-2", ".5", "+.5", "1.", ".", ".inf", "-.inf", "+.INF", ".nan", ".NaN", "-.nan", "3.14", "0.1",
        "12345678901234567890", "0777777777777777777777777", "2001-12-14", "22:22", "1.2.3", "0x", "0b2", "hello", "'no'", "\"0644\"", "!!str yes",
    ];

    static (string Type, string Text) Ours(JsonNode? n, string plain)
    {
        if (n is null) return ("none", "None");
        var v = (JsonValue)n;
        switch (v.GetValueKind())
        {
            case JsonValueKind.True: return ("bool", "True");
            case JsonValueKind.False: return ("bool", "False");
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                // Python's float('inf') and float('nan') have no JSON form: they are read as the text Python prints for them.
                if (s is "inf" or "-inf" or "nan" && plain.Contains('.')) return ("float", s);
                return ("str", s);
            default:
                if (v.TryGetValue<long>(out var l)) return ("int", l.ToString(CultureInfo.InvariantCulture));
                if (v.TryGetValue<decimal>(out var m)) return ("int", m.ToString(CultureInfo.InvariantCulture));
                return ("float", V.Float(v.GetValue<double>()));
        }
    }

    [Fact]
    public void Yaml_vars_read_plain_scalars_exactly_as_pyyaml_does()
    {
        var expected = JsonNode.Parse(Python(PyYamlTypes, new JsonArray(Scalars.Select(s => (JsonNode?)s).ToArray()).ToJsonString()))!.AsArray();
        var mismatches = new List<string>();
        for (int i = 0; i < Scalars.Length; i++)
        {
            var want = (expected[i]![0]!.GetValue<string>(), expected[i]![1]!.GetValue<string>());
            var got = Ours(YamlFormat.Yaml11.Read("v: " + Scalars[i] + "\n")!["v"], Scalars[i]);
            if (got != want) mismatches.Add($"{Scalars[i]}: PyYAML {want}, resh {got}");
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        // config:// keeps YAML 1.2: only template vars read 1.1.
        Assert.Equal("no", YamlFormat.Instance.Read("v: no\n")!["v"]!.GetValue<string>());
        Assert.Equal(644, YamlFormat.Instance.Read("v: 0644\n")!["v"]!.GetValue<long>());
    }

    [Fact]
    public void Yaml_vars_file_renders_as_ansible_does()
    {
        using var dir = new TempDir("tmpl");
        var vars = dir.File("vars.yml", "gzip: no\nssl: off\nmode: 0644\nquoted: 'no'\nbig: 1_000\nnothing: ~\nkeys: {on: 1}\n");
        var tmpl = dir.File("t.j2", "{% if gzip %}gzip on;{% else %}gzip off;{% endif %} ssl={{ ssl }} mode={{ mode }} q={{ quoted }} big={{ big + 1 }} n={{ nothing is none }}\n");
        var run = ReshBinary.Run($"template://{tmpl}", "render", $"vars=@{vars}", "--format", "json");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("gzip off; ssl=False mode=420 q=no big=1001 n=True\n", run.Result!["content"]!.GetValue<string>());
    }

    // ---- D4: validate ----

    [Fact]
    public void Validate_does_not_report_guarded_variables_and_exits_partial_when_invalid()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("nginx.conf.j2",
            "# {{ ansible_managed | default('managed by resh') }}\nworker_connections {{ conns | d(1024) }};\n"
            + "{% if tls is defined %}ssl {{ tls.cert }};{% endif %}\n{% if extra is undefined %}none{% else %}{{ extra }}{% endif %}\n"
            + "{{ name if name is defined and name else 'x' }}\n{% if not (port is defined) %}80{% else %}{{ port }}{% endif %}\n"
            + "{% include 'nope.j2' ignore missing %}{{ needed }}\n");
        var vars = dir.File("vars.yml", "needed: 1\n");
        var ok = ReshBinary.Run($"template://{tmpl}", "validate", $"vars=@{vars}");
        Assert.True(ok.Ok, ok.ToString());
        Assert.True(ok.Result!["valid"]!.GetValue<bool>());
        Assert.Empty(ok.Result!["undefined"]!.AsArray());

        // A guarded use does not hide an unguarded one of the same name.
        var bad = dir.File("bad.j2", "{{ conns | default(1) }} {{ conns }}\n");
        var r = ReshBinary.Run($"template://{bad}", "validate", "vars:={}");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal(9, r.ExitCode);
        Assert.Equal("partial", r.Envelope["error"]!["code"]!.GetValue<string>());
        Assert.False(r.Result!["valid"]!.GetValue<bool>());
        var undef = Assert.Single(r.Result!["undefined"]!.AsArray());
        Assert.Equal("conns", undef!["name"]!.GetValue<string>());
        Assert.Equal(29, undef["column"]!.GetValue<int>()); // the unguarded use is the one named
    }

    [Fact]
    public void Validate_finds_self_includes_and_accepts_ignore_missing()
    {
        using var dir = new TempDir("tmpl");
        var self = dir.File("self2.j2", "a{% include 'self2.j2' %}\n");
        var r = ReshBinary.Run($"template://{self}", "validate");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal(9, r.ExitCode);
        Assert.False(r.Result!["valid"]!.GetValue<bool>());
        Assert.Contains("itself", r.Result!["errors"]![0]!["message"]!.GetValue<string>());
        dir.File("a.j2", "{% include 'b.j2' %}");
        dir.File("b.j2", "{% import 'a.j2' as a %}");
        var cyc = ReshBinary.Run($"template://{dir["a.j2"]}", "validate");
        Assert.Equal(9, cyc.ExitCode);
        Assert.Contains("a.j2 -> b.j2 -> a.j2", cyc.Result!["errors"]![0]!["message"]!.GetValue<string>());

        var missing = dir.File("m.j2", "{% include 'nope.j2' ignore missing %}ok\n");
        var m = ReshBinary.Run($"template://{missing}", "validate");
        Assert.True(m.Ok, m.ToString());
        Assert.True(m.Result!["valid"]!.GetValue<bool>());
        var hard = dir.File("h.j2", "{% include 'nope.j2' %}ok\n");
        var h = ReshBinary.Run($"template://{hard}", "validate");
        Assert.Equal(9, h.ExitCode); // an include that render would not find: invalid
        Assert.Contains("not found", h.Result!["errors"]![0]!["message"]!.GetValue<string>());
        // A diamond (two includes of one file) is no cycle.
        dir.File("d.j2", "{% include 'leaf.j2' %}{% include 'leaf.j2' %}");
        dir.File("leaf.j2", "x");
        Assert.True(ReshBinary.Run($"template://{dir["d.j2"]}", "validate").Ok);
    }

    // ---- D5: test cases ----

    [Fact]
    public void Test_cases_with_an_unknown_key_or_no_assertion_are_usage_errors()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("t.j2", "x={{ x }}\n");
        var typo = dir.File("typo.yml", "- name: ok\n  vars: {x: 1}\n  expect: \"x=1\"\n- name: bad key\n  vars: {}\n  contians: x\n");
        var r = ReshBinary.Run($"template://{tmpl}", "test", $"cases={typo}");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("usage", r.Envelope["error"]!["code"]!.GetValue<string>());
        Assert.Contains("'bad key'", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("'contians'", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("contains", r.Envelope["error"]!["hint"]!.GetValue<string>());

        var none = dir.File("none.yml", "- name: nothing\n  vars: {x: 1}\n");
        var n = ReshBinary.Run($"template://{tmpl}", "test", $"cases={none}");
        Assert.Equal(2, n.ExitCode);
        Assert.Contains("'nothing'", n.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("no assertion", n.Envelope["error"]!["message"]!.GetValue<string>());

        // Case vars in YAML read as YAML 1.1, as vars=@FILE does.
        var yaml11 = dir.File("y.yml", "- name: off is false\n  vars: {x: off}\n  expect: \"x=False\"\n- name: octal\n  vars: {x: 0644}\n  expect: \"x=420\"\n");
        var y = ReshBinary.Run($"template://{tmpl}", "test", $"cases={yaml11}");
        Assert.True(y.Ok, y.ToString());
        Assert.Equal(2, y.Result!["passed"]!.GetValue<int>());
    }

    // ---- T4: filters are bounded while they build, nested collections count ----

    static string Render(string template, string vars = "{}", long maxSize = 64L << 20, Dictionary<string, string>? files = null)
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", template);
        if (files is not null) foreach (var (name, text) in files) dir.File(name, text);
        var loader = new Loader(dir.Path, new LexOptions(true, false), 1 << 20);
        var renderer = new Renderer(loader, new RenderOptions { Strict = true, MaxSize = maxSize });
        return renderer.Render(loader.LoadTop(top), (Dictionary<string, object?>)V.FromJson(JsonNode.Parse(vars))!);
    }

    static TemplateError Fails(string template, long maxSize = 64L << 20, string vars = "{}") =>
        Assert.Throws<TemplateError>(() => Render(template, vars, maxSize));

    [Theory]
    [InlineData("{% set a = range(100000)|list %}{% set b = [a, a, a, a, a, a, a, a] %}{{ b | to_json | length }}")]
    [InlineData("{% set a = range(100000)|list %}{% set b = [a, a, a, a, a, a, a, a] %}{{ b | to_yaml | length }}")]
    [InlineData("{% set a = range(100000)|list %}{% set b = {'x': a, 'y': a} %}{{ b | string | length }}")]
    [InlineData("{% set a = range(100000)|list %}{{ [a, a] }}")]
    [InlineData("{% set a = range(100000)|list %}{{ 'x' ~ [a, a] }}")]
    [InlineData("{{ ('ab' * 400000) | b64encode | length }}")]
    [InlineData("{{ ('a\\n' * 300000) | indent(8) | length }}")]
    public void Filters_refuse_text_past_max_size_before_building_it(string template)
    {
        var e = Fails(template, maxSize: 1_000_000);
        Assert.Equal("failed", e.Kind);
        Assert.Contains("max_size", e.Message);
    }

    [Fact]
    public void Nested_lists_count_toward_the_item_bound()
    {
        var e = Fails("{% set a = range(5000000)|list %}{% set b = [a, a, a] %}{{ b | length }}");
        Assert.Equal("failed", e.Kind);
        Assert.Contains("10,000,000 items", e.Message);
        Assert.Contains("10,000,000 items", Fails("{% set a = range(5000000)|list %}{% set b = {'x': a, 'y': a, 'z': a} %}{{ b | length }}").Message);
        Assert.Contains("10,000,000 items", Fails("{% set a = range(3000000)|list %}{{ ([a] * 4) | length }}").Message);
        Assert.Contains("10,000,000 items", Fails("{% set a = range(6000000)|list %}{{ ([a] + [a]) | length }}").Message);
        // Within the bound: fine, and a list grown in a loop is not walked again each time (this would take minutes).
        Assert.Equal("3", Render("{% set a = range(1000)|list %}{{ [a, a, a] | length }}"));
        Assert.Equal("20000", Render("{% set ns = namespace(l=[]) %}{% for i in range(20000) %}{% set ns.l = ns.l + [[i]] %}{% endfor %}{{ ns.l | length }}"));
    }

    // ---- Issue 17: inline=, with, filter blocks, recursive loops (compared with Jinja2) ----

    const string Jinja2Render = """
        import sys, json, jinja2
        req = json.load(sys.stdin)
        env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined, finalize=lambda x: '' if x is None else x)
        print(json.dumps([env.from_string(t).render(**req["vars"]) for t in req["templates"]]))
        """;

    static readonly string[] FeatureTemplates =
    [
        "{% with a = 1, b = a %}{{ a }}-{{ b }}{% endwith %}|{{ a }}",
        "{% with %}{% set z = 3 %}{{ z }}{% endwith %}",
        "{% with xs = [1, 2] %}{% for x in xs %}{{ x }}{% endfor %}{% endwith %}",
        "{% filter upper %}hello {{ name }}{% endfilter %}!",
        "{% filter upper | replace('L', 'l') %}hello{% endfilter %}",
        "{% filter indent(2, true) %}\na\nb\n{% endfilter %}",
        "{% for n in tree recursive %}[{{ n.name }}:{{ loop.depth }}/{{ loop.depth0 }}{% if n.children %}{{ loop(n.children) }}{% endif %}]{% endfor %}",
        "<ul>\n{% for n in tree recursive %}\n<li>{{ n.name }}{% if n.children %}<ul>{{ loop(n.children) }}</ul>{% endif %}</li>\n{% endfor %}\n</ul>\n",
        "{% for n in tree if n.name != 'b' recursive %}{{ n.name }}{{ loop.index }}{% if n.children %}({{ loop(n.children) }}){% endif %}{% endfor %}",
        "{% for x in [1] %}{% for y in [2] %}{{ loop.depth }}{% endfor %}{% endfor %}",
        "{% for x in [1, 2] %}{% with y = x * 10 %}{{ y }}{% endwith %}{% endfor %}",
    ];

    const string TreeVars = """{"name": "World", "a": 7, "tree": [{"name": "a", "children": [{"name": "b", "children": [{"name": "c", "children": []}]}, {"name": "d", "children": []}]}, {"name": "e", "children": []}]}""";

    [Fact]
    public void With_filter_blocks_and_recursive_loops_render_as_jinja2()
    {
        var request = new JsonObject { ["vars"] = JsonNode.Parse(TreeVars), ["templates"] = new JsonArray(FeatureTemplates.Select(t => (JsonNode?)t).ToArray()) };
        var expected = JsonNode.Parse(Python(Jinja2Render, request.ToJsonString()))!.AsArray();
        for (int i = 0; i < FeatureTemplates.Length; i++)
            Assert.True(expected[i]!.GetValue<string>() == Render(FeatureTemplates[i], TreeVars), $"{FeatureTemplates[i]}\nJinja2: {expected[i]}\nresh:   {Render(FeatureTemplates[i], TreeVars)}");
    }

    [Fact]
    public void Feature_errors_are_usage_with_a_place()
    {
        Assert.Contains("recursive", Fails("{% for x in [1] %}{{ loop([2]) }}{% endfor %}").Message);
        Assert.Contains("never closed", Fails("{% with a = 1 %}x").Message);
        Assert.Contains("never closed", Fails("{% filter upper %}x").Message);
        Assert.Contains("Unknown filter", Fails("{% filter nope %}x{% endfilter %}").Message);
        Assert.Equal("usage", Fails("{% with a %}x{% endwith %}").Kind);
        var deep = Fails("{% for n in [t] recursive %}{{ loop([n]) }}{% endfor %}", vars: "{\"t\": 1}");
        Assert.Contains("deeper than 1000", deep.Message);
    }

    [Fact]
    public void Inline_templates_render_validate_and_list_vars()
    {
        using var dir = new TempDir("tmpl");
        dir.File("inc.j2", "inc:{{ port }}");
        var r = ReshBinary.Run("template://.render", "inline={% include 'inc.j2' %} {{ port | default(1) }}", "vars:={\"port\": 8080}", $"root={dir.Path}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("inc:8080 8080", r.Result!["content"]!.GetValue<string>());
        Assert.Equal("<inline>", r.Result!["path"]!.GetValue<string>());

        var dest = dir["out.conf"];
        var w = ReshBinary.Run("template://.render", "inline=a={{ a }}\n", "vars:={\"a\": 1}", $"dest={dest}");
        Assert.True(w.Ok, w.ToString());
        Assert.Equal("a=1\n", File.ReadAllText(dest));

        var v = ReshBinary.Run("template://.vars", "inline={{ x }}{{ y | default(2) }}");
        Assert.True(v.Ok, v.ToString());
        Assert.Equal(["x", "y"], v.Result!["variables"]!.AsArray().Select(x => x!["name"]!.GetValue<string>()));

        var bad = ReshBinary.Run("template://.validate", "inline={% if %}");
        Assert.Equal(9, bad.ExitCode);
        Assert.Equal("<inline>", bad.Result!["errors"]![0]!["file"]!.GetValue<string>());

        var both = ReshBinary.Run($"template://{dir["inc.j2"]}", "render", "inline=x");
        Assert.Equal(2, both.ExitCode);
        var neither = ReshBinary.Run("template://.render", "vars:={}");
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("template://", neither.Envelope["error"]!["message"]!.GetValue<string>());
        // Includes of an inline template stay below its root.
        var esc = ReshBinary.Run("template://.render", "inline={% include '../../../../etc/passwd' %}", $"root={dir.Path}");
        Assert.Equal(4, esc.ExitCode);
    }

    // ---- D9, D11: Python's formatting and rounding, newlines and BOM (compared with Jinja2) ----

    static readonly string[] PythonTemplates =
    [
        "{{ \"%05.1f\"|format(3.14159) }}",
        "{{ \"%-6s|%+d|%x|%#o|%e|%g|%.3g|%5.2f%%\"|format(\"ab\", 5, 255, 8, 12345.678, 0.00001234, 1234567, 3.14159) }}",
        "{{ \"{:>5}\".format(\"ab\") }}|{{ \"{0}-{1}-{0}\".format(\"a\", \"b\") }}|{{ \"{name}!\".format(name=\"x\") }}|{{ \"{:08.3f}\".format(3.14159) }}|{{ \"{:,}\".format(1234567) }}|{{ \"{:^9}\".format(\"mid\") }}|{{ \"{:x}\".format(255) }}|{{ \"{:.2%}\".format(0.256) }}",
        "{{ 2.5|round }} {{ -2.5|round }} {{ 1.25|round(1) }} {{ 2.675|round(2) }} {{ 2|round }} {{ 0.5|round }} {{ 1.5|round }} {{ 3.14159|round(3) }} {{ 1234|round(-2) }} {{ 1250.0|round(-2) }} {{ 2.5|round(0, 'floor') }}",
        "{{ \"%s-%s\" % (\"a\", \"b\") }} {{ \"%d%%\" % 5 }} {{ \"%(a)s\"|format(a=1) }} {{ \"%.2e\"|format(0.000123) }} {{ \"%G\"|format(1e-10) }} {{ \"{:e}\".format(1234.5) }} {{ \"{:g}\".format(0.0001) }} {{ \"{:.3}\".format(2.0) }} {{ \"{}\".format(1.0) }} {{ \"{!r}\".format(\"a\") }}",
        "{{ \"{:+08.2f}|{:<6}|{:*>7}|{:=+6d}|{:#x}|{:b}|{:o}|{:_}\".format(-3.14159, 12, \"r\", 42, 255, 5, 8, 1000000) }}",
        "{{ \"%5s|%-5d|%05d|% d|%c|%r\"|format(\"x\", 3, -42, 7, 65, \"q\") }}",
        "\ufeffa\r\nb {{ 1 }}\r\n{% if true %}\r\nx\r\n{% endif %}\r\nlast\rline\n",
        "{% raw %}\nx\n{% endraw %}\ny",
        "  {% raw %}\n  x\n  {% endraw %}\n",
        "{{ 'ab'|replace('', '-') }}|{{ 'ab'.replace('', '-') }}|{{ 'abc'|replace('', '-', 2) }}|{{ ''|replace('', '+') }}",
    ];

    [Fact]
    public void Python_formatting_rounding_and_newlines_match_jinja2()
    {
        var request = new JsonObject { ["vars"] = new JsonObject(), ["templates"] = new JsonArray(PythonTemplates.Select(t => (JsonNode?)t).ToArray()) };
        var expected = JsonNode.Parse(Python(Jinja2Render, request.ToJsonString()))!.AsArray();
        for (int i = 0; i < PythonTemplates.Length; i++)
        {
            var got = Render(PythonTemplates[i]);
            Assert.True(expected[i]!.GetValue<string>() == got, $"{PythonTemplates[i]}\nJinja2: {JsonValue.Create(expected[i]!.GetValue<string>()).ToJsonString()}\nresh:   {JsonValue.Create(got).ToJsonString()}");
        }
        Assert.Contains("not enough arguments", Fails("{{ '%s %s'|format(1) }}").Message);
        Assert.Contains("unsupported conversion", Fails("{{ '%y'|format(1) }}").Message);
        Assert.Contains("no argument 2", Fails("{{ '{2}'.format(1) }}").Message);
    }

    [Fact]
    public void Raw_blocks_keep_their_first_newline_and_lstrip_before_endraw_as_jinja2()
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", "  {% raw %}\n  x\n  {% endraw %}\n");
        var loader = new Loader(dir.Path, new LexOptions(true, true), 1 << 20);
        var text = new Renderer(loader, new RenderOptions()).Render(loader.LoadTop(top), []);
        Assert.Equal("\n  x\n", text); // Jinja2 3.1 with trim_blocks and lstrip_blocks
    }

    // ---- D13: a dest in /proc or /sys ----

    [Theory]
    [InlineData("/proc/sys/kernel/hostname")]
    [InlineData("/proc/self/comm")]
    [InlineData("/sys/kernel/mm/transparent_hugepage/enabled")]
    public void Dest_in_a_kernel_file_system_is_unsupported_also_under_dry_run(string dest)
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("h.j2", "x\n");
        var before = File.Exists(dest) ? File.ReadAllText(dest) : null;
        foreach (var dry in new[] { true, false })
        {
            var r = dry ? ReshBinary.Run($"template://{tmpl}", "render", $"dest={dest}", "--dry-run") : ReshBinary.Run($"template://{tmpl}", "render", $"dest={dest}");
            Assert.Equal(8, r.ExitCode);
            Assert.Equal("unsupported", r.Envelope["error"]!["code"]!.GetValue<string>());
        }
        Assert.Equal(before, File.Exists(dest) ? File.ReadAllText(dest) : null);
    }

    // ---- D14: no silent non-atomic fallback ----

    [Fact]
    public void A_dest_that_cannot_be_replaced_atomically_needs_unsafe_writes()
    {
        using var dir = new TempDir("tmpl");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755, root's: nobody cannot create a temporary file here
        var tmpl = dir.File("t.j2", "new={{ 1 }}\n");
        File.SetUnixFileMode(tmpl, (UnixFileMode)0x1A4);
        var dest = dir.File("app.conf", "old\n");
        Assert.Equal(0, Sh.Run("chown", "65534:65534", dest).Code); // nobody may write the file itself
        string[] asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path];
        var refused = Sh.Run(asNobody[0], [.. asNobody[1..], $"template://{tmpl}", "render", $"dest={dest}", "--format", "json"]);
        Assert.Equal(4, refused.Code);
        Assert.Contains("unsafe_writes=true", refused.Out);
        Assert.Equal("old\n", File.ReadAllText(dest));
        var allowed = Sh.Run(asNobody[0], [.. asNobody[1..], $"template://{tmpl}", "render", $"dest={dest}", "unsafe_writes=true", "--format", "json"]);
        Assert.Equal(0, allowed.Code);
        Assert.Contains("not atomically", allowed.Out);
        Assert.Equal("new=1\n", File.ReadAllText(dest));
    }

    // ---- s36 user #3: a symlink another user planted as dest ----

    [Fact]
    public void A_dest_symlink_of_another_user_is_not_followed_unless_asked()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("t.j2", "rendered={{ 1 }}\n");
        var victim = dir.File("root-only.conf", "secret stays\n");
        File.SetUnixFileMode(victim, (UnixFileMode)0x180);
        var dest = Path.Combine(dir.Path, "app.conf");
        File.CreateSymbolicLink(dest, victim);
        Assert.Equal(0, Sh.Run("chown", "-h", "65534:65534", dest).Code); // the link is nobody's, as if nobody planted it
        var refused = Sh.Run(ReshBinary.Path, $"template://{tmpl}", "render", $"dest={dest}", "--format", "json");
        Assert.Equal(4, refused.Code);
        Assert.Contains("belongs to another user", refused.Out);
        Assert.Equal("secret stays\n", File.ReadAllText(victim));
        Assert.NotNull(new FileInfo(dest).LinkTarget);

        // follow=false replaces the link itself; the file it pointed at is untouched.
        var replaced = Sh.Run(ReshBinary.Path, $"template://{tmpl}", "render", $"dest={dest}", "follow=false", "--format", "json");
        Assert.Equal(0, replaced.Code);
        Assert.Null(new FileInfo(dest).LinkTarget);
        Assert.Equal("rendered=1\n", File.ReadAllText(dest));
        Assert.Equal("secret stays\n", File.ReadAllText(victim));

        // A link of the caller's own is followed as before.
        File.Delete(dest);
        File.CreateSymbolicLink(dest, victim);
        var own = Sh.Run(ReshBinary.Path, $"template://{tmpl}", "render", $"dest={dest}", "--format", "json");
        Assert.Equal(0, own.Code);
        Assert.Equal("rendered=1\n", File.ReadAllText(victim));
    }

    [Fact]
    public void A_template_in_proc_is_read_to_its_end_not_to_its_reported_size()
    {
        // /proc files report 0 bytes; the template rendered empty before.
        var run = Sh.Run(ReshBinary.Path, "template:///proc/sys/kernel/ostype", "render", "--format", "json");
        Assert.Equal(0, run.Code);
        Assert.Contains("\"content\":\"Linux\\n\"", run.Out);
    }
}
