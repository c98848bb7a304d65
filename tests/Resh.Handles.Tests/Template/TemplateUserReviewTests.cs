using System.Text.Json.Nodes;
using Resh.Handles.Template.Engine;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>
/// The s36 user review of template:// (issue 17), fixed in s37: Python object semantics where Ansible templates rely on them
/// (booleans and tuples with %, chainable undefined, str() before the string filters), template.test cases that check
/// nothing, mode=04755, vars=@FILE in a JSON request, and render's validate= hook. Expected texts are what jinja2 (run
/// here when python3-jinja2 is installed) or a real Ansible template task print.
/// </summary>
public sealed class TemplateUserReviewTests
{
    static string Render(string template, string vars = "{}")
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", template);
        var loader = new Loader(dir.Path, new LexOptions(true, false), 1 << 20);
        var renderer = new Renderer(loader, new RenderOptions { Strict = true, MaxSize = 64L << 20 });
        return renderer.Render(loader.LoadTop(top), (Dictionary<string, object?>)V.FromJson(JsonNode.Parse(vars))!);
    }

    /// <summary>What jinja2 prints for each template (trim_blocks, StrictUndefined, None printed empty, as Ansible), or null without jinja2.</summary>
    static List<string>? Jinja2(IEnumerable<(string Template, string Vars)> cases)
    {
        const string script = """
            import sys, json
            try:
                import jinja2
            except ImportError:
                print("null"); sys.exit(0)
            env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                                     finalize=lambda x: '' if x is None else x)
            out = []
            for t, v in json.load(sys.stdin):
                out.append(env.from_string(t).render(**json.loads(v)))
            print(json.dumps(out))
            """;
        var input = new JsonArray(cases.Select(c => (JsonNode?)new JsonArray(c.Template, c.Vars)).ToArray()).ToJsonString();
        var node = JsonNode.Parse(TemplateLeftoversTests.Python(script, input));
        return node is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : null;
    }

    static readonly (string Template, string Vars, string Expected)[] PythonSemantics =
    [
        // s36 user #4: a boolean with %s or %r prints True/False, not 1/0.
        ("{{ \"%s\" % flag }}|{{ \"%r\" % flag }}|{{ \"enabled=%s\" % off }}", "{\"flag\":true,\"off\":false}", "True|True|enabled=False"),
        ("{{ \"%d\" % flag }} {{ \"%.1f\" % flag }}", "{\"flag\":true}", "1 1.0"),
        // s36 user #5: a list is one argument; a tuple is the argument tuple; tuples print as tuples.
        ("{{ \"%s\" % [1, 2] }}|{{ \"%s\" % xs }}", "{\"xs\":[\"a\",\"b\"]}", "[1, 2]|['a', 'b']"),
        ("{{ \"%s:%s\" % (1, 'b') }}|{{ (1, 2) }}|{{ (1,) }}|{{ () }}", "{}", "1:b|(1, 2)|(1,)|()"),
        ("{{ d.items() | list }}|{% for k, v in d | dictsort %}{{ \"%s=%s\" % (k, v) }};{% endfor %}", "{\"d\":{\"b\":2,\"a\":1}}", "[('b', 2), ('a', 1)]|a=1;b=2;"),
        ("{% set t = 1, 2 %}{{ t }} {{ t | length }} {{ t[1] }}", "{}", "(1, 2) 2 2"),
        // s36 user #10: the string filters convert with str() first, and use Python's full case mappings.
        ("{{ none | upper }}|{{ none | title }}|{{ none | lower }}|{{ none | capitalize }}", "{}", "NONE|None|none|None"),
        ("{{ \"ß\" | upper }}|{{ \"straße\".upper() }}|{{ \"İ\" | lower | length }}", "{}", "SS|STRASSE|2"),
        ("[{{ \"x\".center(5) }}][{{ \"ab\" | center(5) }}][{{ \"abc\".center(6, \"*\") }}][{{ \"ab\".ljust(4, \"-\") }}][{{ \"ab\".rjust(4) }}]", "{}", "[  x  ][  ab ][*abc**][ab--][  ab]"),
    ];

    [Fact]
    public void Percent_tuples_and_string_filters_follow_python_and_jinja2()
    {
        var mismatches = new List<string>();
        foreach (var (t, v, want) in PythonSemantics)
        {
            var got = Render(t, v);
            if (got != want) mismatches.Add($"{t}: got {got}, expected {want}");
        }
        Assert.Empty(mismatches);
        // The expectations themselves are what jinja2 prints (when it is installed here).
        if (Jinja2(PythonSemantics.Select(c => (c.Template, c.Vars))) is { } real)
            Assert.Equal(PythonSemantics.Select(c => c.Expected), real);
    }

    [Fact]
    public void A_list_is_no_argument_tuple_so_two_fields_and_a_list_is_an_error()
    {
        // Python: "%s:%s" % ["a", "b"] is TypeError: not enough arguments.
        var e = Assert.Throws<TemplateError>(() => Render("{{ \"%s:%s\" % xs }}", "{\"xs\":[\"a\",\"b\"]}"));
        Assert.Contains("not enough arguments", e.Message);
        // re.findall's groups are tuples, so they work as the argument tuple (Ansible's regex_findall).
        Assert.Equal("[('a', '1'), ('b', '2')]|a:1;b:2;", Render("""{{ "a=1 b=2" | regex_findall("(\\w)=(\\d)") }}|{% for m in "a=1 b=2" | regex_findall("(\\w)=(\\d)") %}{{ "%s:%s" % m }};{% endfor %}"""));
        // str.format reads a dict's keys with [], not with . (Python: AttributeError).
        Assert.Equal("1", Render("""{{ "{x[y]}".format(x={"y": 1}) }}"""));
        Assert.Contains("no attribute 'y'", Assert.Throws<TemplateError>(() => Render("""{{ "{x.y}".format(x={"y": 1}) }}""")).Message);
    }

    [Fact]
    public void Default_and_is_defined_chain_through_an_undefined_value_as_ansible_does()
    {
        // s36 user #6: a real ansible-playbook template task renders these (AnsibleUndefined is chainable).
        Assert.Equal("1|z|False|True|443|fallback", Render(
            "{{ x.y | default(1) }}|{{ x[\"a\"].b | d(\"z\") }}|{{ x.y is defined }}|{{ x.y is undefined }}|{{ nginx.tls.port | default(443) }}"
            + "|{% if x.y is defined %}{{ x.y }}{% else %}fallback{% endif %}"));
        // Defined values still go through, and a missing key of a defined dict too.
        Assert.Equal("5|7", Render("{{ x.y | default(1) }}|{{ x.z.w | default(7) }}", "{\"x\":{\"y\":5}}"));
        // Outside default and `is defined`, strict mode still stops at the undefined name.
        var e = Assert.Throws<TemplateError>(() => Render("{{ x.y }}"));
        Assert.Contains("'x'", e.Message);
        // An index inside the chain is still evaluated strictly: its own undefined name is an error.
        Assert.Throws<TemplateError>(() => Render("{{ d[k] | default(1) }}", "{\"d\":{}}"));
    }

    [Fact]
    public void Validate_does_not_report_a_chain_guarded_by_default_or_is_defined()
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", "{{ x.y | default(1) }}{{ a[\"b\"].c | d }}{% if z.w is defined %}{{ z.w }}{% endif %}{{ m[k] | default(2) }}{{ plain.attr }}");
        var loader = new Loader(dir.Path, new LexOptions(), 1 << 20);
        var (free, _) = Analysis.Run(loader, loader.LoadTop(top));
        var byName = free.ToDictionary(f => f.Name);
        Assert.True(byName["x"].Guarded);
        Assert.True(byName["a"].Guarded);
        Assert.True(byName["z"].Guarded);
        Assert.True(byName["m"].Guarded);
        Assert.False(byName["k"].Guarded); // the index is a use of its own
        Assert.False(byName["plain"].Guarded);
    }

    static readonly string[] YamlValues =
    [
        "{\"b\":[1,true],\"a\":\"yes\"}",
        "{\"c\":{\"x\":[{\"k\":1},\"s\"],\"n\":null,\"e\":[],\"f\":{},\"g\":\"a b: c\",\"h\":\"0644\",\"i\":1.5,\"j\":1e20,\"t\":\"2001-12-14\",\"u\":\"ünï\",\"o\":\"on\",\"z\":\"\"}}",
        "[[1,2],[3],{\"a\":[{\"b\":{\"c\":1}}]}]",
        "{\"long\":\"" + string.Join(' ', Enumerable.Repeat("word", 30)) + "\",\"q\":\"it's\",\"h\":\"#x\",\"d\":\"- x\",\"s\":\" lead\"}",
        "{\"m\":\"multi\\nline\",\"deep\":{\"a\":{\"b\":[1,2]}}}",
    ];

    [Fact]
    public void To_yaml_and_to_nice_yaml_write_what_ansible_writes()
    {
        // s36 user #9: Ansible's to_yaml is yaml.dump(default_flow_style=None), to_nice_yaml yaml.dump(indent=4, default_flow_style=False).
        const string script = """
            import sys, json, yaml
            out = []
            for v in json.load(sys.stdin):
                d = json.loads(v)
                out.append(yaml.dump(d, allow_unicode=True, default_flow_style=None))
                out.append(yaml.dump(d, allow_unicode=True, default_flow_style=False, indent=4))
            print(json.dumps(out))
            """;
        var expected = JsonNode.Parse(TemplateLeftoversTests.Python(script, new JsonArray(YamlValues.Select(v => (JsonNode?)v).ToArray()).ToJsonString()))!.AsArray()
            .Select(x => x!.GetValue<string>()).ToList();
        var got = new List<string>();
        foreach (var v in YamlValues)
        {
            got.Add(Render("{{ v | to_yaml }}", "{\"v\":" + v + "}"));
            got.Add(Render("{{ v | to_nice_yaml }}", "{\"v\":" + v + "}"));
        }
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Yaml_merge_keys_come_first_as_pyyaml_reads_them()
    {
        const string yaml = "base: &b {k: 1, z: 9}\nother: &o {z: 5, w: 0}\nx:\n  z: 2\n  <<: *b\ny:\n  <<: [*b, *o]\n  a: 1\n";
        var ours = Resh.Handles.Config.Formats.YamlFormat.Yaml11.Read(yaml)!.ToJsonString();
        var theirs = TemplateLeftoversTests.Python("import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read()), separators=(',', ':')))", yaml).Trim();
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Yaml_timestamps_print_as_python_prints_the_datetime_pyyaml_reads()
    {
        string[] stamps = ["2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "2001-12-14T21:59:43Z", "2002-12-14", "2001-1-2 3:04:05",
            "2001-12-14 21:59:43.1234567 +5", "2001-12-14 21:59:43 -05:30", "2001-12-14 21:59:43.000"];
        var theirs = JsonNode.Parse(TemplateLeftoversTests.Python("import sys, json, yaml; print(json.dumps([str(yaml.safe_load('v: ' + s)['v']) for s in json.load(sys.stdin)]))",
            new JsonArray(stamps.Select(x => (JsonNode?)x).ToArray()).ToJsonString()))!.AsArray().Select(x => x!.GetValue<string>());
        var yaml = string.Concat(stamps.Select((x, i) => $"t{i}: {x}\n"));
        var vars = Resh.Handles.Config.Formats.YamlFormat.Yaml11.Read(yaml)!.ToJsonString();
        var ours = Render(string.Concat(stamps.Select((_, i) => $"{{{{ t{i} }}}}|")), vars).Split('|', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(theirs, ours);
    }

    // ---- through the binary ---------------------------------------------------------------------------------------

    static string Message(ReshRun run) => run.Envelope["error"]!["message"]!.GetValue<string>();

    [Fact]
    public void Template_test_refuses_cases_that_check_nothing_or_contradict()
    {
        using var dir = new TempDir("tmpltest");
        var tmpl = dir.File("t.j2", "port={{ port }}\n");
        foreach (var (cases, needle) in new[]
        {
            ("- name: empty\n  vars: {port: 1}\n  contains: []\n", "no assertion"),
            ("- name: empty-string\n  vars: {port: 1}\n  contains: \"\"\n", "no assertion"),
            ("- name: half-empty\n  vars: {port: 1}\n  expect: \"port=1\"\n  not_contains: []\n", "empty not_contains"),
            ("- name: both\n  vars: {port: 1}\n  expect: \"port=1\"\n  expect_error: undefined\n", "both an error"),
        })
        {
            var file = dir.File("cases.yml", cases);
            var run = ReshBinary.Run($"template://{tmpl}", "test", $"cases={file}", "--format", "json");
            Assert.True(run.ErrorCode == "usage", cases + " -> " + run.Stdout);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains(needle, Message(run));
        }
        // expect: "" is a real assertion (the output must be empty), and a list with a string checks it.
        var ok = dir.File("ok.yml", "- name: a\n  vars: {port: 1}\n  contains: [\"port=1\"]\n- name: b\n  vars: {port: 2}\n  expect: \"port=2\"\n");
        var pass = ReshBinary.Run($"template://{tmpl}", "test", $"cases={ok}", "--format", "json");
        Assert.True(pass.Ok, pass.Stdout);
    }

    [Fact]
    public void Mode_takes_setuid_setgid_and_sticky_with_leading_zeros()
    {
        using var dir = new TempDir("tmplmode");
        var dest = Path.Combine(dir.Path, "tool.sh");
        var run = ReshBinary.Run("template://.render", "inline=#!/bin/sh\n", $"dest={dest}", "mode=04755", "--format", "json");
        Assert.True(run.Ok, run.Stdout);
        var mode = File.GetUnixFileMode(dest);
        Assert.True(mode.HasFlag(UnixFileMode.SetUser), mode.ToString());
        Assert.Equal(UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, mode);
        var sticky = ReshBinary.Run("template://.render", "inline=x", $"dest={dest}", "mode=001644", "--format", "json");
        Assert.True(sticky.Ok, sticky.Stdout);
        Assert.Equal(UnixFileMode.StickyBit | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(dest));
        // More than 07777 is still no mode.
        foreach (var bad in new[] { "017777", "0o755", "8644" })
        {
            var refused = ReshBinary.Run("template://.render", "inline=x", $"dest={dest}", $"mode={bad}", "--format", "json");
            Assert.True(refused.ErrorCode == "usage", bad + " -> " + refused.Stdout);
        }
    }

    [Fact]
    public void Vars_as_an_at_file_in_a_json_request_is_refused_with_the_reason()
    {
        using var dir = new TempDir("tmplbatch");
        var vars = dir.File("vars.yml", "port: 8080\n");
        var line = new JsonObject { ["id"] = 1, ["stage"] = "template://.render", ["args"] = new JsonObject { ["inline"] = "p={{ port }}", ["vars"] = "@" + vars } }.ToJsonString();
        var run = ReshBinary.Run(["batch"], line + "\n");
        var env = (JsonObject)JsonNode.Parse(run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])!;
        Assert.Equal("usage", env["error"]!["code"]!.GetValue<string>());
        Assert.Contains("only on the command line", env["error"]!["message"]!.GetValue<string>());
        // The same request with the mapping inline works.
        var inline = new JsonObject { ["id"] = 2, ["stage"] = "template://.render", ["args"] = new JsonObject { ["inline"] = "p={{ port }}", ["vars"] = new JsonObject { ["port"] = 8080 } } }.ToJsonString();
        var ok = (JsonObject)JsonNode.Parse(ReshBinary.Run(["batch"], inline + "\n").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])!;
        Assert.Equal("p=8080", ok["result"]!["content"]!.GetValue<string>());
    }

    /// <summary>A validator as an argv array: it accepts a file holding "good" and says why it rejects anything else.</summary>
    static string Validator(string marker) =>
        new JsonArray("/bin/sh", "-c", $"test -f \"$1\" && echo \"$1\" >> {marker} && grep -q good \"$1\" || {{ echo \"line 1: bad directive in $1\" >&2; exit 3; }}", "sh", "%s").ToJsonString();

    [Fact]
    public void Validate_checks_the_new_content_before_it_replaces_dest()
    {
        using var dir = new TempDir("tmplvalidate");
        var dest = dir.File("app.conf", "old\n");
        var marker = Path.Combine(dir.Path, "checked");
        // Rejected: dest keeps its content, the envelope is `failed` with the command's output (the copy shown as %s).
        var bad = ReshBinary.Run("template://.render", "inline=bad {{ n }}\n", "vars:={\"n\":1}", $"dest={dest}", $"validate:={Validator(marker)}", "--format", "json");
        Assert.Equal("failed", bad.ErrorCode);
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("old\n", File.ReadAllText(dest));
        Assert.Contains("bad directive in %s", Message(bad));
        Assert.Equal(3, bad.Envelope["error"]!["details"]!["exit_code"]!.GetValue<int>());
        // The command saw a private copy named as dest, which is gone afterwards.
        var checkedPath = File.ReadAllText(marker).Trim();
        Assert.EndsWith("/app.conf", checkedPath);
        Assert.NotEqual(dest, checkedPath);
        Assert.False(File.Exists(checkedPath));
        // Accepted: written, changed.
        var good = ReshBinary.Run("template://.render", "inline=good {{ n }}\n", "vars:={\"n\":1}", $"dest={dest}", $"validate:={Validator(marker)}", "--format", "json");
        Assert.True(good.Ok, good.Stdout);
        Assert.True(good.Envelope["changed"]!.GetValue<bool>());
        Assert.Equal("good 1\n", File.ReadAllText(dest));
        // Unchanged content is not validated again (as Ansible), and --dry-run does not run it.
        File.Delete(marker);
        var same = ReshBinary.Run("template://.render", "inline=good {{ n }}\n", "vars:={\"n\":1}", $"dest={dest}", $"validate:={Validator(marker)}", "--format", "json");
        Assert.False(same.Envelope["changed"]!.GetValue<bool>());
        var dry = ReshBinary.Run("template://.render", "inline=bad\n", $"dest={dest}", $"validate:={Validator(marker)}", "--dry-run", "--format", "json");
        Assert.True(dry.Ok, dry.Stdout);
        Assert.False(File.Exists(marker));
        // The words form (split as a shell would, no shell) and a command without %s.
        var words = ReshBinary.Run("template://.render", "inline=bad\n", $"dest={dest}", "validate=grep -q good %s", "--format", "json");
        Assert.Equal("failed", words.ErrorCode);
        Assert.Equal("good 1\n", File.ReadAllText(dest));
        var noPlaceholder = ReshBinary.Run("template://.render", "inline=bad\n", $"dest={dest}", "validate=true", "--format", "json");
        Assert.Equal("usage", noPlaceholder.ErrorCode);
        Assert.Contains("%s", Message(noPlaceholder));
        var missing = ReshBinary.Run("template://.render", "inline=bad\n", $"dest={dest}", "validate=/nonexistent/checker %s", "--format", "json");
        Assert.Equal("unavailable", missing.ErrorCode);
        Assert.Equal("good 1\n", File.ReadAllText(dest));
    }
}
