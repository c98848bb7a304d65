using System.Text.Json.Nodes;
using Resh.Handles.Template.Engine;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>
/// The s37 user review of template:// (#5, #21): to_yaml / to_nice_yaml text that PyYAML (python3-yaml, a test dependency)
/// loads back as the value that was dumped, and a default() fallback that is only evaluated strictly when it is used.
/// </summary>
public sealed class TemplateS37ReviewTests
{
    static string Render(string template, string vars = "{}")
    {
        using var dir = new TempDir("tmpl");
        var top = dir.File("top.j2", template);
        var loader = new Loader(dir.Path, new LexOptions(true, false), 1 << 20);
        var renderer = new Renderer(loader, new RenderOptions { Strict = true, MaxSize = 64L << 20 });
        return renderer.Render(loader.LoadTop(top), (Dictionary<string, object?>)V.FromJson(JsonNode.Parse(vars))!);
    }

    /// <summary>Strings with characters PyYAML only holds double-quoted, and the line breaks a loader folds in other styles.</summary>
    static readonly string[] Awkward =
    [
        "a\tb", "\t", "a\rb", "x\r\ny", "\r", "a\u0085b", "a\u2028b", "a\u2029b", "bell\u0007", "del\u007f", "c1\u0090",
        "\ufeffbom", "tail\t", "line\nbreak\ttab", "😀 emoji", "mixed\r\n\tend\n",
    ];

    [Fact]
    public void To_yaml_of_tabs_carriage_returns_and_other_breaks_loads_back_unchanged_in_pyyaml()
    {
        var dumped = new JsonArray();
        foreach (var s in Awkward)
        {
            var vars = new JsonObject { ["v"] = new JsonObject { ["k"] = s, ["l"] = new JsonArray(s, "plain") } }.ToJsonString();
            dumped.Add(Render("{{ v | to_yaml }}", vars));
            dumped.Add(Render("{{ v | to_nice_yaml }}", vars));
        }
        const string script = """
            import sys, json, yaml
            print(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))
            """;
        var loaded = JsonNode.Parse(TemplateLeftoversTests.Python(script, dumped.ToJsonString()))!.AsArray();
        for (var i = 0; i < Awkward.Length; i++)
            for (var style = 0; style < 2; style++)
            {
                var back = loaded[i * 2 + style]!;
                var text = dumped[i * 2 + style]!.GetValue<string>();
                Assert.True(Awkward[i] == back["k"]!.GetValue<string>(), $"{(style == 0 ? "to_yaml" : "to_nice_yaml")} of {JsonValue.Create(Awkward[i]).ToJsonString()} wrote {JsonValue.Create(text).ToJsonString()}, PyYAML read {back["k"]!.ToJsonString()}");
                Assert.Equal(Awkward[i], back["l"]![0]!.GetValue<string>());
            }
    }

    [Fact]
    public void A_tab_is_written_double_quoted_as_pyyaml_writes_it()
    {
        var text = Render("{{ v | to_nice_yaml }}", "{\"v\":{\"tab\":\"a\\tb\"}}");
        Assert.StartsWith("tab: \"a", text);
    }

    [Fact]
    public void An_unused_default_fallback_that_is_undefined_is_not_an_error()
    {
        // Ansible (chainable undefined): y.z is never printed when x is defined.
        Assert.Equal("1", Render("{{ x | default(y.z) }}", "{\"x\":1}"));
        Assert.Equal("1", Render("{{ x | default(y) }}", "{\"x\":1}"));
        Assert.Equal("2", Render("{{ x | default(y.z) }}", "{\"y\":{\"z\":2}}"));
        Assert.Equal("3", Render("{{ x | default(y.z) | default(3) }}", "{}"));
        // Used, it still fails in strict mode, naming what is missing.
        var used = Assert.ThrowsAny<Exception>(() => Render("{{ x | default(y.z) }}", "{}"));
        Assert.Contains("y", used.Message);
        Assert.Contains("undefined", used.Message);
    }
}
