using System.Text;
using System.Text.Json.Nodes;
using Resh.Cli.Tests.Mcp;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>`resh mcp` at the JSON-RPC level: version negotiation, framing, hostile input, concurrency and EOF.</summary>
public sealed class McpProtocolTests
{
    [Theory]
    [InlineData("2025-11-25", "2025-11-25")]
    [InlineData("2025-06-18", "2025-06-18")]
    [InlineData("2025-03-26", "2025-03-26")]
    [InlineData("2024-11-05", "2024-11-05")]
    [InlineData("2023-01-01", "2025-11-25")]
    [InlineData("not a version", "2025-11-25")]
    public void Initialize_answers_with_the_clients_version_when_supported_else_the_latest(string asked, string answered)
    {
        using var mcp = new McpProcess();
        var r = mcp.Initialize(asked);
        Assert.Equal(0, r["id"]!.GetValue<int>());
        Assert.Equal(answered, r["result"]!["protocolVersion"]!.GetValue<string>());
        Assert.Equal("resh", r["result"]!["serverInfo"]!["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(r["result"]!["serverInfo"]!["version"]!.GetValue<string>()));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void Malformed_input_gets_json_rpc_errors_and_the_session_goes_on()
    {
        using var mcp = new McpProcess();
        mcp.Initialize();
        mcp.Send("{not json");
        var e = mcp.Next();
        Assert.Equal(-32700, e["error"]!["code"]!.GetValue<int>());
        Assert.True(e.ContainsKey("id"));
        Assert.Null(e["id"]); // JSON null: the request's id could not be read
        mcp.Send("[1,2]");
        Assert.Equal(-32600, mcp.Next()["error"]!["code"]!.GetValue<int>());
        mcp.Send("{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"ping\"}");
        var v1 = mcp.Next();
        Assert.Equal(-32600, v1["error"]!["code"]!.GetValue<int>());
        Assert.Equal(5, v1["id"]!.GetValue<int>());
        Assert.Equal(-32601, mcp.Request(6, "no/such/method")["error"]!["code"]!.GetValue<int>());
        Assert.Equal(-32602, mcp.Request(7, "tools/list", new JsonObject { ["cursor"] = "bogus" })["error"]!["code"]!.GetValue<int>());
        Assert.Equal(-32602, mcp.Request(8, "tools/call", new JsonObject { ["name"] = "file_read", ["arguments"] = "x" })["error"]!["code"]!.GetValue<int>());
        // Deep nesting is refused, not recursed into.
        mcp.Send("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":" + new string('[', 5000) + new string(']', 5000) + "}");
        Assert.Equal(-32700, mcp.Next()["error"]!["code"]!.GetValue<int>());
        // Invalid UTF-8 is a parse error too.
        mcp.SendBytes([.. "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"p"u8, 0xff, 0xfe, .. "\"}\n"u8]);
        Assert.Equal(-32700, mcp.Next()["error"]!["code"]!.GetValue<int>());
        var pong = mcp.Request("s", "ping");
        Assert.Equal("s", pong["id"]!.GetValue<string>());
        Assert.Empty(pong["result"]!.AsObject());
        Assert.Equal(0, mcp.CloseAndWait());
    }

    /// <summary>
    /// A tool call is one call: a pipeline written into its target is refused with what to do instead (issue 19, s42 user
    /// D4), not run as one stage with a strange target (proc_list listed processes named `.list | where …` and answered ok).
    /// A target that only holds ` | ` (a file of that name) is still a target.
    /// </summary>
    [Fact]
    public void A_pipeline_in_a_tool_target_is_refused_with_where_pipelines_run()
    {
        using var dir = new TempDir("mcp-pipe");
        var odd = dir.File("a | b.txt", "odd name\n");
        using var mcp = new McpProcess();
        mcp.Initialize();
        int id = 1;
        foreach (var (tool, target) in new[]
                 {
                     ("proc_list", "proc://.list | where name == \"sleep\" | count"),
                     ("proc_list", " | count"),
                     ("proc_list", "proc://.list(name=sleep) | proc://{pid}.info"),
                     ("file_read", $"{dir.Path}/x.txt | first 2"),
                 })
        {
            var env = mcp.CallTool(id++, tool, new JsonObject { ["target"] = target });
            Assert.Equal("usage", McpProcess.Code(env));
            Assert.Equal("Pipelines run from the command line, the shell, resh batch or ssh://; send each stage as its own call here.",
                env["error"]!["message"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(env["error"]!["hint"]?.GetValue<string>()), env.ToJsonString());
        }
        var read = mcp.CallTool(id, "file_read", new JsonObject { ["target"] = odd });
        Assert.True(read["ok"]!.GetValue<bool>(), read.ToJsonString());
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_call_in_flight_does_not_block_ping_and_cancel_gets_no_answer()
    {
        using var dir = new TempDir();
        var log = dir.File("follow.log", "x\n");
        using var mcp = new McpProcess("--verbose");
        mcp.Initialize();
        mcp.Send(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "file_tail", ["arguments"] = new JsonObject { ["target"] = "file://" + log, ["follow"] = true } },
        }.ToJsonString());
        var started = System.Diagnostics.Stopwatch.StartNew();
        var pong = mcp.Request(2, "ping");
        Assert.Equal(2, pong["id"]!.GetValue<int>());
        Assert.True(started.ElapsedMilliseconds < 5000);
        mcp.Send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1,\"reason\":\"test\"}}");
        // The next line is the answer to 3, not a late answer to the cancelled 1.
        Assert.Equal(3, mcp.Request(3, "ping")["id"]!.GetValue<int>());
        Assert.Equal(0, mcp.CloseAndWait());
        Assert.Contains("file_tail interrupted", mcp.Stderr);
    }

    [Fact]
    public void Requests_piped_in_before_eof_all_get_their_answers()
    {
        var input = string.Join("\n",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"sh\",\"version\":\"1\"}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"file_read\",\"arguments\":{\"target\":\"file:///etc/hosts\"}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}") + "\n";
        var run = ReshBinary.Run(["mcp"], stdin: input);
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([1, 2, 3], lines.Select(l => l["id"]!.GetValue<int>()).Order());
        var read = lines.Single(l => l["id"]!.GetValue<int>() == 2);
        Assert.Equal(File.ReadAllText("/etc/hosts"), read["result"]!["structuredContent"]!["result"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public void Eof_ends_the_server_cleanly_and_cancels_what_runs()
    {
        using var dir = new TempDir();
        var log = dir.File("follow.log", "x\n");
        using var mcp = new McpProcess();
        mcp.Initialize();
        mcp.Send(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "file_tail", ["arguments"] = new JsonObject { ["target"] = "file://" + log, ["follow"] = true } },
        }.ToJsonString());
        Thread.Sleep(300);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, mcp.CloseAndWait());
        Assert.True(clock.ElapsedMilliseconds < 5000, $"took {clock.ElapsedMilliseconds} ms");
        // The follow has no end of its own: EOF stopped it, and its answer still says so.
        var answer = Assert.Single(mcp.Rest());
        Assert.Equal(1, answer["id"]!.GetValue<int>());
        Assert.True(answer["result"]!["isError"]!.GetValue<bool>());
        Assert.Equal("interrupted", answer["result"]!["structuredContent"]!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void Bad_flags_and_patterns_are_usage_envelopes_and_help_works()
    {
        var bad = ReshBinary.Run(["mcp", "--read-onyl"], stdin: "");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("usage", bad.ErrorCode);
        Assert.Contains("--read-only", bad.Envelope["error"]!["hint"]!.GetValue<string>());
        var pattern = ReshBinary.Run(["mcp", "--deny", "svc://nginx"], stdin: "");
        Assert.Equal(2, pattern.ExitCode);
        Assert.Equal("usage", pattern.ErrorCode);
        var help = ReshBinary.Run("mcp", "--help", "--format", "json");
        Assert.Equal(0, help.ExitCode);
        var args = help.Envelope["result"]!["verb"]!["args"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["read_only", "allow", "deny", "allow_destructive", "allow_secret", "allow_reveal", "allow_plugin_reads"], args);
    }

    [Fact]
    public void Tools_list_pages_by_one_hundred_with_an_opaque_cursor()
    {
        using var mcp = new McpProcess();
        mcp.Initialize();
        var list = mcp.Request(1, "tools/list");
        Assert.Equal(100, list["result"]!["tools"]!.AsArray().Count);
        var next = mcp.Request(2, "tools/list", new JsonObject { ["cursor"] = list["result"]!["nextCursor"]!.GetValue<string>() });
        Assert.NotEmpty(next["result"]!["tools"]!.AsArray());
        Assert.Equal(0, mcp.CloseAndWait());
    }
}
