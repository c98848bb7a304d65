using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// Issue 18, operating `resh serve` (s38 user #10, #12, #16, #17, #19): /metrics counts MCP-over-HTTP tools/call as it
/// counts REST calls, and has resh_build_info and the process metrics (checked by promtool when it is installed); a
/// broken config's refusal names its line and column without the parser's class names; `token create --format raw`
/// warns on stderr; OpenAPI error responses have the envelope schema; an unknown handle's envelope names it.
/// </summary>
public sealed class ServeOpsTests : IDisposable
{
    readonly TempDir _dir = new("serveops");
    readonly string _state, _data, _config;
    readonly List<ServeProcess> _servers = [];
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ServeOpsTests()
    {
        _state = _dir["state"];
        _data = _dir["data"];
        Directory.CreateDirectory(_data);
        File.WriteAllText(Path.Combine(_data, "notes.txt"), "hello\n");
        _config = _dir.File("config.toml", $$"""
            [roles.ops]
            allow = ["system.*", "file.read:file://{{_data}}/**"]
            """);
    }

    public void Dispose()
    {
        foreach (var s in _servers) s.Dispose();
        _dir.Dispose();
    }

    ServeProcess Start(params string[] extra)
    {
        var s = ServeProcess.Start(_state, _config, extra);
        _servers.Add(s);
        return s;
    }

    static async Task<(int Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string url, string? token, string? body = null,
        string? session = null, bool mcp = false)
    {
        using var req = new HttpRequestMessage(method, url);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (mcp)
        {
            req.Headers.Accept.ParseAdd("application/json");
            req.Headers.Accept.ParseAdd("text/event-stream");
        }
        if (session is not null) req.Headers.Add("Mcp-Session-Id", session);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var resp = await Http.SendAsync(req);
        return ((int)resp.StatusCode, await resp.Content.ReadAsStringAsync(), resp);
    }

    static string Call(int id, string tool, JsonObject args) =>
        new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = args } }.ToJsonString();

    [Fact]
    public async Task Metrics_count_mcp_tool_calls_and_have_build_info_and_process_metrics()
    {
        var server = Start("--mcp");
        var token = server.Token("agent", "ops");
        var (status, body, resp) = await SendAsync(HttpMethod.Post, server.Url + "/mcp", token,
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""", mcp: true);
        Assert.True(status == 200, body);
        var session = resp.Headers.GetValues("Mcp-Session-Id").Single();
        for (var i = 0; i < 3; i++)
        {
            (status, body, _) = await SendAsync(HttpMethod.Post, server.Url + "/mcp", token, Call(10 + i, "system_uptime", []), session, mcp: true);
            Assert.True(status == 200 && body.Contains("\"isError\":false"), body);
        }
        // Refused by the role: counted with its code.
        (status, body, _) = await SendAsync(HttpMethod.Post, server.Url + "/mcp", token, Call(20, "file_read", new JsonObject { ["target"] = "file:///etc/hostname" }), session, mcp: true);
        Assert.True(status == 200 && body.Contains("\"isError\":true") && body.Contains("permission_denied"), body);
        // And one REST call, which stays in the REST series only.
        (status, body, _) = await SendAsync(HttpMethod.Post, server.Url + "/v1/call", token, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal(200, status);

        (status, body, resp) = await SendAsync(HttpMethod.Get, server.Url + "/metrics", token);
        Assert.Equal(200, status);
        Assert.Contains("resh_mcp_calls_total{handle=\"system\",verb=\"uptime\",code=\"ok\"} 3\n", body);
        Assert.Contains("resh_mcp_calls_total{handle=\"file\",verb=\"read\",code=\"permission_denied\"} 1\n", body);
        Assert.Contains("resh_mcp_call_duration_seconds_count{handle=\"system\",verb=\"uptime\"} 3\n", body);
        Assert.Contains("resh_rest_calls_total{handle=\"system\",verb=\"uptime\",code=\"ok\"} 1\n", body);
        Assert.Contains("resh_mcp_sessions 1\n", body);
        Assert.Matches(@"resh_build_info\{version=""[^""]+"",commit=""[^""]+""\} 1\n", body);

        var values = body.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[^1]);
        var rss = double.Parse(values["process_resident_memory_bytes"], CultureInfo.InvariantCulture);
        Assert.InRange(rss, 1_000_000, 4_000_000_000);
        // The server's real RSS, from its own /proc, agrees within a factor of two.
        var statm = File.ReadAllText($"/proc/{server.Pid}/statm").Split(' ');
        var actual = long.Parse(statm[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        Assert.InRange(rss, actual / 2.0, actual * 2.0);
        var fds = double.Parse(values["process_open_fds"], CultureInfo.InvariantCulture);
        Assert.InRange(fds, 3, Directory.GetFileSystemEntries($"/proc/{server.Pid}/fd").Length + 20);
        var start = double.Parse(values["process_start_time_seconds"], CultureInfo.InvariantCulture);
        Assert.InRange(start, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.True(double.Parse(values["process_max_fds"], CultureInfo.InvariantCulture) >= fds);

        // The exposition format, as Prometheus' own linter reads it.
        if (File.Exists("/usr/bin/promtool"))
        {
            var psi = new ProcessStartInfo("/usr/bin/promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("check");
            psi.ArgumentList.Add("metrics");
            using var p = Process.Start(psi)!;
            await p.StandardInput.WriteAsync(body);
            p.StandardInput.Close();
            var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, "promtool check metrics: " + output);
        }
    }

    [Fact]
    public async Task An_unknown_handle_envelope_names_the_handle_and_verb_asked_for()
    {
        var server = Start();
        var token = server.Token("ci", "ops");
        var (status, body, _) = await SendAsync(HttpMethod.Post, server.Url + "/v1/call", token, """{"stage":"nosuch://x","verb":"read"}""");
        Assert.Equal(404, status);
        var env = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("not_found", env["error"]!["code"]!.GetValue<string>());
        Assert.Equal("nosuch", env["handle"]!.GetValue<string>());
        Assert.Equal("read", env["verb"]!.GetValue<string>());
        Assert.Equal("nosuch://x", env["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_broken_config_is_refused_naming_its_line_and_column_without_library_text()
    {
        var server = Start();
        var token = server.Token("ci", "ops");
        Assert.Equal(200, (await SendAsync(HttpMethod.Post, server.Url + "/v1/call", token, """{"stage":"system://","verb":"uptime"}""")).Status);
        var lines = File.ReadAllLines(_config).ToList();
        lines.Add("this is = = broken");
        File.WriteAllLines(_config, lines);
        var brokenLine = lines.Count;
        var (status, body, _) = await SendAsync(HttpMethod.Post, server.Url + "/v1/call", token, """{"stage":"system://","verb":"uptime"}""");
        Assert.True(status is 400 or 503, body);
        var error = JsonNode.Parse(body)!["error"]!;
        var message = error["message"]!.GetValue<string>();
        Assert.True(message.Contains($"line {brokenLine}, column 6", StringComparison.Ordinal), message);
        Assert.DoesNotContain("Tomlyn", message);
        Assert.DoesNotContain("converter", message);
        Assert.DoesNotContain("Exception", message);
        Assert.Contains($"Fix line {brokenLine}", error["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Token_create_with_an_undefined_role_warns_on_stderr_under_format_raw()
    {
        var run = ReshBinary.Run(["token", "create", "name=x", "role=nosuch", "--format", "raw"], env: new Dictionary<string, string> { ["RESH_HOME"] = _state, ["RESH_CONFIG"] = _config });
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches("^resh_[A-Za-z0-9_-]+\n$", run.Stdout);
        Assert.Contains("warning:", run.Stderr);
        Assert.Contains("[roles.nosuch]", run.Stderr);
        // A defined role: no warning.
        run = ReshBinary.Run(["token", "create", "name=y", "role=ops", "--format", "raw"], env: new Dictionary<string, string> { ["RESH_HOME"] = _state, ["RESH_CONFIG"] = _config });
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("warning", run.Stderr);
    }

    [Fact]
    public async Task OpenApi_error_responses_are_the_envelope_schema_with_its_properties()
    {
        var server = Start();
        var (status, body, _) = await SendAsync(HttpMethod.Get, server.Url + "/openapi.json", null);
        Assert.Equal(200, status);
        var doc = JsonNode.Parse(body)!;
        var envelope = doc["components"]!["schemas"]!["Envelope"]!;
        var properties = envelope["properties"]!.AsObject();
        foreach (var required in envelope["required"]!.AsArray()) Assert.True(properties.ContainsKey(required!.GetValue<string>()), required.ToJsonString());
        Assert.Contains("permission_denied", properties["error"]!["anyOf"]![0]!["properties"]!["code"]!["enum"]!.AsArray().Select(c => c!.GetValue<string>()));
        var responses = doc["paths"]!["/v1/call/system.uptime"]!["post"]!["responses"]!;
        Assert.Equal("#/components/responses/Error", responses["default"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/responses/Denied", responses["403"]!["$ref"]!.GetValue<string>());
        foreach (var (name, response) in doc["components"]!["responses"]!.AsObject())
            Assert.Equal("#/components/schemas/Envelope", response!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        // No schema in the document has `required` names it does not define (what Redocly flagged 1,095 times).
        var undefined = new List<string>();
        Walk(doc, "", undefined);
        Assert.True(undefined.Count == 0, string.Join("\n", undefined.Take(10)));
    }

    [Fact]
    public async Task Mcp_get_stream_delivers_tools_list_changed_with_event_ids_when_a_plugin_is_installed()
    {
        File.AppendAllText(_config, "\n[roles.agent]\nallow = [\"system.*\", \"hellob.*\"]\nexec = true\n"); // a plugin's verbs run its program
        var server = Start("--mcp");
        var token = server.Token("agent", "agent");
        var mcp = server.Url + "/mcp";
        var (status, body, resp) = await SendAsync(HttpMethod.Post, mcp, token,
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""", mcp: true);
        Assert.True(status == 200, body);
        var session = resp.Headers.GetValues("Mcp-Session-Id").Single();
        const string list = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";
        (status, body, _) = await SendAsync(HttpMethod.Post, mcp, token, list, session, mcp: true);
        Assert.True(status == 200 && body.Contains("system_uptime") && !body.Contains("hellob_greet"), body);

        // A GET without a session or without text/event-stream in Accept is refused.
        Assert.Equal(400, (await SendAsync(HttpMethod.Get, mcp, token, mcp: true)).Status);
        using (var req = new HttpRequestMessage(HttpMethod.Get, mcp))
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            req.Headers.Accept.ParseAdd("application/json");
            req.Headers.Add("Mcp-Session-Id", session);
            Assert.Equal(406, (int)(await Http.SendAsync(req)).StatusCode);
        }

        using var events = await OpenStreamAsync(mcp, token, session, null);
        Assert.StartsWith("text/event-stream", events.Response.Content.Headers.ContentType!.ToString());
        var install = ReshBinary.Run(["plugin://.install", "from=" + Path.Combine(ReshBinary.RepoRoot, "tests", "Resh.Handles.Tests", "Plugin", "Samples", "hello-bash"), "--format", "json"],
            env: new Dictionary<string, string>(server.Env));
        Assert.True(install.ExitCode == 0, install.ToString());
        var changed = await events.NextAsync(TimeSpan.FromSeconds(20));
        Assert.True(changed is not null, "no event on the GET stream within 20 s");
        Assert.Equal("1", changed!.Value.Id);
        Assert.Equal("notifications/tools/list_changed", JsonNode.Parse(changed.Value.Data)!["method"]!.GetValue<string>());
        // The session lists the new tool now.
        (status, body, _) = await SendAsync(HttpMethod.Post, mcp, token, list, session, mcp: true);
        Assert.True(status == 200 && body.Contains("hellob_greet"), body);

        // A client that reconnects with Last-Event-ID gets what came after it.
        using var again = await OpenStreamAsync(mcp, token, session, "0");
        var replayed = await again.NextAsync(TimeSpan.FromSeconds(10));
        Assert.True(replayed is { Id: "1" }, replayed?.ToString());
    }

    /// <summary>A GET /mcp event stream read in the background: the events (id, data) as they arrive.</summary>
    sealed class EventStream : IDisposable
    {
        readonly System.Threading.Channels.Channel<(string Id, string Data)> _events = System.Threading.Channels.Channel.CreateUnbounded<(string, string)>();
        readonly CancellationTokenSource _stop = new();
        public required HttpResponseMessage Response { get; init; }

        public void Start() => _ = Task.Run(async () =>
        {
            try
            {
                using var reader = new StreamReader(await Response.Content.ReadAsStreamAsync(_stop.Token));
                string? id = null, data = null;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (data is not null) _events.Writer.TryWrite((id ?? "", data));
                        id = data = null;
                    }
                    else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException) { }
            _events.Writer.TryComplete();
        });

        public async Task<(string Id, string Data)?> NextAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try { return await _events.Reader.ReadAsync(cts.Token); }
            catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException) { return null; }
        }

        public void Dispose()
        {
            _stop.Cancel();
            Response.Dispose();
        }
    }

    static async Task<EventStream> OpenStreamAsync(string url, string token, string session, string? lastEventId)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Accept.ParseAdd("text/event-stream");
        req.Headers.Add("Mcp-Session-Id", session);
        if (lastEventId is not null) req.Headers.Add("Last-Event-ID", lastEventId);
        var resp = await StreamHttp.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)resp.StatusCode);
        var stream = new EventStream { Response = resp };
        stream.Start();
        return stream;
    }

    static readonly HttpClient StreamHttp = new() { Timeout = Timeout.InfiniteTimeSpan };

    static void Walk(JsonNode? node, string path, List<string> undefined)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["required"] is JsonArray req && o["type"]?.ToJsonString() == "\"object\"" && o["properties"] is null && o["additionalProperties"] is null && o["$ref"] is null
                    && o["anyOf"] is null && o["oneOf"] is null && o["allOf"] is null && req.Count > 0)
                    undefined.Add(path);
                foreach (var (k, v) in o) Walk(v, path + "/" + k, undefined);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) Walk(a[i], path + "/" + i, undefined);
                break;
        }
    }
}
