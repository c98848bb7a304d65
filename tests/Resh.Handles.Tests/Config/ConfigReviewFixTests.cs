using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Config;
using Resh.Handles.Config.Formats;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config;

/// <summary>
/// Regressions for the second config:// review: credentials the key rule missed (#10), validate as an oracle on masked
/// values (#17), temporary files a killed write left (#22), INI output Python rejects (D1), an index under a missing
/// parent made a map (D2), a non-UTF-8 file reported as `failed` (D10). End to end against the native binary.
/// </summary>
public sealed class ConfigReviewFixTests
{
    const string Toml = """
        pwd = "S1pass"
        dsn = "postgres://u:S4pass@h/db"
        url = "redis://:S5pass@h:6379"
        connection_string = "Server=h;Password=S6pass"
        bearer = "S10pass"
        sslkey = "S8pass"
        primary_key = "id"
        sort_key = "name"
        keyboard = "us"

        [db]
        x = 1
        """;

    static readonly string[] Secrets = ["S1pass", "S4pass", "S5pass", "S6pass", "S10pass", "S8pass"];

    static void NoSecret(ReshRun run)
    {
        foreach (var s in Secrets) Assert.False((run.Stdout + run.Stderr).Contains(s, StringComparison.Ordinal), $"{s} leaked:\n{run}");
    }

    [Fact]
    public void Get_diff_convert_and_set_mask_credentials_the_key_rule_missed_and_reveal_shows_them()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.toml", Toml);
        var get = ReshBinary.Run($"config://{file}", "get");
        Assert.True(get.Ok, get.ToString());
        NoSecret(get);
        var v = get.Result!["value"]!;
        Assert.Equal("***", v["pwd"]!.GetValue<string>());
        Assert.Equal("postgres://u:***@h/db", v["dsn"]!.GetValue<string>());
        Assert.Equal("redis://:***@h:6379", v["url"]!.GetValue<string>());
        Assert.Equal("Server=h;Password=***", v["connection_string"]!.GetValue<string>());
        Assert.Equal("***", v["bearer"]!.GetValue<string>());
        Assert.Equal("***", v["sslkey"]!.GetValue<string>());
        // Over-masking stays modest: these are not secrets.
        Assert.Equal("id", v["primary_key"]!.GetValue<string>());
        Assert.Equal("name", v["sort_key"]!.GetValue<string>());
        Assert.Equal("us", v["keyboard"]!.GetValue<string>());

        var one = ReshBinary.Run($"config://{file}", "get", "key=dsn", "--format", "raw");
        Assert.Equal(2, one.ExitCode); // raw of a masked value needs reveal=true
        NoSecret(one);
        var revealed = ReshBinary.Run($"config://{file}", "get", "reveal=true");
        Assert.Equal("postgres://u:S4pass@h/db", revealed.Result!["value"]!["dsn"]!.GetValue<string>());
        Assert.Equal("S1pass", revealed.Result!["value"]!["pwd"]!.GetValue<string>());

        var other = dir.File("other.toml", Toml.Replace("pass", "word"));
        var diff = ReshBinary.Run($"config://{file}", "diff", $"other={other}");
        Assert.True(diff.Ok, diff.ToString());
        NoSecret(diff);
        foreach (var w in new[] { "S1word", "S4word", "S5word", "S6word" }) Assert.DoesNotContain(w, diff.Stdout);
        Assert.Equal(6, diff.Result!["count"]!.GetValue<int>());

        foreach (var to in new[] { "json", "yaml", "toml", "env" })
        {
            var conv = ReshBinary.Run($"config://{file}", "convert", $"to={to}");
            if (to == "env") { Assert.True(conv.Ok || conv.ErrorCode == "usage", conv.ToString()); NoSecret(conv); continue; }
            Assert.True(conv.Ok, conv.ToString());
            NoSecret(conv);
            Assert.Contains("postgres://u:***@h/db", conv.Result!["content"]!.GetValue<string>());
        }

        // A set's result and diff: the other lines of the file that hold credentials are masked too.
        var set = ReshBinary.Run($"config://{file}", "set", "key=dsn", "value=postgres://u:N3wpass@h/db");
        Assert.True(set.Ok, set.ToString());
        NoSecret(set);
        Assert.DoesNotContain("N3wpass", set.Stdout);
        Assert.Equal("postgres://u:***@h/db", set.Result!["value"]!.GetValue<string>());
        Assert.Contains("+dsn = \"postgres://u:***@h/db\"", set.Result!["diff"]!.GetValue<string>());
        Assert.Contains("postgres://u:N3wpass@h/db", File.ReadAllText(file));
    }

    [Fact]
    public void Line_formats_mask_credentials_inside_values_in_get_and_diffs()
    {
        using var dir = new TempDir("config");
        var env = dir.File("app.env", "DATABASE_URL=postgres://app:E1pass@db/app\nCONN=Server=h;Pwd=E2pass\nLOG=debug\n");
        var get = ReshBinary.Run($"config://{env}", "get");
        Assert.True(get.Ok, get.ToString());
        Assert.DoesNotContain("E1pass", get.Stdout);
        Assert.DoesNotContain("E2pass", get.Stdout);
        Assert.Equal("Server=h;Pwd=***", get.Result!["value"]!["CONN"]!.GetValue<string>());
        var set = ReshBinary.Run($"config://{env}", "set", "key=LOG", "value=info");
        Assert.True(set.Ok, set.ToString());
        Assert.DoesNotContain("E1pass", set.Stdout);
        var ini = dir.File("app.ini", "[db]\nurl = mysql://root:I1pass@db/x\n");
        var del = ReshBinary.Run($"config://{ini}", "delete", "key=db.url");
        Assert.True(del.Ok, del.ToString());
        Assert.DoesNotContain("I1pass", del.Stdout);
        Assert.Contains("mysql://root:***@db/x", del.Stdout);
    }

    [Fact]
    public void The_mcp_server_masks_them_too()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.toml", Toml);
        var call = new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "config_get", ["arguments"] = new JsonObject { ["target"] = $"config://{file}" } },
        };
        var stdin = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""" + "\n"
            + """{"jsonrpc":"2.0","method":"notifications/initialized"}""" + "\n" + call.ToJsonString() + "\n";
        var run = ReshBinary.Run(["mcp", "--read-only"], stdin: stdin);
        Assert.Contains("postgres://u:***@h/db", run.Stdout);
        NoSecret(run);
    }

    [Fact]
    public void The_audit_trail_masks_a_credential_inside_a_value()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.toml", "dsn = \"x\"\n");
        var config = dir.File("resh.toml", "[audit]\nenabled = true\n");
        var env = new Dictionary<string, string> { ["RESH_HOME"] = dir["state"], ["RESH_CONFIG"] = config };
        var set = ReshBinary.Run([$"config://{file}", "set", "key=dsn", "value=postgres://u:A9pass@h/db"], env: env);
        Assert.True(set.Ok, set.ToString());
        var log = File.ReadAllText(Path.Combine(dir["state"], "audit", "audit.jsonl"));
        Assert.DoesNotContain("A9pass", log);
        Assert.Contains("postgres://u:***@h/db", log);
    }

    const string SecretYaml = "db:\n  host: db.local\n  password: hunter2secret\n  url: postgres://app:hunter2secret@db/app\nport: 80\n";

    [Fact]
    public void Validate_does_not_answer_content_questions_about_masked_values_without_reveal()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.yaml", SecretYaml);
        string Schema(string name, string passwordRule) => dir.File(name,
            "{\"type\":\"object\",\"properties\":{\"db\":{\"type\":\"object\",\"properties\":{\"password\":{\"type\":\"string\"," + passwordRule
            + "},\"url\":{\"type\":\"string\"," + passwordRule.Replace("hunter", "postgres://app:hunter") + "}}}}}");
        var rules = new[]
        {
            ("right-const.json", "\"const\":\"hunter2secret\""), ("wrong-const.json", "\"const\":\"guess\""),
            ("right-enum.json", "\"enum\":[\"hunter2secret\"]"), ("wrong-enum.json", "\"enum\":[\"guess\"]"),
            ("right-pattern.json", "\"pattern\":\"^hunter\""), ("wrong-pattern.json", "\"pattern\":\"^x\""),
            ("right-len.json", "\"minLength\":13,\"maxLength\":13"), ("wrong-len.json", "\"minLength\":14,\"maxLength\":14"),
        };
        var answers = new List<string>();
        foreach (var (name, rule) in rules)
        {
            var run = ReshBinary.Run($"config://{file}", "validate", $"schema={Schema(name, rule)}");
            Assert.True(run.Ok, run.ToString());
            Assert.True(run.Result!["valid"]!.GetValue<bool>(), run.ToString());
            Assert.Contains(run.Result!["unchecked"]!.AsArray(), u => u!["instance"]!.GetValue<string>() == "/db/password");
            Assert.Contains(run.Result!["unchecked"]!.AsArray(), u => u!["instance"]!.GetValue<string>() == "/db/url");
            Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("/db/password", StringComparison.Ordinal));
            answers.Add(run.Result!.ToJsonString().Replace(name, "S", StringComparison.Ordinal));
        }
        // A right guess and a wrong one get the same answer, byte for byte.
        for (int i = 0; i < answers.Count; i += 2) Assert.Equal(answers[i], answers[i + 1]);

        // Type constraints are still checked, and reveal=true checks everything.
        var typed = ReshBinary.Run($"config://{file}", "validate", $"schema={dir.File("type.json", """{"properties":{"db":{"properties":{"password":{"type":"integer"}}}}}""")}");
        Assert.False(typed.Result!["valid"]!.GetValue<bool>(), typed.ToString());
        var wrong = ReshBinary.Run($"config://{file}", "validate", $"schema={dir["wrong-const.json"]}", "reveal=true");
        Assert.False(wrong.Result!["valid"]!.GetValue<bool>(), wrong.ToString());
        Assert.Empty(wrong.Result!["unchecked"]!.AsArray());
        Assert.Contains(wrong.Result!["errors"]!.AsArray(), e => e!["instance"]!.GetValue<string>() == "/db/password");
        var right = ReshBinary.Run($"config://{file}", "validate", $"schema={dir["right-const.json"]}", "reveal=true");
        Assert.DoesNotContain(right.Result!["errors"]!.AsArray(), e => e!["instance"]!.GetValue<string>() == "/db/password");
        // Plain values are checked as before.
        var port = ReshBinary.Run($"config://{file}", "validate", $"schema={dir.File("port.json", """{"properties":{"port":{"const":81}}}""")}");
        Assert.False(port.Result!["valid"]!.GetValue<bool>(), port.ToString());
        Assert.Empty(port.Result!["unchecked"]!.AsArray());
    }

    [Fact]
    public void A_stale_temporary_file_of_a_dead_writer_is_removed_at_the_next_write_and_nothing_else()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.yaml", "port: 80\npassword: old\n");
        var deadPid = FindDeadPid();
        var stale = dir.File($".app.yaml.resh-{deadPid}-0123456789ab.tmp", "password: S3cretFromAKilledWrite\n");
        var live = dir.File($".app.yaml.resh-{Environment.ProcessId}-abcdef012345.tmp", "in progress\n");
        var otherFile = dir.File($".other.yaml.resh-{deadPid}-0123456789ab.tmp", "not ours\n");
        var victim = dir.File("victim.txt", "keep me\n");
        var link = dir["." + $"app.yaml.resh-{deadPid}-fedcba987654.tmp"];
        File.CreateSymbolicLink(link, victim);

        var dry = ReshBinary.Run($"config://{file}", "set", "key=port", "value:=81", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(File.Exists(stale)); // a dry run changes nothing

        var set = ReshBinary.Run($"config://{file}", "set", "key=port", "value:=81");
        Assert.True(set.Ok, set.ToString());
        Assert.False(File.Exists(stale), "the dead writer's temporary file is still there");
        Assert.Contains(set.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("interrupted", StringComparison.Ordinal));
        Assert.True(File.Exists(live), "a live writer's temporary file was removed");
        Assert.True(File.Exists(otherFile), "another file's temporary file was removed");
        Assert.NotNull(new FileInfo(link).LinkTarget); // the symlink is untouched...
        Assert.Equal("keep me\n", File.ReadAllText(victim)); // ...and so is what it points to
        Assert.Equal("port: 81\npassword: old\n", File.ReadAllText(file));
    }

    static int FindDeadPid()
    {
        // The highest PIDs are rarely in use (and above a small pid_max, never); /proc tells which is free.
        for (int pid = 4_000_000; pid > 3_000_000; pid -= 7919)
            if (!Directory.Exists($"/proc/{pid}")) return pid;
        throw new InvalidOperationException("no free PID found");
    }

    [Fact]
    public void Convert_to_ini_refuses_top_level_values_and_python_configparser_reads_what_it_writes()
    {
        using var dir = new TempDir("config");
        var loose = dir.File("loose.toml", "name = \"app\"\n[server]\nport = 80\n");
        var refused = ReshBinary.Run($"config://{loose}", "convert", "to=ini");
        Assert.Equal("usage", refused.ErrorCode);
        Assert.Contains("`name`", refused.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(refused.Envelope["error"]!["hint"]!.GetValue<string>());

        var good = dir.File("good.yaml", "server:\n  port: 80\n  host: db.local\n  tls:\n    enabled: true\n  hosts: [a, b]\nlog:\n  level: \"info; x\"\n");
        var output = dir["good.ini"];
        var conv = ReshBinary.Run($"config://{good}", "convert", "to=ini", $"output={output}");
        Assert.True(conv.Ok, conv.ToString());
        var py = Shell.Run($"/usr/bin/python3 -c {Shell.Q("import configparser,json,sys; c=configparser.ConfigParser(interpolation=None); c.read_file(open(sys.argv[1])); print(json.dumps({s: dict(c[s]) for s in c.sections()}))")} {Shell.Q(output)}");
        Assert.True(py.ExitCode == 0, py.ToString() + "\n" + File.ReadAllText(output));
        var data = JsonNode.Parse(py.Stdout)!;
        Assert.Equal("80", data["server"]!["port"]!.GetValue<string>());
        Assert.Equal("true", data["server"]!["tls.enabled"]!.GetValue<string>());
        Assert.Equal("b", data["server"]!["hosts.1"]!.GetValue<string>());
        Assert.StartsWith("info", data["log"]!["level"]!.GetValue<string>().Trim('"'));
    }

    [Theory]
    [InlineData("app.toml", "a = 1\n")]
    [InlineData("app.json", "{\"a\": 1}\n")]
    [InlineData("app.yaml", "a: 1\n")]
    public void An_index_under_a_missing_parent_makes_a_list_never_a_map_with_a_number_key(string name, string text)
    {
        using var dir = new TempDir("config");
        var file = dir.File(name, text);
        var past = ReshBinary.Run($"config://{file}", "set", "key=nosuch.x[3]", "value:=1");
        Assert.Equal("usage", past.ErrorCode);
        Assert.Contains("past the end", past.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(text, File.ReadAllText(file));

        var first = ReshBinary.Run($"config://{file}", "set", "key=nosuch.x[0]", "value:=1");
        Assert.True(first.Ok, first.ToString());
        var append = ReshBinary.Run($"config://{file}", "set", "key=nosuch.x[1]", "value:=2");
        Assert.True(append.Ok, append.ToString());
        var gap = ReshBinary.Run($"config://{file}", "set", "key=nosuch.x[5]", "value:=6");
        Assert.Equal("usage", gap.ErrorCode);
        var tables = ReshBinary.Run($"config://{file}", "set", "key=servers[0].name", "value=web");
        Assert.True(tables.Ok, tables.ToString());
        var get = ReshBinary.Run($"config://{file}", "get");
        Assert.True(get.Ok, get.ToString());
        Assert.Equal("[1,2]", get.Result!["value"]!["nosuch"]!["x"]!.ToJsonString());
        Assert.Equal("[{\"name\":\"web\"}]", get.Result!["value"]!["servers"]!.ToJsonString());
        var intoMap = ReshBinary.Run($"config://{file}", "set", "key=nosuch[0]", "value:=1");
        Assert.Equal("conflict", intoMap.ErrorCode);
    }

    [Theory]
    [InlineData("app.toml", new byte[] { (byte)'a', (byte)' ', (byte)'=', (byte)' ', (byte)'"', 0xE9, (byte)'"', (byte)'\n' })]
    [InlineData("app.env", new byte[] { (byte)'A', (byte)'=', 0xFF, 0xFE, (byte)'\n' })]
    [InlineData("app.json", new byte[] { (byte)'{', (byte)'}', 0 })]
    public void A_file_that_is_not_utf8_is_usage_saying_so(string name, byte[] bytes)
    {
        using var dir = new TempDir("config");
        var file = dir["x-" + name];
        File.WriteAllBytes(file, bytes);
        foreach (var verb in new[] { "get", "keys" })
        {
            var run = ReshBinary.Run($"config://{file}", verb);
            Assert.Equal("usage", run.ErrorCode);
            Assert.Equal(2, run.ExitCode);
            var message = run.Envelope["error"]!["message"]!.GetValue<string>();
            Assert.Contains("not UTF-8 text", message);
            Assert.DoesNotContain("edit", message);
        }
        var set = ReshBinary.Run($"config://{file}", "set", "key=b", "value=1");
        Assert.Equal("usage", set.ErrorCode);
        Assert.Equal(bytes, File.ReadAllBytes(file));
    }
}

/// <summary>The same rules in process, on each format's text: what the binary's tests above reach end to end.</summary>
public sealed class ConfigReviewFixUnitTests
{
    [Theory]
    [InlineData("json", "{\"a\": 1}\n")]
    [InlineData("yaml", "a: 1\n")]
    [InlineData("yaml", "a: {b: 1}\n")]
    [InlineData("toml", "a = 1\n")]
    public void Index_segments_create_lists_under_missing_parents(string format, string text)
    {
        var f = ConfigFiles.ByName(format)!;
        var after = f.Set(text, KeyPath.Parse("n.x[0]"), JsonValue.Create(1));
        Assert.Equal("[1]", ConfigFormat.Lookup(f.Read(after), KeyPath.Parse("n.x"), out _)!.ToJsonString());
        after = f.Set(after, KeyPath.Parse("n.x[1]"), JsonValue.Create(2));
        Assert.Equal("[1,2]", ConfigFormat.Lookup(f.Read(after), KeyPath.Parse("n.x"), out _)!.ToJsonString());
        var ex = Assert.Throws<ReshException>(() => f.Set(text, KeyPath.Parse("n.x[3]"), JsonValue.Create(1)));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        ex = Assert.Throws<ReshException>(() => f.Set(after, KeyPath.Parse("n.x[3]"), JsonValue.Create(1)));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        // A JSON Pointer segment is a key, as RFC 6901 reads it.
        var pointer = f.Set(text, KeyPath.Parse("/p/3"), JsonValue.Create(1));
        Assert.Equal("{\"3\":1}", ConfigFormat.Lookup(f.Read(pointer), KeyPath.Parse("p"), out _)!.ToJsonString());
        if (text.Contains('{') && format == "yaml")
        {
            var flow = f.Set(text, KeyPath.Parse("a.c[0]"), JsonValue.Create(5));
            Assert.Equal("[5]", ConfigFormat.Lookup(f.Read(flow), KeyPath.Parse("a.c"), out _)!.ToJsonString());
        }
    }

    [Fact]
    public void Guessing_a_masked_password_through_validate_recovers_nothing()
    {
        // The attack of finding #17: grow a prefix one character at a time, asking `pattern: ^PREFIX` (750 calls sufficed).
        var data = JsonNode.Parse("""{"db":{"password":"k9Zq-2x"}}""");
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
        var known = "";
        var calls = 0;
        for (int pos = 0; pos < 12; pos++)
        {
            var grew = false;
            foreach (var c in alphabet)
            {
                calls++;
                var guess = known + c;
                var schema = JsonNode.Parse("{\"properties\":{\"db\":{\"properties\":{\"password\":{\"pattern\":" + JsonValue.Create("^" + System.Text.RegularExpressions.Regex.Escape(guess)).ToJsonString() + "}}}}}");
                var report = SchemaCheck.Validate(schema, data, reveal: false);
                if (report.Errors.Count == 0) { known = guess; grew = true; break; }
            }
            if (!grew) break;
        }
        Assert.NotEqual("k9Zq-2x", known);
        Assert.False("k9Zq-2x".StartsWith(known, StringComparison.Ordinal) && known.Length > 1, $"recovered {known} in {calls} calls");
        // With reveal the same loop finds it (the test can fail).
        var revealed = SchemaCheck.Validate(JsonNode.Parse("""{"properties":{"db":{"properties":{"password":{"pattern":"^x"}}}}}"""), data, reveal: true);
        Assert.NotEmpty(revealed.Errors);
    }

    [Theory]
    [InlineData("""{"properties":{"db":{"properties":{"password":{"const":"k9Zq-2x"}}}}}""")]
    [InlineData("""{"properties":{"db":{"properties":{"password":{"enum":["k9Zq-2x"]}}}}}""")]
    [InlineData("""{"properties":{"db":{"properties":{"password":{"maxLength":7}}}}}""")]
    [InlineData("""{"properties":{"db":{"const":{"password":"k9Zq-2x"}}}}""")]
    [InlineData("""{"properties":{"db":{"properties":{"password":{"not":{"const":"k9Zq-2x"}}}}}}""")]
    [InlineData("""{"properties":{"db":{"properties":{"password":{"if":{"const":"k9Zq-2x"},"then":false}}}}}""")]
    [InlineData("""{"properties":{"db":{"properties":{"password":{"anyOf":[{"const":"k9Zq-2x"},{"type":"integer"}]}}}}}""")]
    [InlineData("""{"properties":{"pin":{"properties":{"password":{"minimum":1000}}}}}""")]
    [InlineData("""{"properties":{"tokens":{"uniqueItems":true}}}""")]
    public void Right_and_wrong_guesses_get_the_same_answer(string schemaText)
    {
        var right = JsonNode.Parse("""{"db":{"password":"k9Zq-2x"},"pin":{"password":1234},"tokens":["a","a"]}""");
        var wrong = JsonNode.Parse("""{"db":{"password":"other000"},"pin":{"password":99},"tokens":["a","b"]}""");
        var schema = JsonNode.Parse(schemaText);
        var a = SchemaCheck.Validate(schema, right, reveal: false);
        var b = SchemaCheck.Validate(schema, wrong, reveal: false);
        Assert.Equal(a.Errors.Count, b.Errors.Count);
        Assert.Equal(a.Errors.Select(e => e.Schema), b.Errors.Select(e => e.Schema));
        var c = SchemaCheck.Validate(schema, right, reveal: true);
        var d = SchemaCheck.Validate(schema, wrong, reveal: true);
        Assert.NotEqual(c.Errors.Count == 0, d.Errors.Count == 0); // the schemas do tell them apart when revealed
    }
}
