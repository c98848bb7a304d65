using System.Text.Json.Nodes;
using Resh.Handles.Config;
using Resh.Handles.Config.Formats;
using Xunit;

namespace Resh.Handles.Tests.Config;

/// <summary>In-process: every edit changes exactly the intended lines of a real-looking file.</summary>
public sealed class ConfigEditTests
{
    /// <summary>Lines removed and added between two texts (a line LCS).</summary>
    internal static (List<string> Removed, List<string> Added) LineDiff(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        var l = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                l[i, j] = a[i] == b[j] ? l[i + 1, j + 1] + 1 : Math.Max(l[i + 1, j], l[i, j + 1]);
        var removed = new List<string>();
        var added = new List<string>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y]) { x++; y++; }
            else if (l[x + 1, y] >= l[x, y + 1]) removed.Add(a[x++]);
            else added.Add(b[y++]);
        }
        while (x < a.Length) removed.Add(a[x++]);
        while (y < b.Length) added.Add(b[y++]);
        return (removed, added);
    }

    static string Set(ConfigFormat f, string text, string key, JsonNode? value, string[] removed, string[] added)
    {
        var after = f.Set(text, KeyPath.Parse(key), value);
        var (r, a) = LineDiff(text, after);
        Assert.Equal(removed, r);
        Assert.Equal(added, a);
        var data = f.Read(after); // still parses
        Assert.True(JsonNode.DeepEquals(f.Normalize(value), ConfigFormat.Lookup(data, f is LineFormat lf ? lf.Canonical(after, KeyPath.Parse(key)) : KeyPath.Parse(key), out var found)), after);
        Assert.True(found);
        return after;
    }

    static string Delete(ConfigFormat f, string text, string key, string[] removed, string[] added)
    {
        var after = f.Delete(text, KeyPath.Parse(key))!;
        Assert.NotNull(after);
        var (r, a) = LineDiff(text, after);
        Assert.Equal(removed, r);
        Assert.Equal(added, a);
        f.Read(after);
        return after;
    }

    [Fact]
    public void Yaml_set_of_a_scalar_changes_one_line_and_keeps_its_quoting_and_comment()
    {
        var f = YamlFormat.Instance;
        Set(f, ConfigCorpus.Compose, "services.web.image", JsonValue.Create("nginx:1.27"), ["    image: 'nginx:1.25'"], ["    image: 'nginx:1.27'"]);
        Set(f, ConfigCorpus.Compose, "x-defaults.restart", JsonValue.Create("always"), ["  restart: unless-stopped   # keep running"], ["  restart: always   # keep running"]);
        Set(f, ConfigCorpus.Compose, "services.web.ports[1]", JsonValue.Create("8443:443"), ["      - \"443:443\""], ["      - \"8443:443\""]);
        Set(f, ConfigCorpus.Compose, "services.db.volumes[0]", JsonValue.Create("data"), ["    volumes: [pgdata, backups]"], ["    volumes: [data, backups]"]);
        Set(f, ConfigCorpus.Compose, "version", JsonValue.Create(3), ["version: \"3.9\""], ["version: 3"]);
    }

    [Fact]
    public void Yaml_new_keys_follow_their_siblings_and_missing_parents_are_created()
    {
        var f = YamlFormat.Instance;
        Set(f, ConfigCorpus.Compose, "services.web.environment.WORKERS", JsonValue.Create(4), [], ["      WORKERS: 4"]);
        Set(f, ConfigCorpus.Compose, "services.db.healthcheck.interval", JsonValue.Create("10s"), [], ["    healthcheck:", "      interval: \"10s\""]);
        Set(f, ConfigCorpus.Compose, "services.web.ports[2]", JsonValue.Create("8080:8080"), [], ["      - \"8080:8080\""]);
        Set(f, ConfigCorpus.Compose, "services.db.volumes[2]", JsonValue.Create("logs"), ["    volumes: [pgdata, backups]"], ["    volumes: [pgdata, backups, logs]"]);
        Set(f, ConfigCorpus.Compose, "services.web.environment.MODE", JsonValue.Create("yes"), [], ["      MODE: \"yes\""]);
    }

    [Fact]
    public void Yaml_delete_removes_only_the_key_lines()
    {
        var f = YamlFormat.Instance;
        Delete(f, ConfigCorpus.Compose, "services.web.environment", ["    environment:", "      LOG_LEVEL: info"], []);
        Delete(f, ConfigCorpus.Compose, "services.web.ports[0]", ["      - \"80:80\""], []);
    }

    [Fact]
    public void Yaml_reads_anchors_and_merge_keys()
    {
        var data = YamlFormat.Instance.Read(ConfigCorpus.Compose)!;
        Assert.Equal("unless-stopped", data["services"]!["web"]!["restart"]!.GetValue<string>());
        Assert.Equal("json-file", data["services"]!["web"]!["logging"]!["driver"]!.GetValue<string>());
        Assert.Equal("3.9", data["version"]!.GetValue<string>());
    }

    [Fact]
    public void Toml_set_replaces_one_value_and_keeps_comments_and_literal_quotes()
    {
        var f = TomlFormat.Instance;
        Set(f, ConfigCorpus.Pyproject, "project.name", JsonValue.Create("store"), ["name = \"shop\"          # the package name"], ["name = \"store\"          # the package name"]);
        Set(f, ConfigCorpus.Pyproject, "project.version", JsonValue.Create("1.3.0"), ["version = '1.2.3'"], ["version = '1.3.0'"]);
        Set(f, ConfigCorpus.Pyproject, "tool.ruff.line-length", JsonValue.Create(100), ["line-length = 88"], ["line-length = 100"]);
        Set(f, ConfigCorpus.Pyproject, "tool.ruff.lint.select", new JsonArray("E", "F", "I"), ["lint.select = [\"E\", \"F\"]"], ["lint.select = [\"E\", \"F\", \"I\"]"]);
        Set(f, ConfigCorpus.Pyproject, "tool.mypy.overrides[1].module", JsonValue.Create("c.*"), ["module = \"b.*\""], ["module = \"c.*\""]);
    }

    [Fact]
    public void Toml_new_keys_go_into_their_table_and_new_tables_at_the_end()
    {
        var f = TomlFormat.Instance;
        Set(f, ConfigCorpus.Pyproject, "project.license", JsonValue.Create("MIT"), [], ["license = \"MIT\""]);
        var after = Set(f, ConfigCorpus.Pyproject, "tool.black.line-length", JsonValue.Create(100), [], ["[tool.black]", "line-length = 100", ""]);
        Assert.EndsWith("[tool.black]\nline-length = 100\n", after);
        Set(f, ConfigCorpus.Pyproject, "tool.ruff.lint.fixable", new JsonArray("ALL"), [], ["lint.fixable = [\"ALL\"]"]);
    }

    [Fact]
    public void Toml_delete_removes_a_key_line_or_a_whole_table()
    {
        var f = TomlFormat.Instance;
        Delete(f, ConfigCorpus.Pyproject, "project.dependencies", ["dependencies = [\"requests>=2\", \"flask\"]"], []);
        var after = f.Delete(ConfigCorpus.Pyproject, KeyPath.Parse("tool.ruff"))!;
        Assert.DoesNotContain("ruff", after);
        Assert.Contains("[[tool.mypy.overrides]]", after);
        Assert.Null(ConfigFormat.Lookup(f.Read(after), KeyPath.Parse("tool.ruff"), out var found));
        Assert.False(found);
    }

    [Fact]
    public void Ini_set_and_delete_touch_one_line_in_the_right_section()
    {
        var f = IniFormat.Instance;
        Set(f, ConfigCorpus.Nginxish, "www.user", JsonValue.Create("nginx"), ["user = www-data"], ["user = nginx"]);
        Set(f, ConfigCorpus.Nginxish, "www.pm.max_children", JsonValue.Create(10), ["pm.max_children = 5"], ["pm.max_children = 10"]);
        Set(f, ConfigCorpus.Nginxish, "global.daemonize", JsonValue.Create("no"), [], ["daemonize = no"]);
        Set(f, ConfigCorpus.Nginxish, "/www/pm", JsonValue.Create("dynamic"), [], ["pm = dynamic"]);
        var after = Set(f, ConfigCorpus.Nginxish, "api.listen", JsonValue.Create("9000"), [], ["[api]", "listen = 9000", ""]);
        Assert.EndsWith("[api]\nlisten = 9000\n", after);
        Delete(f, ConfigCorpus.Nginxish, "global.error_log", ["error_log = /var/log/php-fpm.log"], []);
    }

    [Fact]
    public void Env_keeps_quotes_and_export_and_inline_comments()
    {
        var f = EnvFormat.Instance;
        Set(f, ConfigCorpus.Env, "DATABASE_URL", JsonValue.Create("postgres://app@db2/app"), ["DATABASE_URL=\"postgres://app@db/app\""], ["DATABASE_URL=\"postgres://app@db2/app\""]);
        Set(f, ConfigCorpus.Env, "SECRET_PATH", JsonValue.Create("/run/s"), ["export SECRET_PATH='/run/secrets/app'"], ["export SECRET_PATH='/run/s'"]);
        Set(f, ConfigCorpus.Env, "WORKERS", JsonValue.Create(8), ["WORKERS=4 # per core"], ["WORKERS=8 # per core"]);
        Set(f, ConfigCorpus.Env, "GREETING", JsonValue.Create("hello world"), [], ["GREETING=\"hello world\""]);
        Delete(f, ConfigCorpus.Env, "APP_ENV", ["APP_ENV=production"], []);
    }

    [Fact]
    public void Sysctl_keys_are_whole_dotted_names()
    {
        var f = SysctlFormat.Instance;
        Set(f, ConfigCorpus.Sysctl, "net.ipv4.ip_forward", JsonValue.Create(0), ["net.ipv4.ip_forward = 1"], ["net.ipv4.ip_forward = 0"]);
        Set(f, ConfigCorpus.Sysctl, "vm.swappiness", JsonValue.Create(1), ["vm.swappiness=10"], ["vm.swappiness=1"]);
        Set(f, ConfigCorpus.Sysctl, "net.core.somaxconn", JsonValue.Create(4096), ["-net.core.somaxconn = 1024"], ["-net.core.somaxconn = 4096"]);
        Set(f, ConfigCorpus.Sysctl, "fs.file-max", JsonValue.Create(100000), [], ["fs.file-max = 100000"]);
        Delete(f, ConfigCorpus.Sysctl, "vm.swappiness", ["vm.swappiness=10"], []);
    }

    [Fact]
    public void Properties_handle_separators_and_continuations()
    {
        var f = PropertiesFormat.Instance;
        Assert.Equal("HelloWorld", f.Read(ConfigCorpus.Properties)!["app.greeting"]!.GetValue<string>());
        Assert.Equal("INFO", f.Read(ConfigCorpus.Properties)!["logging.level.root"]!.GetValue<string>());
        Set(f, ConfigCorpus.Properties, "server.port", JsonValue.Create(9090), ["server.port=8080"], ["server.port=9090"]);
        Set(f, ConfigCorpus.Properties, "spring.datasource.url", JsonValue.Create("jdbc:postgresql://db2/app"), ["spring.datasource.url = jdbc:postgresql://db:5432/app"], ["spring.datasource.url = jdbc:postgresql://db2/app"]);
        Delete(f, ConfigCorpus.Properties, "app.greeting", ["app.greeting: Hello\\", "    World"], []);
    }

    [Fact]
    public void Json_set_keeps_comments_and_indentation_and_pointer_addresses_dotted_keys()
    {
        var f = JsonFormat.Instance;
        Set(f, ConfigCorpus.Json, "/editor.fontSize", JsonValue.Create(16), ["    \"editor.fontSize\": 14,"], ["    \"editor.fontSize\": 16,"]);
        Set(f, ConfigCorpus.Json, "server.tls.enabled", JsonValue.Create(true), ["        \"tls\": {\"enabled\": false}"], ["        \"tls\": {\"enabled\": true}"]);
        Set(f, ConfigCorpus.Json, "server.host", JsonValue.Create("0.0.0.0"), ["        \"tls\": {\"enabled\": false}"], ["        \"tls\": {\"enabled\": false},", "        \"host\": \"0.0.0.0\""]);
        Delete(f, ConfigCorpus.Json, "server.port", ["        \"port\": 80,"], []);
    }

    [Fact]
    public void Convert_round_trips_data_between_formats()
    {
        var data = YamlFormat.Instance.Read(ConfigCorpus.Compose);
        foreach (var f in new ConfigFormat[] { JsonFormat.Instance, YamlFormat.Instance, TomlFormat.Instance })
            Assert.True(JsonNode.DeepEquals(data, f.Read(f.Render(data))), f.Name);
        var ini = IniFormat.Instance.Read(ConfigCorpus.Nginxish);
        Assert.True(JsonNode.DeepEquals(ini, IniFormat.Instance.Read(IniFormat.Instance.Render(ini))));
    }

    [Fact]
    public void Billion_laughs_yaml_is_refused_not_expanded()
    {
        var sb = new System.Text.StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) sb.Append($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]\n");
        var ex = Assert.Throws<Resh.Core.Errors.ReshException>(() => YamlFormat.Instance.Read(sb.ToString()));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void Deep_nesting_is_refused_in_every_tree_format()
    {
        var yaml = new string('[', 5000) + new string(']', 5000);
        Assert.Throws<Resh.Core.Errors.ReshException>(() => YamlFormat.Instance.Read(yaml));
        Assert.Throws<Resh.Core.Errors.ReshException>(() => JsonFormat.Instance.Read(yaml));
    }

    [Fact]
    public void Yaml_empty_values_become_tables_and_keys_with_dots_are_reached_by_pointer()
    {
        var f = YamlFormat.Instance;
        var text = "a:\nb: 1\n\"x.y\": 2\n";
        Set(f, text, "a.c", JsonValue.Create(1), [], ["  c: 1"]);
        Set(f, text, "/x.y", JsonValue.Create(3), ["\"x.y\": 2"], ["\"x.y\": 3"]);
        Set(f, text, "a", JsonValue.Create("v"), ["a:"], ["a: v"]);
    }

    [Fact]
    public void Crlf_files_get_crlf_lines()
    {
        var after = YamlFormat.Instance.Set("a: 1\r\nb:\r\n  c: 2\r\n", KeyPath.Parse("b.d"), JsonValue.Create(3));
        Assert.Equal("a: 1\r\nb:\r\n  c: 2\r\n  d: 3\r\n", after);
        var ini = IniFormat.Instance.Set("[s]\r\nk = v\r\n", KeyPath.Parse("s.n"), JsonValue.Create("w"));
        Assert.Equal("[s]\r\nk = v\r\nn = w\r\n", ini);
    }

    [Fact]
    public void Every_format_starts_a_new_file_from_one_set()
    {
        var cases = new (ConfigFormat F, string Key, string Expected)[]
        {
            (YamlFormat.Instance, "server.port", "server:\n  port: 8080\n"),
            (TomlFormat.Instance, "server.port", "[server]\nport = 8080\n"),
            (IniFormat.Instance, "server.port", "[server]\nport = 8080\n"),
            (EnvFormat.Instance, "PORT", "PORT=8080\n"),
            (SysctlFormat.Instance, "net.core.somaxconn", "net.core.somaxconn = 8080\n"),
            (PropertiesFormat.Instance, "server.port", "server.port=8080\n"),
        };
        foreach (var (f, key, expected) in cases)
        {
            var text = f.Set("", KeyPath.Parse(key), JsonValue.Create(8080));
            Assert.Equal(expected, text);
        }
        var json = JsonFormat.Instance.Set("", KeyPath.Parse("server.port"), JsonValue.Create(8080));
        Assert.Equal(8080, JsonFormat.Instance.Read(json)!["server"]!["port"]!.GetValue<long>());
    }

    [Fact]
    public void A_key_below_a_scalar_is_a_conflict_and_a_bad_index_is_usage()
    {
        var ex = Assert.Throws<Resh.Core.Errors.ReshException>(() => YamlFormat.Instance.Set("a: 1\n", KeyPath.Parse("a.b"), JsonValue.Create(1)));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Conflict, ex.Error.Code);
        var bad = Assert.Throws<Resh.Core.Errors.ReshException>(() => JsonFormat.Instance.Set("{\"l\": [1]}", KeyPath.Parse("l[5]"), JsonValue.Create(1)));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Usage, bad.Error.Code);
        Assert.Throws<Resh.Core.Errors.ReshException>(() => KeyPath.Parse("a..b"));
        Assert.Equal(["a.b", "c"], KeyPath.Parse("a\\.b.c").Segments);
        Assert.Equal(["s", "0", "n"], KeyPath.Parse("s[0].n").Segments);
        Assert.Equal(["a/b", "~"], KeyPath.Parse("/a~1b/~0").Segments);
    }

    [Fact]
    public void Detection_uses_name_then_content()
    {
        Assert.Equal("sysctl", ConfigFiles.Detect("/x/sysctl.conf", ConfigCorpus.Sysctl, null, true).Name);
        Assert.Equal("env", ConfigFiles.Detect("/x/app.conf", ConfigCorpus.Env, null, true).Name);
        Assert.Equal("ini", ConfigFiles.Detect("/x/pool.conf", ConfigCorpus.Nginxish, null, true).Name);
        Assert.Equal("toml", ConfigFiles.Detect("/x/config", ConfigCorpus.Pyproject, null, true).Name);
        Assert.Equal("yaml", ConfigFiles.Detect("/x/config", ConfigCorpus.Compose, null, true).Name);
        Assert.Equal("json", ConfigFiles.Detect("/x/config", "{\"a\": 1}", null, true).Name);
        Assert.Equal("yaml", ConfigFiles.Detect("/x/config.json", "{}", "yaml", true).Name);
    }
}

public sealed class ConfigDeclarationTests
{
    [Fact]
    public void The_handle_and_every_verb_declaration_build()
    {
        var handle = ConfigHandle.Create();
        Assert.Equal(10, handle.Verbs.Count); // eight for files, list and watch for key-value stores
        foreach (var v in handle.Verbs) Assert.NotEmpty(v.Args);
    }
}

public sealed class ConfigMalformedTests
{
    [Theory]
    [InlineData("a: [1, 2\nb: 3\n")]
    [InlineData("a: b: c\n")]
    [InlineData("- a\nb: 1\n")]
    [InlineData("a: *nothing\n")]
    [InlineData("? [a]\n: 1\n")]
    public void Malformed_yaml_is_usage_never_an_internal_error(string text)
    {
        var ex = Assert.Throws<Resh.Core.Errors.ReshException>(() => YamlFormat.Instance.Set(text, KeyPath.Parse("b"), JsonValue.Create(4)));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Usage, ex.Error.Code);
    }

    [Theory]
    [InlineData("a = \n")]
    [InlineData("[a\nb = 1\n")]
    [InlineData("a = 1\na = 2\n")]
    public void Malformed_toml_is_usage(string text)
    {
        var ex = Assert.Throws<Resh.Core.Errors.ReshException>(() => TomlFormat.Instance.Read(text));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Usage, ex.Error.Code);
    }

    [Theory]
    [InlineData("{\"a\": }")]
    [InlineData("{\"a\": 1")]
    [InlineData("{a: 1}")]
    [InlineData("[1, 2] x")]
    public void Malformed_json_is_usage(string text)
    {
        var ex = Assert.Throws<Resh.Core.Errors.ReshException>(() => JsonFormat.Instance.Read(text));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Usage, ex.Error.Code);
    }
}

public sealed class ConfigSchemaTests
{
    static List<ConfigSchemaError> Check(string schema, string data) =>
        SchemaCheck.Validate(JsonNode.Parse(schema), JsonNode.Parse(data), reveal: true).Errors;

    [Fact]
    public void Schema_keywords_report_each_failing_value_by_pointer()
    {
        const string schema = """
        {"type":"object","required":["server"],"additionalProperties":false,
         "properties":{"server":{"$ref":"#/$defs/server"},"tags":{"type":"array","items":{"enum":["a","b"]},"uniqueItems":true}},
         "$defs":{"server":{"type":"object","properties":{"port":{"type":"integer","minimum":1,"maximum":65535},"host":{"type":"string","pattern":"^[a-z.]+$"}},"required":["port"]}}}
        """;
        Assert.Empty(Check(schema, """{"server":{"port":8080,"host":"db.local"},"tags":["a","b"]}"""));
        var errors = Check(schema, """{"server":{"port":70000,"host":"DB"},"tags":["a","a","c"],"extra":1}""");
        Assert.Contains(errors, e => e.Instance == "/server/port" && e.Schema.EndsWith("/maximum"));
        Assert.Contains(errors, e => e.Instance == "/server/host" && e.Schema.EndsWith("/pattern"));
        Assert.Contains(errors, e => e.Instance == "/tags/2" && e.Schema.EndsWith("/enum"));
        Assert.Contains(errors, e => e.Instance == "/tags/1" && e.Schema.EndsWith("/uniqueItems"));
        Assert.Contains(errors, e => e.Instance == "/extra" && e.Schema.EndsWith("/additionalProperties"));
        Assert.Contains(Check(schema, """{"server":{}}"""), e => e.Instance == "/server" && e.Schema.EndsWith("/required"));
        Assert.Single(Check("""{"oneOf":[{"type":"integer"},{"type":"number"}]}""", "1"));
        Assert.Empty(Check("""{"anyOf":[{"type":"string"},{"type":"null"}]}""", "null"));
        Assert.Single(Check("""{"not":{"const":0}}""", "0"));
    }

    [Fact]
    public void A_recursive_ref_is_bounded()
    {
        var ex = Assert.Throws<Resh.Core.Errors.ReshException>(() => Check("""{"$ref":"#"}""", "1"));
        Assert.Equal(Resh.Core.Errors.ErrorCode.Usage, ex.Error.Code);
    }
}
