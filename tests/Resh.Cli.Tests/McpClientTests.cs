using System.Text.Json.Nodes;
using Resh.Cli.Tests.Mcp;
using Resh.TestSupport;
using Xunit;
using static Resh.Cli.Tests.Mcp.McpNodeClient;

namespace Resh.Cli.Tests;

/// <summary>
/// `resh mcp` against a client no one here wrote: the official MCP TypeScript SDK over stdio. Its callTool checks
/// every structuredContent against the tool's outputSchema (and fails the call otherwise); each result is also
/// validated explicitly with Ajv (JSON Schema 2020-12). Effects are checked on the real files.
/// </summary>
public sealed class McpClientTests
{
    static JsonObject Step(JsonObject run, int i) => (JsonObject)run["steps"]![i]!;

    /// <summary>The tool result of a call step, with its structuredContent checked against the outputSchema.</summary>
    static JsonObject Envelope(JsonObject step)
    {
        Assert.True(step["error"] is null, $"the call failed in the client: {step.ToJsonString()}");
        var result = (JsonObject)step["result"]!;
        Assert.True(step["ajvValid"]?.GetValue<bool>() == true, $"structuredContent does not match outputSchema: {step["ajvErrors"]?.ToJsonString()}");
        var env = (JsonObject)result["structuredContent"]!;
        // content[0].text is the same envelope as text.
        Assert.Equal(env.ToJsonString(), JsonNode.Parse(result["content"]![0]!["text"]!.GetValue<string>())!.ToJsonString());
        Assert.Equal(!env["ok"]!.GetValue<bool>(), result["isError"]?.GetValue<bool>() ?? false);
        return env;
    }

    static JsonObject Tool(JsonObject listStep, string name) =>
        (JsonObject)((JsonArray)listStep["tools"]!).Single(t => t!["name"]!.GetValue<string>() == name)!;

    static IEnumerable<string> Names(JsonObject listStep) => ((JsonArray)listStep["tools"]!).Select(t => t!["name"]!.GetValue<string>());

    [Fact]
    public void Initialize_and_tools_list_describe_every_verb_from_the_registry()
    {
        var run = McpNodeClient.Run(Config(null, null, Op("list")));
        Assert.Equal("resh", run["server"]!["name"]!.GetValue<string>());
        Assert.True(run["capabilities"]!["tools"]!["listChanged"]!.GetValue<bool>());
        Assert.NotNull(run["capabilities"]!["resources"]);
        Assert.NotNull(run["capabilities"]!["prompts"]);
        var list = Step(run, 0);
        Assert.True(list["pages"]!.GetValue<int>() >= 2, "more than 100 verbs: tools/list must page with nextCursor");

        // Every verb of every handle, as `resh schema` lists them, and nothing else.
        var schema = ReshBinary.Run("schema", "--format", "json");
        var verbs = ((JsonArray)schema.Envelope["result"]!["schemas"]!).Select(s => s!["name"]!.GetValue<string>()).ToList();
        // secret.exec and the template verbs hand secrets to a program the client writes: reveals, listed only with --allow-reveal.
        string[] reveals = ["secret_exec", "template_render", "template_validate", "template_test"];
        var expected = verbs.Select(v => v.Replace('.', '_').Replace('-', '_')).Where(n => !reveals.Contains(n)).Order().ToList();
        Assert.Equal(expected, Names(list).Order().ToList());

        var read = Tool(list, "file_read");
        Assert.True(read["annotations"]!["readOnlyHint"]!.GetValue<bool>());
        Assert.False(read["annotations"]!["openWorldHint"]!.GetValue<bool>());
        var input = read["inputSchema"]!;
        Assert.Equal("string", input["properties"]!["target"]!["type"]!.GetValue<string>());
        Assert.Contains("target", ((JsonArray)input["required"]!).Select(r => r!.GetValue<string>()));
        Assert.NotNull(input["properties"]!["host"]);
        Assert.NotNull(input["properties"]!["length"]);
        Assert.Null(input["properties"]!["dry_run"]); // a read has nothing to dry-run
        Assert.Equal("read", read["outputSchema"]!["properties"]!["verb"]!["const"]!.GetValue<string>());
        Assert.Equal("file", read["outputSchema"]!["properties"]!["handle"]!["const"]!.GetValue<string>());

        var restart = Tool(list, "svc_restart");
        Assert.False(restart["annotations"]!["readOnlyHint"]!.GetValue<bool>());
        Assert.False(restart["annotations"]!["destructiveHint"]!.GetValue<bool>());
        Assert.Equal("boolean", restart["inputSchema"]!["properties"]!["dry_run"]!["type"]!.GetValue<string>());

        var delete = Tool(list, "file_delete");
        Assert.True(delete["annotations"]!["destructiveHint"]!.GetValue<bool>());
        Assert.True(Tool(list, "http_get")["annotations"]!["openWorldHint"]!.GetValue<bool>());
        Assert.Contains("file_lines_ensure", Names(list));
    }

    [Fact]
    public void A_follow_ends_at_the_timeout_or_the_max_events_its_caller_gives()
    {
        // s41 D10: a follow (file.tail follow=true) has no end of its own, and an MCP caller could not bound it without
        // the server's --timeout. Streaming tools now take `timeout` and `max_events`.
        using var dir = new TempDir();
        var path = dir.File("app.log", "a\nb\nc\nd\ne\n");
        JsonObject Tail(JsonObject extra)
        {
            var args = new JsonObject { ["target"] = "file://" + path, ["follow"] = true, ["lines"] = 5 };
            foreach (var (k, v) in extra) args[k] = v?.DeepClone();
            return args;
        }
        var run = McpNodeClient.Run(Config(null, null, Op("list"),
            Call("file_tail", Tail(new JsonObject { ["timeout"] = "2s" })),
            Call("file_tail", Tail(new JsonObject { ["max_events"] = 3 }), progress: true),
            Call("file_tail", Tail(new JsonObject { ["timeout"] = "soon" })),
            Call("file_tail", Tail(new JsonObject { ["max_events"] = 0 }))));
        var props = (JsonObject)Tool(Step(run, 0), "file_tail")["inputSchema"]!["properties"]!;
        Assert.Equal("string", props["timeout"]!["type"]!.GetValue<string>());
        Assert.Equal("integer", props["max_events"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain("max_events", ((JsonObject)Tool(Step(run, 0), "file_read")["inputSchema"]!["properties"]!).Select(p => p.Key));
        var timed = Envelope(Step(run, 1));
        Assert.True(timed["ok"]!.GetValue<bool>(), timed.ToJsonString());
        Assert.Equal("timeout", timed["result"]!["ended"]!.GetValue<string>());
        Assert.Equal(5, timed["result"]!["count"]!.GetValue<long>());
        var bounded = Envelope(Step(run, 2));
        Assert.True(bounded["ok"]!.GetValue<bool>(), bounded.ToJsonString());
        // It ended (a follow has no end of its own, and this server no --timeout), as its timeout would; no more than
        // 3 events went out as progress (the client may stop listening at the result before the last notifications).
        Assert.Equal("timeout", bounded["result"]!["ended"]!.GetValue<string>());
        Assert.InRange(((JsonArray)Step(run, 2)["progress"]!).Count, 0, 3);
        Assert.Equal("usage", Envelope(Step(run, 3))["error"]!["code"]!.GetValue<string>());
        Assert.Equal("usage", Envelope(Step(run, 4))["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void File_read_returns_the_real_content_as_a_valid_envelope()
    {
        using var dir = new TempDir();
        var path = dir.File("hello.txt", "hello from resh\nline two\n");
        var run = McpNodeClient.Run(Config(null, null,
            Call("file_read", new JsonObject { ["target"] = "file://" + path }),
            Call("file_read", new JsonObject { ["target"] = path, ["length"] = 5 }),
            Call("file_read", new JsonObject { ["target"] = "file://" + dir["missing.txt"] }),
            Call("file_read", new JsonObject { ["target"] = "file://" + path, ["lenght"] = 5 })));
        var env = Envelope(Step(run, 0));
        Assert.True(env["ok"]!.GetValue<bool>());
        Assert.Equal("hello from resh\nline two\n", env["result"]!["content"]!.GetValue<string>());
        Assert.Equal("hello", Envelope(Step(run, 1))["result"]!["content"]!.GetValue<string>());
        var missing = Envelope(Step(run, 2));
        Assert.Equal("not_found", missing["error"]!["code"]!.GetValue<string>());
        Assert.True(Step(run, 2)["result"]!["isError"]!.GetValue<bool>());
        var typo = Envelope(Step(run, 3));
        Assert.Equal("usage", typo["error"]!["code"]!.GetValue<string>());
        Assert.Contains("length", typo["error"]!["hint"]!.GetValue<string>()); // did you mean
    }

    [Fact]
    public void A_write_changes_the_file_and_its_dry_run_does_not()
    {
        using var dir = new TempDir();
        var path = dir.File("conf.txt", "old\n");
        var run = McpNodeClient.Run(Config(null, null,
            Call("file_write", new JsonObject { ["target"] = "file://" + path, ["content"] = "dry\n", ["dry_run"] = true })));
        var dry = Envelope(Step(run, 0));
        Assert.True(dry["ok"]!.GetValue<bool>());
        Assert.True(dry["dry_run"]!.GetValue<bool>());
        Assert.True(dry["changed"]!.GetValue<bool>());
        Assert.Equal("old\n", File.ReadAllText(path));

        run = McpNodeClient.Run(Config(null, null,
            Call("file_write", new JsonObject { ["target"] = "file://" + path, ["content"] = "new (100%)\n" })));
        var real = Envelope(Step(run, 0));
        Assert.True(real["changed"]!.GetValue<bool>());
        Assert.Equal("new (100%)\n", File.ReadAllText(path));

        // A target with `(`, `)` and `%` reaches the verb as written (not as stage syntax or escapes).
        var odd = dir["a (b) 100%.txt"];
        run = McpNodeClient.Run(Config(null, null, Call("file_write", new JsonObject { ["target"] = "file://" + odd, ["content"] = "x" })));
        Assert.True(Envelope(Step(run, 0))["ok"]!.GetValue<bool>());
        Assert.Equal("x", File.ReadAllText(odd));
    }

    [Fact]
    public void Read_only_hides_and_refuses_every_change()
    {
        using var dir = new TempDir();
        var path = dir.File("keep.txt", "keep\n");
        var run = McpNodeClient.Run(Config(["--read-only"], null,
            Op("list"),
            Call("file_write", new JsonObject { ["target"] = "file://" + path, ["content"] = "gone\n" }),
            Call("file_read", new JsonObject { ["target"] = "file://" + path })));
        var names = Names(Step(run, 0)).ToList();
        Assert.Contains("file_read", names);
        Assert.DoesNotContain("file_write", names);
        Assert.DoesNotContain("svc_restart", names);
        Assert.All((JsonArray)Step(run, 0)["tools"]!, t => Assert.True(t!["annotations"]!["readOnlyHint"]!.GetValue<bool>()));
        var refused = (JsonObject)Step(run, 1)["result"]!;
        Assert.True(refused["isError"]!.GetValue<bool>());
        Assert.Equal("permission_denied", refused["structuredContent"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("keep\n", File.ReadAllText(path));
        Assert.True(Envelope(Step(run, 2))["ok"]!.GetValue<bool>());
    }

    [Fact]
    public void Deny_wins_over_allow_and_target_patterns_limit_where()
    {
        using var dir = new TempDir();
        var inside = dir.File("ok.txt", "ok\n");
        var secret = dir.File("secret.txt", "no\n");
        var run = McpNodeClient.Run(Config(["--allow", "file.*", "--deny", "file.write", "--deny", "file.read:file://" + secret], null,
            Op("list"),
            Call("file_read", new JsonObject { ["target"] = "file://" + inside }),
            Call("file_read", new JsonObject { ["target"] = "file://" + secret }),
            Call("file_write", new JsonObject { ["target"] = "file://" + inside, ["content"] = "changed\n" }),
            Call("system_uptime", new JsonObject())));
        var names = Names(Step(run, 0)).ToList();
        Assert.Contains("file_read", names); // a target-limited deny does not hide the tool
        Assert.DoesNotContain("file_write", names);
        Assert.DoesNotContain("system_uptime", names); // not allowed
        Assert.All(names, n => Assert.StartsWith("file_", n));
        Assert.Equal("ok\n", Envelope(Step(run, 1))["result"]!["content"]!.GetValue<string>());
        foreach (var i in new[] { 2, 3, 4 })
            Assert.Equal("permission_denied", Step(run, i)["result"]!["structuredContent"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("ok\n", File.ReadAllText(inside));
    }

    [Fact]
    public void Destructive_calls_are_refused_without_elicitation_and_confirmed_with_it()
    {
        using var dir = new TempDir();
        var a = dir.File("a.txt", "a");
        var run = McpNodeClient.Run(Config(null, null,
            Call("file_delete", new JsonObject { ["target"] = "file://" + a }),
            Call("file_delete", new JsonObject { ["target"] = "file://" + a, ["dry_run"] = true })));
        var refused = Envelope(Step(run, 0));
        Assert.Equal("permission_denied", refused["error"]!["code"]!.GetValue<string>());
        Assert.Contains("--allow-destructive", refused["error"]!["hint"]!.GetValue<string>());
        Assert.True(File.Exists(a));
        Assert.True(Envelope(Step(run, 1))["ok"]!.GetValue<bool>()); // a dry run needs no confirmation
        Assert.True(File.Exists(a));

        foreach (var answer in new[] { "decline", "cancel", "unchecked" })
        {
            run = McpNodeClient.Run(Config(null, answer, Call("file_delete", new JsonObject { ["target"] = "file://" + a })));
            Assert.Equal("permission_denied", Envelope(Step(run, 0))["error"]!["code"]!.GetValue<string>());
            Assert.Single((JsonArray)run["elicitations"]!);
            Assert.True(File.Exists(a), answer);
        }

        run = McpNodeClient.Run(Config(null, "accept", Call("file_delete", new JsonObject { ["target"] = "file://" + a })));
        var asked = (JsonObject)run["elicitations"]![0]!;
        Assert.Contains("file.delete", asked["message"]!.GetValue<string>());
        Assert.Equal("boolean", asked["requestedSchema"]!["properties"]!["confirm"]!["type"]!.GetValue<string>());
        Assert.True(Envelope(Step(run, 0))["changed"]!.GetValue<bool>());
        Assert.False(File.Exists(a));

        var b = dir.File("b.txt", "b");
        run = McpNodeClient.Run(Config(["--allow-destructive"], null, Call("file_delete", new JsonObject { ["target"] = "file://" + b })));
        Assert.True(Envelope(Step(run, 0))["ok"]!.GetValue<bool>());
        Assert.False(File.Exists(b));
    }

    [Fact]
    public async Task Progress_streams_a_follow_and_cancellation_stops_it_while_the_session_goes_on()
    {
        using var dir = new TempDir();
        var log = dir.File("app.log", "first\n");
        // Not disposed: on a slow machine the writer may still be appending when the client is done.
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++) { await Task.Delay(100); File.AppendAllText(log, $"line {i}\n"); }
        });
        var run = McpNodeClient.Run(Config(["--verbose"], null,
            Call("file_tail", new JsonObject { ["target"] = "file://" + log, ["follow"] = true }, progress: true, abortAfterMs: 1500),
            Op("ping"),
            Call("file_read", new JsonObject { ["target"] = "file://" + log, ["length"] = 5 })));
        var tail = Step(run, 0);
        Assert.NotNull(tail["error"]); // the client aborted it
        var progress = (JsonArray)tail["progress"]!;
        Assert.NotEmpty(progress);
        Assert.Contains(progress, p => p!["message"]!.GetValue<string>().Contains("line "));
        var values = progress.Select(p => p!["progress"]!.GetValue<double>()).ToList();
        Assert.Equal(values.Order().Distinct().ToList(), values); // strictly increasing
        Assert.True(Step(run, 1)["ok"]!.GetValue<bool>());
        Assert.Equal("first", Envelope(Step(run, 2))["result"]!["content"]!.GetValue<string>());
        // The server saw the cancellation and the verb stopped (it would otherwise follow the file forever).
        Assert.Contains("cancelled by the client", run["stderr"]!.GetValue<string>());
        Assert.Contains("file_tail interrupted", run["stderr"]!.GetValue<string>());
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void Unknown_tools_are_protocol_errors_and_bad_arguments_are_envelopes()
    {
        var run = McpNodeClient.Run(Config(null, null,
            Call("no_such_tool", new JsonObject()),
            Call("file_read", new JsonObject { ["target"] = 42 }),
            Call("file_read", new JsonObject { ["target"] = "svc://nginx" }),
            Call("file_read", new JsonObject())));
        Assert.Equal(-32602, Step(run, 0)["error"]!["code"]!.GetValue<int>());
        foreach (var i in new[] { 1, 2, 3 })
            Assert.Equal("usage", Envelope(Step(run, i))["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void Resources_are_the_handle_docs_and_prompts_name_real_tools()
    {
        var run = McpNodeClient.Run(Config(null, null,
            Op("resources"),
            new JsonObject { ["op"] = "read", ["uri"] = "resh://docs/file" },
            Op("prompts"),
            new JsonObject { ["op"] = "prompt", ["name"] = "diagnose-failed-unit", ["args"] = new JsonObject { ["unit"] = "nginx" } },
            new JsonObject { ["op"] = "read", ["uri"] = "resh://docs/nope" }));
        var uris = ((JsonArray)Step(run, 0)["resources"]!).Select(r => r!["uri"]!.GetValue<string>()).ToList();
        Assert.Contains("resh://docs/file", uris);
        Assert.Contains("resh://docs/svc", uris);
        var text = Step(run, 1)["contents"]![0]!["text"]!.GetValue<string>();
        Assert.Equal(File.ReadAllText(Path.Combine(ReshBinary.RepoRoot, "docs", "handles", "file.md")), text);
        var prompts = ((JsonArray)Step(run, 2)["prompts"]!).Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("diagnose-failed-unit", prompts);
        Assert.Contains("free-disk-space", prompts);
        var prompt = Step(run, 3)["messages"]![0]!["content"]!["text"]!.GetValue<string>();
        Assert.Contains("svc://nginx", prompt);
        Assert.Contains("`svc_status`", prompt);
        Assert.Contains("`svc_logs`", prompt);
        Assert.Equal(-32002, Step(run, 4)["error"]!["code"]!.GetValue<int>());
    }
}
