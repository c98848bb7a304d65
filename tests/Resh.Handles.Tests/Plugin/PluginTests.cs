using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Issue 17, plugin://: sample plugins in bash and Python installed into a private store and called like built-in
/// handles (typed arguments, help, schema, completion, docs, batch, MCP), and the manager verbs.
/// </summary>
public sealed class PluginTests : IDisposable
{
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    [Fact]
    public void The_issues_calls_work_exactly_as_written_and_new_plus_test_round_trip_for_bash()
    {
        var cwd = _kit["work"];
        Directory.CreateDirectory(cwd);
        var made = _kit.Resh(["plugin://.new", "name=hello", "language=bash"], null, cwd);
        Assert.True(made.ExitCode == 0, made.ToString());
        Assert.True(File.Exists(Path.Combine(cwd, "hello", "plugin.json")));
        var list = _kit.Resh(["plugin://.list"], null, cwd);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Empty(list.Result!["plugins"]!.AsArray());

        var test = _kit.Resh("plugin://.test", $"path={Path.Combine(cwd, "hello")}");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Equal(1, test.Result!["passed"]!.GetValue<int>());

        Assert.True(_kit.Install(Path.Combine(cwd, "hello")).Ok);
        var greet = _kit.Resh("hello://world.greet", "greeting=Hey", "times=2");
        Assert.True(greet.ExitCode == 0, greet.ToString());
        Assert.Equal("Hey, world! Hey, world!", Json.S(greet.Result!["message"]));
        var listed = _kit.Resh("plugin://.list").Result!["plugins"]!.AsArray().Single()!;
        Assert.Equal("hello", Json.S(listed["name"]));
        Assert.Equal("0.1.0", Json.S(listed["version"]));
        Assert.True(listed["enabled"]!.GetValue<bool>());
        Assert.Equal(1, listed["verb_count"]!.GetValue<int>());
        var installedTest = _kit.Resh("plugin://hello.test");
        Assert.True(installedTest.ExitCode == 0, installedTest.ToString());
    }

    [Fact]
    public void The_python_scaffold_round_trips_and_the_csharp_one_is_written()
    {
        var py = _kit["py"];
        Assert.True(_kit.Resh("plugin://.new", "name=pyhello", "language=python", $"dir={py}").Ok);
        var test = _kit.Resh("plugin://.test", $"path={py}");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.True(_kit.Install(py).Ok);
        Assert.Equal("Hi, there!", Json.S(_kit.Resh("pyhello://there.greet", "greeting=Hi").Result!["message"]));

        var cs = _kit["cs"];
        var made = _kit.Resh("plugin://.new", "name=cshello", "language=csharp", $"dir={cs}");
        Assert.True(made.Ok, made.ToString());
        Assert.True(File.Exists(Path.Combine(cs, "Program.cs")) && File.Exists(Path.Combine(cs, "cshello.csproj")));
        // Its manifest and checksums are valid: install accepts it (building it needs the SDK, not done here).
        Assert.True(_kit.Install(cs).Ok);
        // A directory that exists and is not empty is refused.
        var again = _kit.Resh("plugin://.new", "name=cshello", "language=csharp", $"dir={cs}");
        Assert.Equal("conflict", again.ErrorCode);
    }

    [Fact]
    public void Typed_arguments_reach_the_plugin_and_a_bad_argument_is_usage_before_it_runs()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-py")).Ok);
        var echo = _kit.Resh("hellopy://x.echo", "name=a", "ratio=1.5", "loud=yes", "color=red", "tags=a,b", "meta:={\"k\":1}");
        Assert.True(echo.ExitCode == 0, echo.ToString());
        var request = echo.Result!["request"]!;
        Assert.Equal(1, request["protocol"]!.GetValue<int>());
        Assert.Equal("hellopy", Json.S(request["scheme"]));
        Assert.Equal("x", Json.S(request["target"]));
        Assert.Equal("echo", Json.S(request["verb"]));
        Assert.False(request["dry_run"]!.GetValue<bool>());
        var args = request["args"]!;
        Assert.Equal(3, args["count"]!.GetValue<long>()); // the manifest's default
        Assert.Equal(1.5, args["ratio"]!.GetValue<double>());
        Assert.True(args["loud"]!.GetValue<bool>());
        Assert.Equal(["a", "b"], args["tags"]!.AsArray().Select(Json.S));
        Assert.Equal(1, args["meta"]!["k"]!.GetValue<int>());

        // Each of these is refused by resh (usage) before the plugin runs: the touch verb below proves nothing ran.
        foreach (var bad in new[] { new[] { "color=blue", "name=a" }, ["ratio=abc", "name=a"], ["count=x", "name=a"], ["count=500", "name=a"], [], ["name=a", "nmae=b"] })
        {
            var run = _kit.Resh(["hellopy://x.echo", .. bad]);
            Assert.True(run.ExitCode == 2 && run.ErrorCode == "usage", string.Join(' ', bad) + ": " + run);
            Assert.False(string.IsNullOrEmpty(run.Envelope["error"]!["hint"]?.GetValue<string>()), run.ToString());
        }
        var file = _kit["touched"];
        var typo = _kit.Resh($"hellopy://{file}.touch", "contnet=x");
        Assert.Equal("usage", typo.ErrorCode);
        Assert.Contains("content", typo.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void A_write_verb_reports_changed_truthfully_and_honours_dry_run_and_errors_map_to_spec_codes()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-py")).Ok);
        var file = _kit["t.txt"];
        var dry = _kit.Resh($"hellopy://{file}.touch", "content=x", "--dry-run");
        Assert.True(dry.Ok && dry.Changed, dry.ToString());
        Assert.False(File.Exists(file));
        var first = _kit.Resh($"hellopy://{file}.touch", "content=x");
        Assert.True(first.Ok && first.Changed, first.ToString());
        Assert.Equal("x", File.ReadAllText(file));
        Assert.Equal(["touched"], first.Envelope["warnings"]!.AsArray().Select(Json.S));
        var second = _kit.Resh($"hellopy://{file}.touch", "content=x");
        Assert.True(second.Ok && !second.Changed, second.ToString());

        var conflict = _kit.Resh("hellopy://x.fail", "code=conflict");
        Assert.Equal(5, conflict.ExitCode);
        Assert.Equal("It failed on purpose.", Json.S(conflict.Envelope["error"]!["message"]));
        Assert.Equal("Do not ask it to fail.", Json.S(conflict.Envelope["error"]!["hint"]));
        Assert.Equal("asked", Json.S(conflict.Envelope["error"]!["details"]!["why"]));
        var odd = _kit.Resh("hellopy://x.fail", "code=exploded");
        Assert.Equal(1, odd.ExitCode);
        Assert.Equal("failed", odd.ErrorCode);
        Assert.Equal("exploded", Json.S(odd.Envelope["error"]!["details"]!["plugin_code"]));
    }

    [Fact]
    public void Plugin_verbs_appear_in_help_schema_completion_docs_and_handles()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-py")).Ok);
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        var help = _kit.Resh(["help", "hellopy"], null);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("echo", help.Stdout);
        Assert.Contains("touch", help.Stdout);
        var schema = _kit.Resh("schema", "hellopy.echo");
        Assert.True(schema.ExitCode == 0, schema.ToString());
        var props = schema.Result!["schemas"]![0]!["args"]!["properties"]!;
        Assert.Equal("integer", Json.S(props["count"]!["type"]));
        Assert.Equal(["red", "green"], props["color"]!["enum"]!.AsArray().Select(Json.S));
        var all = _kit.Resh("schema").Result!["schemas"]!.AsArray().Select(s => Json.S(s!["name"])).ToList();
        Assert.Contains("hellob.greet", all);
        Assert.Contains("file.read", all);
        var handles = _kit.Resh("handles").Stdout;
        Assert.Contains("hellob", handles);

        var complete = _kit.Resh(["complete", "--line", "resh hellopy://x."], null);
        Assert.Contains("hellopy://x.echo", complete.Stdout.Split('\n'));
        var schemes = _kit.Resh(["complete", "--line", "resh hello"], null);
        Assert.Contains("hellob://", schemes.Stdout.Split('\n'));
        var argNames = _kit.Resh(["complete", "--line", "resh hellopy://x.echo co"], null);
        Assert.Contains(argNames.Stdout.Split('\n'), l => l.StartsWith("color=", StringComparison.Ordinal) || l.StartsWith("count=", StringComparison.Ordinal));

        var docs = _kit["docs"];
        Assert.True(_kit.Resh("docs", $"out={docs}").Ok);
        var page = File.ReadAllText(Path.Combine(docs, "hellopy.md"));
        Assert.Contains("echo", page);
        Assert.Contains("hellopy://x.echo name=a", page);
    }

    [Fact]
    public void Batch_runs_plugin_calls_and_mcp_lists_and_calls_plugin_tools()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        var lines = string.Join("\n",
            "{\"id\":1,\"stage\":\"hellob://b1\",\"verb\":\"greet\",\"args\":{\"name\":\"x\"}}",
            "{\"id\":2,\"stage\":\"file:///etc/hostname\",\"verb\":\"stat\"}",
            "{\"id\":3,\"stage\":\"hellob://b3\",\"verb\":\"greet\",\"args\":{}}") + "\n";
        var batch = _kit.Resh(["batch"], lines);
        var answers = batch.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, answers.Count);
        Assert.Equal("hello x from b1", Json.S(answers[0]["result"]!["message"]));
        Assert.True(answers[1]["ok"]!.GetValue<bool>());
        Assert.Equal("usage", Json.S(answers[2]["error"]!["code"])); // name is required

        var mcp = string.Join("\n",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"hellob_greet\",\"arguments\":{\"target\":\"hellob://m\",\"name\":\"y\"}}}") + "\n";
        var run = _kit.Resh(["mcp"], mcp);
        var replies = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var names = new List<string>();
        var page = replies.Single(r => r["id"]?.GetValue<int>() == 2);
        names.AddRange(page["result"]!["tools"]!.AsArray().Select(t => Json.S(t!["name"])));
        // tools/list pages by 100: follow the cursor until the plugin's tools show up.
        var cursor = page["result"]!["nextCursor"]?.GetValue<string>();
        while (cursor is not null && !names.Contains("hellob_greet"))
        {
            var next = _kit.Resh(["mcp"], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
                + $"{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{{\"cursor\":\"{cursor}\"}}}}\n");
            var p = next.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Single(r => r["id"]?.GetValue<int>() == 2);
            names.AddRange(p["result"]!["tools"]!.AsArray().Select(t => Json.S(t!["name"])));
            cursor = p["result"]!["nextCursor"]?.GetValue<string>();
        }
        Assert.Contains("hellob_greet", names);
        var call = replies.Single(r => r["id"]?.GetValue<int>() == 3);
        Assert.Equal("hello y from m", Json.S(call["result"]!["structuredContent"]!["result"]!["message"]));
    }

    [Fact]
    public void Disable_hides_the_scheme_with_a_hint_enable_brings_it_back_remove_deletes_it()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        var off = _kit.Resh("plugin://hello-bash.disable");
        Assert.True(off.Ok && off.Changed, off.ToString());
        Assert.False(_kit.Resh("plugin://hello-bash.disable").Changed);
        var hidden = _kit.Resh("hellob://x.greet", "name=a");
        Assert.Equal("usage", hidden.ErrorCode);
        Assert.Contains("plugin://hello-bash.enable", hidden.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.DoesNotContain("hellob", _kit.Resh("handles").Stdout);
        Assert.False(_kit.Resh("plugin://.list").Result!["plugins"]![0]!["enabled"]!.GetValue<bool>());

        var on = _kit.Resh("plugin://.enable", "name=hello-bash");
        Assert.True(on.Ok && on.Changed, on.ToString());
        Assert.True(_kit.Resh("hellob://x.greet", "name=a").Ok);

        var info = _kit.Resh("plugin://hello-bash.info");
        Assert.True(info.Result!["checksums_ok"]!.GetValue<bool>(), info.ToString());
        Assert.Equal("hellob", Json.S(info.Result!["scheme"]));

        var dry = _kit.Resh("plugin://hello-bash.remove", "--dry-run");
        Assert.True(dry.Ok && dry.Changed);
        Assert.True(Directory.Exists(Path.Combine(_kit.Home, "plugins", "hello-bash")));
        var gone = _kit.Resh("plugin://hello-bash.remove");
        Assert.True(gone.Ok && gone.Changed, gone.ToString());
        Assert.False(Directory.Exists(Path.Combine(_kit.Home, "plugins", "hello-bash")));
        Assert.Equal("not_found", _kit.Resh("plugin://hello-bash.remove").ErrorCode);
        Assert.Equal("usage", _kit.Resh("hellob://x.greet", "name=a").ErrorCode);
    }

    [Fact]
    public void Install_is_idempotent_refuses_downgrades_and_same_version_changes_without_force()
    {
        var dir = _kit.CopySample("hello-py");
        var first = _kit.Install(dir);
        Assert.True(first.Ok && first.Changed, first.ToString());
        var again = _kit.Install(dir);
        Assert.True(again.Ok && !again.Changed, again.ToString());

        // Same version, other content: conflict unless force.
        File.AppendAllText(Path.Combine(dir, "hello.py"), "# changed\n");
        Assert.True(_kit.Resh("plugin://.checksums", $"path={dir}").Changed);
        Assert.Equal("conflict", _kit.Install(dir).ErrorCode);
        var forced = _kit.Install(dir, "force=true");
        Assert.True(forced.Ok && forced.Changed, forced.ToString());
        Assert.Equal("1.2.0", Json.S(forced.Result!["previous_version"]));

        // An older version: conflict unless force.
        var manifest = Path.Combine(dir, "plugin.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"1.2.0\"", "\"1.1.0\""));
        var older = _kit.Install(dir);
        Assert.Equal("conflict", older.ErrorCode);
        Assert.Contains("force", older.Envelope["error"]!["hint"]!.GetValue<string>());
        // Dry run of a newer version writes nothing.
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"1.1.0\"", "\"2.0.0\""));
        var dry = _kit.Install(dir, "--dry-run");
        Assert.True(dry.Ok && dry.Changed, dry.ToString());
        Assert.Equal("1.2.0", Json.S(_kit.Resh("plugin://hello-py.info").Result!["version"]));
        Assert.True(_kit.Install(dir).Ok);
        Assert.Equal("2.0.0", Json.S(_kit.Resh("plugin://hello-py.info").Result!["version"]));
        // No temporary directories are left in the store.
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(_kit.Home, "plugins")), d => Path.GetFileName(d).StartsWith('.') && Path.GetFileName(d) != ".state");
    }

    [Fact]
    public void Store_is_private_and_the_plugin_runs_with_a_minimal_environment_in_its_directory()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        var plugins = Path.Combine(_kit.Home, "plugins");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(plugins));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(plugins, "hello-bash")));
        var run = ReshBinary.Run(["hellob://x.env", "--format", "json"], env: new Dictionary<string, string>
        {
            ["RESH_HOME"] = _kit.Home, ["RESH_SECRET_PASSPHRASE"] = "hunter22", ["MY_TOKEN"] = "abc",
        });
        Assert.True(run.ExitCode == 0, run.ToString());
        var env = run.Result!["env"]!.AsObject();
        Assert.Equal(Path.Combine(plugins, "hello-bash"), Json.S(run.Result!["cwd"]));
        Assert.Equal(Path.Combine(plugins, "hello-bash"), Json.S(env["RESH_PLUGIN_DIR"]));
        Assert.Equal("1", Json.S(env["RESH_PROTOCOL"]));
        Assert.False(env.ContainsKey("RESH_SECRET_PASSPHRASE"));
        Assert.False(env.ContainsKey("MY_TOKEN"));
        Assert.False(env.ContainsKey("RESH_HOME"));

        // A store another user may write is refused.
        File.SetUnixFileMode(Path.Combine(plugins, "hello-bash"), (UnixFileMode)0x1ff);
        var open = _kit.Resh("hellob://x.greet", "name=a");
        Assert.Equal("usage", open.ErrorCode); // unknown: the plugin does not load...
        Assert.Contains("writable by others", open.Envelope["error"]!["hint"]!.GetValue<string>()); // ...and the hint says why
        Assert.Contains("writable by others", _kit.Resh("plugin://.list").Result!["plugins"]![0]!["problem"]!.GetValue<string>());
    }

    [Fact]
    public void A_built_in_call_never_reads_the_plugin_store()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        var trace = _kit["trace"];
        var run = Shell.Run($"RESH_HOME={Shell.Q(_kit.Home)} strace -f -qq -e trace=%file -o {Shell.Q(trace)} {Shell.Q(ReshBinary.Path)} file:///etc/hostname.stat --format json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = File.ReadAllLines(trace);
        Assert.Contains(lines, l => l.Contains("/etc/hostname", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("/plugins", StringComparison.Ordinal));
        // An unknown scheme does look (a plugin could provide it).
        Shell.Run($"RESH_HOME={Shell.Q(_kit.Home)} strace -f -qq -e trace=%file -o {Shell.Q(trace)} {Shell.Q(ReshBinary.Path)} hellob://x.greet name=a --format json");
        Assert.Contains(File.ReadAllLines(trace), l => l.Contains("/plugins", StringComparison.Ordinal));
    }

    /// <summary>All tool names over every tools/list page of one session.</summary>
    List<string> McpToolNames()
    {
        var names = new List<string>();
        string? cursor = null;
        do
        {
            var input = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
                + (cursor is null ? "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n" : $"{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{{\"cursor\":\"{cursor}\"}}}}\n");
            var run = _kit.Resh(["mcp"], input);
            var page = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Single(r => r["id"]?.GetValue<int>() == 2);
            names.AddRange(page["result"]!["tools"]!.AsArray().Select(t => Json.S(t!["name"])));
            cursor = page["result"]!["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return names;
    }

    [Fact]
    public void Mcps_cached_tool_list_follows_installs_and_disables()
    {
        Assert.DoesNotContain("hellob_greet", McpToolNames()); // fills the state dir's tools/list cache
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        Assert.Contains("hellob_greet", McpToolNames());
        Assert.True(_kit.Resh("plugin://hello-bash.disable").Ok);
        Assert.DoesNotContain("hellob_greet", McpToolNames());
    }
}
