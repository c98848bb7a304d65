using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// Issue 18, `resh serve --mcp`: MCP's Streamable HTTP transport at /mcp, driven by the official TypeScript SDK's
/// StreamableHTTPClientTransport (Mcp/mcp-client.cjs) and the inspector CLI, and by raw requests for what the spec
/// says a server must refuse. The token's role is the policy; calls are audited with surface mcp-http.
/// </summary>
public sealed class McpHttpTests : ServeTestBase
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public McpHttpTests() : base("mcphttp")
    {
        File.WriteAllText(Path.Combine(Data, "notes.txt"), "hello mcp over http\n");
        File.WriteAllText(Dir["outside.txt"], "not yours\n");
        Config = Dir.File("config.toml", $$"""
            [roles.ops]
            allow = ["system.*", "file.*:file://{{Data}}/**"]

            [roles.viewer]
            allow = ["file.*:file://{{Data}}/**"]
            read_only = true
            """);
    }

    /// <summary>Starts `resh serve --mcp` on a free loopback port; the base URL.</summary>
    string Start(params string[] extra) => StartServe(["--mcp", .. extra]).Url;

    static JsonObject Client(string url, string token, params JsonObject[] steps)
    {
        var config = McpNodeClient.Config(null, null, steps);
        config["url"] = url + "/mcp";
        config["token"] = token;
        return McpNodeClient.Run(config);
    }

    static JsonObject Step(JsonObject run, int i) => (JsonObject)run["steps"]![i]!;

    static JsonObject Envelope(JsonObject step) => (JsonObject)step["result"]!["structuredContent"]!;

    const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    static async Task<(int Status, string Body, HttpResponseMessage Response)> PostAsync(string url, string? token, string body,
        string? session = null, Action<HttpRequestMessage>? more = null, HttpMethod? method = null)
    {
        using var req = new HttpRequestMessage(method ?? HttpMethod.Post, url + "/mcp");
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Accept.ParseAdd("application/json");
        req.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null) req.Headers.Add("Mcp-Session-Id", session);
        if (method != HttpMethod.Delete && method != HttpMethod.Get) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        more?.Invoke(req);
        var resp = await Http.SendAsync(req);
        return ((int)resp.StatusCode, await resp.Content.ReadAsStringAsync(), resp);
    }

    static async Task<string> OpenAsync(string url, string token)
    {
        var (status, body, resp) = await PostAsync(url, token, Initialize);
        Assert.True(status == 200, body);
        Assert.Equal("2025-11-25", JsonNode.Parse(body)!["result"]!["protocolVersion"]!.GetValue<string>());
        return resp.Headers.GetValues("Mcp-Session-Id").Single();
    }

    [Fact]
    public async Task Sdk_client_initializes_lists_calls_and_ends_its_session_with_every_envelope_valid()
    {
        var url = Start();
        var token = Token("agent", "ops");
        var notes = Path.Combine(Data, "notes.txt");
        var run = Client(url, token,
            McpNodeClient.Op("list"),
            McpNodeClient.Call("file_read", new JsonObject { ["target"] = "file://" + notes }),
            McpNodeClient.Call("file_read", new JsonObject { ["target"] = "file://" + Path.Combine(Data, "missing.txt") }),
            McpNodeClient.Call("system_uptime", new JsonObject()),
            McpNodeClient.Op("ping"),
            McpNodeClient.Op("terminate"));
        Assert.Equal("resh", run["server"]!["name"]!.GetValue<string>());
        var sessionId = run["sessionId"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{48}$", sessionId);

        var tools = Step(run, 0)["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("file_read", tools);
        Assert.Contains("system_uptime", tools);
        Assert.DoesNotContain("svc_restart", tools); // the role's allow list is the tool list

        var read = Step(run, 1);
        Assert.True(read["ajvValid"]!.GetValue<bool>(), read.ToJsonString());
        Assert.False(read["result"]!["isError"]!.GetValue<bool>());
        Assert.Equal("hello mcp over http\n", Envelope(read)["result"]!["content"]!.GetValue<string>());

        var missing = Step(run, 2);
        Assert.True(missing["ajvValid"]!.GetValue<bool>(), missing.ToJsonString());
        Assert.True(missing["result"]!["isError"]!.GetValue<bool>());
        Assert.Equal("not_found", Envelope(missing)["error"]!["code"]!.GetValue<string>());

        Assert.True(Step(run, 3)["ajvValid"]!.GetValue<bool>(), Step(run, 3).ToJsonString());
        Assert.True(Step(run, 4)["ok"]!.GetValue<bool>());
        Assert.Equal("terminate", Step(run, 5)["op"]!.GetValue<string>());
        Assert.Null(Step(run, 5)["error"]);

        // The session is gone: its id is now unknown.
        var (status, body, _) = await PostAsync(url, token, """{"jsonrpc":"2.0","id":7,"method":"tools/list"}""", sessionId);
        Assert.True(status == 404, body);

        // Every call is in the audit trail with the token's identity and the surface mcp-http.
        var audit = ReshBinary.Run(["audit", "list", "--format", "json"], env: Env);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        var text = audit.Stdout;
        Assert.Contains("\"surface\":\"mcp-http\"", text.Replace(" ", ""));
        Assert.Contains("token:agent", text);
    }

    [Fact]
    public async Task Progress_arrives_as_server_sent_events_before_the_answer()
    {
        var url = Start("--timeout", "3s");
        var token = Token("agent", "ops");
        var log = Path.Combine(Data, "growing.log");
        File.WriteAllText(log, "start\n");
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++) { await Task.Delay(100); File.AppendAllText(log, $"line {i}\n"); }
        });
        var run = Client(url, token,
            McpNodeClient.Call("file_tail", new JsonObject { ["target"] = "file://" + log, ["follow"] = true }, progress: true),
            McpNodeClient.Call("file_read", new JsonObject { ["target"] = "file://" + log, ["length"] = 5 }));
        var tail = Step(run, 0);
        Assert.Null(tail["error"]);
        Assert.True(tail["ajvValid"]!.GetValue<bool>(), tail.ToJsonString());
        var progress = (JsonArray)tail["progress"]!;
        Assert.NotEmpty(progress);
        Assert.Contains(progress, p => p!["message"]!.GetValue<string>().Contains("line "));
        var values = progress.Select(p => p!["progress"]!.GetValue<double>()).ToList();
        Assert.Equal(values.Order().Distinct().ToList(), values);
        Assert.Equal("start", Envelope(Step(run, 1))["result"]!["content"]!.GetValue<string>()[..5]);
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void A_cancelled_call_ends_its_stream_and_the_session_goes_on()
    {
        var url = Start();
        var token = Token("agent", "ops");
        var log = Path.Combine(Data, "quiet.log");
        File.WriteAllText(log, "one\n");
        var run = Client(url, token,
            McpNodeClient.Call("file_tail", new JsonObject { ["target"] = "file://" + log, ["follow"] = true }, progress: true, abortAfterMs: 1000),
            McpNodeClient.Op("ping"),
            McpNodeClient.Call("file_read", new JsonObject { ["target"] = "file://" + log }));
        Assert.NotNull(Step(run, 0)["error"]);
        Assert.True(Step(run, 1)["ok"]!.GetValue<bool>());
        Assert.Equal("one\n", Envelope(Step(run, 2))["result"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_session_ends_when_its_role_changes_and_a_new_one_gets_the_new_grants()
    {
        // s38 user #2: a session kept the grants its role had when it opened, after the role was narrowed or removed.
        var url = Start();
        var token = Token("agent", "ops");
        var session = await OpenAsync(url, token);
        var list = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";
        var (status, body, _) = await PostAsync(url, token, list, session);
        Assert.True(status == 200, body);
        Assert.Contains("system_uptime", body);
        // ops loses system.*: the open session ends (404: the client initializes again) and the new one lists no system tool.
        var config = File.ReadAllText(Config);
        File.WriteAllText(Config, config.Replace("allow = [\"system.*\", ", "allow = [") + "\n# narrowed\n");
        (status, body, _) = await PostAsync(url, token, list, session);
        Assert.True(status == 404, body);
        var again = await OpenAsync(url, token);
        (status, body, _) = await PostAsync(url, token, list, again);
        Assert.True(status == 200, body);
        Assert.DoesNotContain("system_uptime", body);
        // The audit lists the surface by the name the docs give it.
        var audit = ReshBinary.Run(["audit", "list", "surface=mcp-http", "--format", "json"], env: Env);
        Assert.True(audit.ErrorCode != "usage", audit.ToString());
    }

    [Fact]
    public void The_role_is_the_policy_a_refused_tool_is_an_error_envelope()
    {
        var url = Start();
        var token = Token("reader", "viewer");
        var run = Client(url, token,
            McpNodeClient.Op("list"),
            McpNodeClient.Call("file_write", new JsonObject { ["target"] = "file://" + Path.Combine(Data, "new.txt"), ["content"] = "x" }),
            McpNodeClient.Call("file_read", new JsonObject { ["target"] = "file://" + Dir["outside.txt"] }),
            McpNodeClient.Call("system_uptime", new JsonObject()));
        var tools = Step(run, 0)["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("file_read", tools);
        Assert.DoesNotContain("file_write", tools); // read_only
        Assert.DoesNotContain("system_uptime", tools);
        foreach (var i in (int[])[1, 2, 3])
        {
            var step = Step(run, i);
            Assert.True(step["result"]!["isError"]!.GetValue<bool>(), step.ToJsonString());
            Assert.Equal("permission_denied", Envelope(step)["error"]!["code"]!.GetValue<string>());
            // Only listed tools have a schema the client knows (file_read); the others are refused unlisted.
            if (i == 2) Assert.True(step["ajvValid"]!.GetValue<bool>(), step.ToJsonString());
        }
        Assert.False(File.Exists(Path.Combine(Data, "new.txt")));
    }

    [Fact]
    public async Task Sessions_tokens_origins_and_versions_are_checked_as_the_spec_says()
    {
        var url = Start();
        var token = Token("agent", "ops");
        var other = Token("other", "ops");
        const string list = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";

        // No token, an unknown one: 401 with the Bearer challenge, nothing opened.
        var (status, body, resp) = await PostAsync(url, null, Initialize);
        Assert.Equal(401, status);
        Assert.Contains("Bearer", resp.Headers.WwwAuthenticate.ToString());
        Assert.Equal("permission_denied", JsonNode.Parse(body)!["error"]!["data"]!["code"]!.GetValue<string>());
        (status, _, _) = await PostAsync(url, "resh_not_a_token", Initialize);
        Assert.Equal(401, status);

        var session = await OpenAsync(url, token);
        // Without the session header: 400. An unknown id, or another token's session: 404.
        (status, body, _) = await PostAsync(url, token, list);
        Assert.True(status == 400, body);
        (status, _, _) = await PostAsync(url, token, list, "0123456789abcdef");
        Assert.Equal(404, status);
        (status, _, _) = await PostAsync(url, other, list, session);
        Assert.Equal(404, status);
        // The right one works, and answers the id it was asked with.
        (status, body, _) = await PostAsync(url, token, list, session);
        Assert.True(status == 200, body);
        Assert.Equal(2, JsonNode.Parse(body)!["id"]!.GetValue<int>());

        // A notification is accepted with 202 and no body.
        (status, body, _) = await PostAsync(url, token, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", session);
        Assert.Equal(202, status);
        Assert.Equal("", body);

        // Cross-site pages (DNS rebinding) are refused by Origin and Host; loopback origins pass.
        (status, body, _) = await PostAsync(url, token, list, session, r => r.Headers.Add("Origin", "http://evil.example"));
        Assert.True(status == 403, body);
        (status, _, _) = await PostAsync(url, token, list, session, r => r.Headers.Host = "evil.example:80");
        Assert.Equal(403, status);
        (status, body, _) = await PostAsync(url, token, list, session, r => r.Headers.Add("Origin", "http://localhost:3000"));
        Assert.True(status == 200, body);

        // A protocol version this server does not speak: 400; a supported one passes.
        (status, _, _) = await PostAsync(url, token, list, session, r => r.Headers.Add("MCP-Protocol-Version", "1999-01-01"));
        Assert.Equal(400, status);
        (status, _, _) = await PostAsync(url, token, list, session, r => r.Headers.Add("MCP-Protocol-Version", "2025-11-25"));
        Assert.Equal(200, status);

        // Malformed: not JSON, a batch, the wrong media type, another method (GET opens the session's event stream:
        // ServeOpsTests.Mcp_get_stream_delivers_tools_list_changed_with_event_ids_when_a_plugin_is_installed).
        (status, body, _) = await PostAsync(url, token, "{nope", session);
        Assert.Equal(400, status);
        Assert.Equal(-32700, JsonNode.Parse(body)!["error"]!["code"]!.GetValue<int>());
        (status, _, _) = await PostAsync(url, token, "[" + list + "]", session);
        Assert.Equal(400, status);
        (status, _, _) = await PostAsync(url, token, list, session, r => r.Content = new StringContent(list, Encoding.UTF8, "text/plain"));
        Assert.Equal(415, status);
        (status, _, resp) = await PostAsync(url, token, "", session, method: HttpMethod.Put);
        Assert.Equal(405, status);
        Assert.Contains("POST", resp.Content.Headers.Allow);
        Assert.Contains("GET", resp.Content.Headers.Allow);

        // DELETE ends the session (only its own token's), then the id is unknown.
        (status, _, _) = await PostAsync(url, other, "", session, method: HttpMethod.Delete);
        Assert.Equal(404, status);
        (status, _, _) = await PostAsync(url, token, "", session, method: HttpMethod.Delete);
        Assert.Equal(204, status);
        (status, _, _) = await PostAsync(url, token, list, session);
        Assert.Equal(404, status);
        (status, _, _) = await PostAsync(url, token, "", session, method: HttpMethod.Delete);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Sessions_are_bounded_per_identity()
    {
        var url = Start();
        var token = Token("agent", "ops");
        var first = await OpenAsync(url, token);
        // 32 more: the identity's least recently used session (the first) makes room.
        for (int i = 0; i < 32; i++) await OpenAsync(url, token);
        var (status, _, _) = await PostAsync(url, token, """{"jsonrpc":"2.0","id":3,"method":"ping"}""", first);
        Assert.Equal(404, status);
    }

    [Fact]
    public void Keep_alive_serves_several_requests_on_one_connection_and_honours_close()
    {
        var url = Start();
        var token = Token("agent", "ops");
        var port = new Uri(url).Port;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect("127.0.0.1", port);
        socket.ReceiveTimeout = 10_000;
        using var stream = new NetworkStream(socket);
        const string call = """{"stage":"system://","verb":"uptime"}""";
        string Request(string close) =>
            $"POST /v1/call HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {call.Length}\r\n{close}\r\n{call}";
        var reader = new ResponseReader(stream);
        // Three calls one after another, then two pipelined in one write, then one asking to close.
        for (int i = 0; i < 3; i++)
        {
            stream.Write(Encoding.ASCII.GetBytes(Request("")));
            var (status, headers, body) = reader.Next();
            Assert.Equal(200, status);
            Assert.Contains("connection: keep-alive", headers.ToLowerInvariant());
            Assert.True(JsonNode.Parse(body)!["ok"]!.GetValue<bool>(), body);
        }
        stream.Write(Encoding.ASCII.GetBytes(Request("") + Request("")));
        Assert.Equal(200, reader.Next().Status);
        Assert.Equal(200, reader.Next().Status);
        stream.Write(Encoding.ASCII.GetBytes(Request("Connection: close\r\n")));
        var last = reader.Next();
        Assert.Equal(200, last.Status);
        Assert.Contains("connection: close", last.Headers.ToLowerInvariant());
        Assert.Equal(0, stream.Read(new byte[16])); // the server closed it
    }

    [Fact]
    public void Inspector_cli_lists_and_calls_over_streamable_http()
    {
        var url = Start();
        var token = Token("agent", "ops");
        var notes = Path.Combine(Data, "notes.txt");
        var list = Inspect(url + "/mcp", token, "--method", "tools/list");
        Assert.Contains("file_read", list["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        var call = Inspect(url + "/mcp", token, "--method", "tools/call", "--tool-name", "file_read", "--tool-arg", "target=file://" + notes);
        Assert.Equal("hello mcp over http\n", call["structuredContent"]!["result"]!["content"]!.GetValue<string>());
    }

    static JsonObject Inspect(string url, string token, params string[] args)
    {
        var cli = Path.Combine(McpNodeClient.Modules, "@modelcontextprotocol", "inspector-cli", "build", "index.js");
        if (!File.Exists(cli)) throw new InvalidOperationException($"The MCP inspector CLI is missing at {cli}; run scripts/install-test-deps.sh.");
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(cli)! };
        foreach (var a in (string[])[cli, url, "--transport", "http", "--header", "Authorization: Bearer " + token, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("inspector-cli did not finish"); }
        Assert.True(p.ExitCode == 0, $"inspector-cli exit {p.ExitCode}: {stderr.Result}\n{stdout.Result}");
        return (JsonObject)JsonNode.Parse(stdout.Result)!;
    }

    /// <summary>Reads HTTP/1.1 answers with Content-Length one after another from a kept-alive connection.</summary>
    sealed class ResponseReader(Stream stream)
    {
        readonly List<byte> _buffered = [];

        public (int Status, string Headers, string Body) Next()
        {
            int end;
            while ((end = IndexOf("\r\n\r\n"u8)) < 0) Fill();
            var head = Encoding.ASCII.GetString(_buffered.GetRange(0, end).ToArray());
            _buffered.RemoveRange(0, end + 4);
            var length = int.Parse(head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim());
            while (_buffered.Count < length) Fill();
            var body = Encoding.UTF8.GetString(_buffered.GetRange(0, length).ToArray());
            _buffered.RemoveRange(0, length);
            return (int.Parse(head[9..12]), head, body);
        }

        void Fill()
        {
            var chunk = new byte[8192];
            var n = stream.Read(chunk);
            if (n == 0) throw new EndOfStreamException("the server closed the connection");
            _buffered.AddRange(chunk.AsSpan(0, n).ToArray());
        }

        int IndexOf(ReadOnlySpan<byte> what) => _buffered.ToArray().AsSpan().IndexOf(what);
    }
}
