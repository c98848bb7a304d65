using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Config;
using Resh.Handles.Config.Formats;
using Xunit;

namespace Resh.Handles.Tests.Config;

/// <summary>In-process regressions for defects reviewers found in the format edits (bare flags, inline comments, flow YAML, depth).</summary>
public sealed class ConfigReviewEditTests
{
    static JsonNode? Get(ConfigFormat f, string text, string key) =>
        ConfigFormat.Lookup(f.Read(text), f is LineFormat lf ? lf.Canonical(text, KeyPath.Parse(key)) : KeyPath.Parse(key), out _);

    const string MyCnf = "[mysqld]\nuser = mysql\nskip-networking\n";

    [Fact]
    public void Ini_new_key_after_a_bare_flag_gets_its_own_line_and_a_separator()
    {
        var f = IniFormat.Instance;
        Assert.Equal("[mysqld]\nuser = mysql\nskip-networking\nport = 3307\n", f.Set(MyCnf, KeyPath.Parse("mysqld.port"), JsonValue.Create(3307)));
        // Without a trailing newline, and with CRLF line ends.
        Assert.Equal("[mysqld]\nuser = mysql\nskip-networking\nport = 3307\n", f.Set(MyCnf.TrimEnd('\n'), KeyPath.Parse("mysqld.port"), JsonValue.Create(3307)));
        Assert.Equal("[mysqld]\r\nuser = mysql\r\nskip-networking\r\nport = 3307\r\n", f.Set(MyCnf.Replace("\n", "\r\n"), KeyPath.Parse("mysqld.port"), JsonValue.Create(3307)));
        // Only bare flags in the section: the format's default separator.
        Assert.Equal("[mysqld]\nskip-networking\nport = 3307\n", f.Set("[mysqld]\nskip-networking", KeyPath.Parse("mysqld.port"), JsonValue.Create(3307)));
        Assert.Equal("3307", Get(f, f.Set(MyCnf, KeyPath.Parse("mysqld.port"), JsonValue.Create(3307)), "mysqld.port")!.GetValue<string>());
    }

    [Fact]
    public void Properties_new_key_after_a_bare_key_gets_a_separator()
    {
        var f = PropertiesFormat.Instance;
        Assert.Equal("a=1\nflag\nport=3307\n", f.Set("a=1\nflag\n", KeyPath.Parse("port"), JsonValue.Create(3307)));
        Assert.Equal("a=1\nflag\nport=3307\n", f.Set("a=1\nflag", KeyPath.Parse("port"), JsonValue.Create(3307)));
        Assert.Equal("flag\nport=3307\n", f.Set("flag", KeyPath.Parse("port"), JsonValue.Create(3307)));
    }

    [Fact]
    public void Env_and_sysctl_insert_after_a_last_line_without_newline()
    {
        Assert.Equal("A=1\nB=2\n", EnvFormat.Instance.Set("A=1", KeyPath.Parse("B"), JsonValue.Create(2)));
        Assert.Equal("A=1\r\nB=2\r\n", EnvFormat.Instance.Set("A=1\r\n", KeyPath.Parse("B"), JsonValue.Create(2)));
        Assert.Equal("vm.a = 1\nvm.b = 2\n", SysctlFormat.Instance.Set("vm.a = 1", KeyPath.Parse("vm.b"), JsonValue.Create(2)));
        Assert.Equal("vm.a=1\nvm.b=2\n", SysctlFormat.Instance.Set("vm.a=1", KeyPath.Parse("vm.b"), JsonValue.Create(2)));
    }

    [Fact]
    public void Ini_inline_comments_are_not_part_of_the_value_and_survive_a_set()
    {
        var f = IniFormat.Instance;
        const string text = "[client]\nport = 3306 ; default\nhost = db # the primary\nsocket = /run/m;ysql.sock\nname = \"a ; b\" ; quoted\nskip-ssl   # flag comment\n";
        Assert.Equal("3306", Get(f, text, "client.port")!.GetValue<string>());
        Assert.Equal("db", Get(f, text, "client.host")!.GetValue<string>());
        Assert.Equal("/run/m;ysql.sock", Get(f, text, "client.socket")!.GetValue<string>());
        Assert.Equal("a ; b", Get(f, text, "client.name")!.GetValue<string>());
        Assert.Equal("", Get(f, text, "client.skip-ssl")!.GetValue<string>());
        var after = f.Set(text, KeyPath.Parse("client.port"), JsonValue.Create(3307));
        Assert.Equal(text.Replace("port = 3306 ; default", "port = 3307 ; default"), after);
        after = f.Set(text, KeyPath.Parse("client.host"), JsonValue.Create("db2"));
        Assert.Equal(text.Replace("host = db # the primary", "host = db2 # the primary"), after);
        after = f.Set(text, KeyPath.Parse("client.name"), JsonValue.Create("c"));
        Assert.Equal(text.Replace("name = \"a ; b\" ; quoted", "name = \"c\" ; quoted"), after);
        // A new value holding a comment marker is quoted so it reads back whole.
        after = f.Set(text, KeyPath.Parse("client.host"), JsonValue.Create("x ;y"));
        Assert.Equal("x ;y", Get(f, after, "client.host")!.GetValue<string>());
    }

    static void FlowCase(string text, string key, JsonNode? value, string expected)
    {
        var f = YamlFormat.Instance;
        var after = f.Set(text, KeyPath.Parse(key), value);
        Assert.Equal(expected, after);
        Assert.True(JsonNode.DeepEquals(value, Get(f, after, key)), after);
    }

    [Fact]
    public void Yaml_edits_of_flow_collections_stay_flow_and_valid()
    {
        FlowCase("tags: [a, b]\nname: x\n", "tags", new JsonArray("a", "b", "x"), "tags: [a, b, x]\nname: x\n");
        FlowCase("tags: [a, b]\n", "tags", new JsonArray("a", "b", "x"), "tags: [a, b, x]\n");
        FlowCase("tags: [a, b]", "tags", new JsonArray("a", "b", "x"), "tags: [a, b, x]");
        FlowCase("opts: {a: 1, b: [x, y]}\n", "opts.b", new JsonArray("z"), "opts: {a: 1, b: [z]}\n");
        FlowCase("opts: {a: 1, b: [x, y]}\n", "opts.c", new JsonObject { ["d"] = 1 }, "opts: {a: 1, b: [x, y], c: {d: 1}}\n");
        FlowCase("opts: {a: 1, b: [x, y]}\n", "opts.b[2]", JsonValue.Create("z"), "opts: {a: 1, b: [x, y, z]}\n");
        FlowCase("opts: {a: {b: 1}}\n", "opts.a", new JsonObject { ["c"] = new JsonArray(1, 2) }, "opts: {a: {c: [1, 2]}}\n");
        FlowCase("list:\n  - [a, b]\n", "list[0]", new JsonArray("c"), "list:\n  - [c]\n");
        FlowCase("m: {a: 1}\n", "m", new JsonObject { ["a"] = 1, ["b"] = "x, y" }, "m: {a: 1, b: \"x, y\"}\n");
    }

    [Fact]
    public void Yaml_deletes_inside_flow_collections_stay_valid()
    {
        var f = YamlFormat.Instance;
        Assert.Equal("tags: [b]\n", f.Delete("tags: [a, b]\n", KeyPath.Parse("tags[0]")));
        Assert.Equal("tags: [a]\n", f.Delete("tags: [a, b]\n", KeyPath.Parse("tags[1]")));
        Assert.Equal("tags: []\n", f.Delete("tags: [a]\n", KeyPath.Parse("tags[0]")));
        Assert.Equal("m: {b: [1]}\n", f.Delete("m: {a: [x], b: [1]}\n", KeyPath.Parse("m.a")));
        Assert.Equal("m: {a: [x]}\n", f.Delete("m: {a: [x], b: [1]}\n", KeyPath.Parse("m.b")));
        var after = f.Delete("m: {a: [x, {y: 1}], b: 2}\n", KeyPath.Parse("m.a[1].y"))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"m\":{\"a\":[\"x\",{}],\"b\":2}}"), f.Read(after)), after);
    }

    [Fact]
    public void Yaml_with_several_documents_is_refused_not_half_edited()
    {
        const string text = "a: 1\n---\nb: 2\n";
        var f = YamlFormat.Instance;
        var ex = Assert.Throws<ReshException>(() => f.Read(text));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.Contains("2 documents", ex.Error.Message);
        Assert.Throws<ReshException>(() => f.Set(text, KeyPath.Parse("a"), JsonValue.Create(2)));
        // One document with an explicit start and end marker is fine.
        Assert.Equal("---\na: 2\n...\n", f.Set("---\na: 1\n...\n", KeyPath.Parse("a"), JsonValue.Create(2)));
    }

    [Fact]
    public void A_key_deeper_than_documents_may_nest_is_refused_as_usage_with_a_short_message()
    {
        foreach (var text in new[] { string.Join(".", Enumerable.Repeat("a", 30_000)), "/" + string.Join("/", Enumerable.Repeat("a", 30_000)) })
        {
            var ex = Assert.Throws<ReshException>(() => KeyPath.Parse(text));
            Assert.Equal(ErrorCode.Usage, ex.Error.Code);
            Assert.True(ex.Error.Message.Length < 300, ex.Error.Message);
        }
        Assert.Equal(200, KeyPath.Parse(string.Join(".", Enumerable.Repeat("a", 200))).Segments.Count);
    }

    [Fact]
    public void Deep_block_yaml_and_dotted_toml_are_refused()
    {
        // Block sequences nested on one line (- - - x) and block maps nested by indentation.
        var ex = Assert.Throws<ReshException>(() => YamlFormat.Instance.Read(string.Concat(Enumerable.Repeat("- ", 30_000)) + "x\n"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 1_000; i++) sb.Append(' ', i).Append("a:\n");
        ex = Assert.Throws<ReshException>(() => YamlFormat.Instance.Read(sb.ToString()));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        var toml = string.Join(".", Enumerable.Repeat("a", 30_000)) + " = 1\n";
        ex = Assert.Throws<ReshException>(() => TomlFormat.Instance.Read(toml));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        ex = Assert.Throws<ReshException>(() => TomlFormat.Instance.Read("[" + string.Join(".", Enumerable.Repeat("a", 30_000)) + "]\nb = 1\n"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }
}
