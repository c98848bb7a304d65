using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// `resh serve` after the s37 reviews (issue 18): the token is checked from the head before any body is read, batch
/// answers stream, floods of refused requests are coalesced in the audit, roles are re-read, SIGTERM drains, the
/// OpenAPI document resolves. Each test starts the server as a process on a free loopback port.
/// </summary>
public sealed class ServeReviewTests : IDisposable
{
    readonly TempDir _dir = new("serve-review");
    readonly string _state;
    readonly string _data;
    readonly string _config;
    readonly List<Process> _servers = [];
    readonly TcpListener _slow;
    readonly CancellationTokenSource _stopSlow = new();
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public ServeReviewTests()
    {
        _state = _dir["state"];
        _data = _dir["data"];
        Directory.CreateDirectory(_data);
        File.WriteAllText(Path.Combine(_data, "notes.txt"), "hello rest\n");
        // A loopback HTTP server that answers after 3 s: a call that is still running when the test acts.
        _slow = new TcpListener(IPAddress.Loopback, 0);
        _slow.Start();
        _ = SlowServerAsync();
        _config = _dir.File("config.toml", Roles(withRead: true));
    }

    int SlowPort => ((IPEndPoint)_slow.LocalEndpoint).Port;

    string Roles(bool withRead) => $$"""
        [roles.ops]
        allow = ["system.*", {{(withRead ? $"\"file.read:file://{_data}/**\", " : "")}}"file.write:file://{{_data}}/**", "http.get:http://127.0.0.1:{{SlowPort}}/**"]

        [roles.viewer]
        allow = ["file.*:file://{{_data}}/**"]
        read_only = true

        [roles.render]
        allow = ["template.render:template://{{_data}}/**"]

        [roles.hooks]
        allow = ["webhook.listen:webhook://127.0.0.1:19000/**", "event.rules.add:event:///**", "event.rules.list"]
        """;

    async Task SlowServerAsync()
    {
        while (!_stopSlow.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _slow.AcceptTcpClientAsync(_stopSlow.Token); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[4096];
                        var got = new StringBuilder();
                        while (!got.ToString().Contains("\r\n\r\n"))
                        {
                            var n = await stream.ReadAsync(buffer);
                            if (n == 0) return;
                            got.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        }
                        await Task.Delay(3000);
                        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nslow\n"u8.ToArray());
                    }
                    catch (Exception) { }
                }
            });
        }
    }

    public void Dispose()
    {
        foreach (var p in _servers)
        {
            try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        _stopSlow.Cancel();
        _slow.Stop();
        _dir.Dispose();
    }

    Dictionary<string, string> Env => new() { ["RESH_HOME"] = _state, ["RESH_CONFIG"] = _config };

    ReshRun Resh(params string[] args) => ReshBinary.Run(args, env: Env);

    string Token(string name, string role)
    {
        var run = Resh("token", "create", $"name={name}", $"role={role}", "--format", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!["token"]!.GetValue<string>();
    }

    (string Url, Process Process, StringBuilder Stderr) StartServer(params string[] extra)
    {
        var port = LoopbackPorts.Free(1)[0];
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["serve", "--listen", $"127.0.0.1:{port}", .. extra]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        psi.Environment["NO_COLOR"] = "1";
        var listening = new ManualResetEventSlim();
        var stderr = new StringBuilder();
        var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) =>
        {
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data?.Contains("listening on http://127.0.0.1:" + port) == true) listening.Set();
        };
        p.Start();
        _servers.Add(p);
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Assert.True(listening.Wait(TimeSpan.FromSeconds(30)), "resh serve did not say it listens");
        return ($"http://127.0.0.1:{port}", p, stderr);
    }

    static async Task<(int Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string url, string? token, string? body = null)
    {
        using var req = new HttpRequestMessage(method, url);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["raw"] = text }; }
        catch (System.Text.Json.JsonException) { json = new JsonObject { ["raw"] = text }; }
        return ((int)resp.StatusCode, json, resp);
    }

    static Task<(int Status, JsonObject Body, HttpResponseMessage Response)> CallAsync(string url, string? token, string body) => SendAsync(HttpMethod.Post, url + "/v1/call", token, body);

    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    List<JsonObject> Audit() => File.Exists(Path.Combine(_state, "audit", "audit.jsonl"))
        ? File.ReadAllLines(Path.Combine(_state, "audit", "audit.jsonl")).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList()
        : [];

    static long RssKb(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return -1;
    }

    static void Signal(Process p, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, p.Id.ToString() }, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Sends a head announcing an 8 MiB body and part of the body; the status line that comes back within 5 s, or null.</summary>
    static async Task<string?> UnauthenticatedBigBodyAsync(int port, int sendBytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: {8 * 1024 * 1024}\r\n\r\n"));
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            var got = new StringBuilder();
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    got.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    if (got.ToString().Contains("\r\n")) break;
                }
            }
            catch (IOException) { }
            return got.Length > 0 ? got.ToString().Split("\r\n")[0] : null;
        });
        var chunk = new byte[64 * 1024];
        try
        {
            for (int sent = 0; sent < sendBytes && !reading.IsCompleted; sent += chunk.Length)
                await stream.WriteAsync(chunk);
        }
        catch (IOException) { } // the server answered and closed: a reset of the rest is expected
        return await Task.WhenAny(reading, Task.Delay(5000)) == reading ? await reading : null;
    }

    [Fact]
    public async Task Requests_without_a_token_are_refused_from_the_head_without_buffering_bodies_and_audited_coalesced()
    {
        var (url, server, _) = StartServer();
        var port = new Uri(url).Port;
        var before = RssKb(server.Id);
        // The body is never complete: a server that reads it before the token check would not answer within 5 s.
        Assert.Equal("HTTP/1.1 401 Unauthorized", await UnauthenticatedBigBodyAsync(port, 256 * 1024));
        // 100 clients each pushing (up to) 8 MiB, 50 at once: answered 401 from the head, memory stays small.
        var peak = before;
        for (int round = 0; round < 2; round++)
        {
            var tasks = Enumerable.Range(0, 50).Select(_ => UnauthenticatedBigBodyAsync(port, 8 * 1024 * 1024 - 1)).ToArray();
            while (!Task.WhenAll(tasks).IsCompleted) { peak = Math.Max(peak, RssKb(server.Id)); await Task.Delay(20); }
            Assert.All(await Task.WhenAll(tasks), s => Assert.Equal("HTTP/1.1 401 Unauthorized", s));
        }
        peak = Math.Max(peak, RssKb(server.Id));
        Assert.True(peak - before < 150 * 1024, $"RSS grew from {before} kB to {peak} kB");

        // 101 refusals from one client in well under a minute: one record now, one summary (coalesced=100) at shutdown.
        var anonymous = Audit().Where(r => r["identity"]!.GetValue<string>() == "anonymous").ToList();
        Assert.Single(anonymous);
        Assert.Equal("127.0.0.1", anonymous[0]["args"]!["client"]!.GetValue<string>());
        Assert.Equal("permission_denied", anonymous[0]["code"]!.GetValue<string>());
        Signal(server, "TERM");
        Assert.True(server.WaitForExit(20_000));
        Assert.Equal(0, server.ExitCode);
        anonymous = Audit().Where(r => r["identity"]!.GetValue<string>() == "anonymous").ToList();
        Assert.Equal(2, anonymous.Count);
        Assert.Equal(100, anonymous[1]["args"]!["coalesced"]!.GetValue<long>());
        Assert.True(Resh("audit", "verify", "--format", "json").Result!["intact"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_batch_answer_streams_each_line_when_its_call_ends()
    {
        var token = Token("ci", "ops");
        var (url, _, _) = StartServer();
        var batch = $$"""
            {"id":1,"stage":"system://","verb":"uptime"}
            {"id":2,"stage":"http://127.0.0.1:{{SlowPort}}/x","verb":"get"}
            {"id":3,"stage":"nosuch://x","verb":"read"}

            """;
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/batch") { Content = new StringContent(batch, Encoding.UTF8, "application/x-ndjson") };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var clock = Stopwatch.StartNew();
        using var resp = await Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)resp.StatusCode);
        Assert.True(resp.Headers.TransferEncodingChunked, resp.ToString());
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!.AsObject();
        var firstAt = clock.Elapsed;
        Assert.Equal((1, "ok"), (first["id"]!.GetValue<int>(), Code(first)));
        var second = JsonNode.Parse((await reader.ReadLineAsync())!)!.AsObject();
        var secondAt = clock.Elapsed;
        Assert.Equal((2, "ok"), (second["id"]!.GetValue<int>(), Code(second)));
        Assert.True(secondAt - firstAt > TimeSpan.FromSeconds(2), $"the first line came at {firstAt}, the second at {secondAt}: not streamed");
        var third = JsonNode.Parse((await reader.ReadLineAsync())!)!.AsObject();
        Assert.Equal((3, "not_found"), (third["id"]!.GetValue<int>(), Code(third)));
        Assert.Null(await reader.ReadLineAsync());
    }

    [Fact]
    public async Task Bad_requests_are_answered_precisely_and_audited_with_what_was_asked()
    {
        var token = Token("ci", "ops");
        var (url, _, _) = StartServer();
        // s37 user #12: an unknown handle is not_found on both routes.
        var (s, e, _) = await CallAsync(url, token, """{"stage":"nosuch://x","verb":"read"}""");
        Assert.Equal((404, "not_found"), (s, Code(e)));
        (s, e, _) = await SendAsync(HttpMethod.Post, url + "/v1/call/nosuch.read", token, "{}");
        Assert.Equal((404, "not_found"), (s, Code(e)));
        // s37 user #11: the refusal's audit record names the stage and verb asked for.
        (s, e, _) = await CallAsync(url, token, $$"""{"stage":"file://{{_data}}/notes.txt","verb":"read","timeout":"-1s"}""");
        Assert.Equal((400, "usage"), (s, Code(e)));
        var audit = Audit().Where(r => r["identity"]!.GetValue<string>() == "token:ci").ToList();
        Assert.Contains(audit, r => r["handle"]!.GetValue<string>() == "nosuch" && r["verb"]!.GetValue<string>() == "read" && r["target"]!.GetValue<string>() == "nosuch://x");
        Assert.Contains(audit, r => r["handle"]!.GetValue<string>() == "file" && r["verb"]!.GetValue<string>() == "read" && r["code"]!.GetValue<string>() == "usage");

        // s37 user #8: id is echoed first in the envelope, on both routes.
        (s, e, _) = await CallAsync(url, token, """{"id":"abc-1","stage":"system://","verb":"uptime"}""");
        Assert.Equal((200, "abc-1"), (s, e["id"]!.GetValue<string>()));
        Assert.True(e["ok"]!.GetValue<bool>());
        (s, e, _) = await SendAsync(HttpMethod.Post, url + "/v1/call/system.uptime", token, """{"id":7}""");
        Assert.Equal((200, 7), (s, e["id"]!.GetValue<int>()));
        (s, e, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime"}""");
        Assert.Null(e["id"]);

        // s37 user #10: a duplicate key is named as such; a line that is not UTF-8 is refused, not run with U+FFFD.
        var marker = Path.Combine(_data, "m\uFFFD");
        var body = new MemoryStream();
        body.Write("{\"id\":1,\"stage\":\"system://\",\"verb\":\"uptime\",\"verb\":\"uptime\"}\n"u8);
        body.Write(Encoding.UTF8.GetBytes($"{{\"id\":2,\"stage\":\"file://{_data}/m"));
        body.WriteByte(0xff);
        body.Write("\",\"verb\":\"write\",\"args\":{\"content\":\"x\"}}\n"u8);
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/batch") { Content = new ByteArrayContent(body.ToArray()) };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var lines = (await (await Http.SendAsync(req)).Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("usage", Code(lines[0]));
        Assert.Contains("twice", lines[0]["error"]!["message"]!.GetValue<string>());
        Assert.Equal("usage", Code(lines[1]));
        Assert.Contains("UTF-8", lines[1]["error"]!["message"]!.GetValue<string>());
        Assert.False(File.Exists(marker));
        Assert.Single(Directory.GetFiles(_data)); // notes.txt only

        // s37 user #13: HEAD /healthz is 200 with the head only.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(url).Port);
        await client.GetStream().WriteAsync("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var answer = await new StreamReader(client.GetStream()).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer);
        Assert.EndsWith("\r\n\r\n", answer);
        Assert.DoesNotContain("serving", answer);
    }

    [Fact]
    public async Task Roles_are_reread_when_the_config_file_changes_and_on_sighup()
    {
        var token = Token("ci", "ops");
        var (url, server, _) = StartServer();
        var read = $$"""{"stage":"file://{{_data}}/notes.txt","verb":"read"}""";
        Assert.Equal(200, (await CallAsync(url, token, read)).Status);
        var wide = Roles(withRead: true);
        var narrow = Roles(withRead: false);
        narrow = narrow + "#" + new string('x', wide.Length - narrow.Length - 2) + "\n"; // the same size: the mtime shows the change
        File.WriteAllText(_config, narrow); // narrowed while serving
        var (s, e, _) = await CallAsync(url, token, read);
        Assert.Equal((403, "permission_denied"), (s, Code(e)));

        // An edit the file's size and mtime do not show is taken on SIGHUP.
        var stamp = File.GetLastWriteTimeUtc(_config);
        File.WriteAllText(_config, wide);
        File.SetLastWriteTimeUtc(_config, stamp);
        Assert.Equal(403, (await CallAsync(url, token, read)).Status);
        Signal(server, "HUP");
        for (int i = 0; i < 50 && (await CallAsync(url, token, read)).Status != 200; i++) await Task.Delay(100);
        Assert.Equal(200, (await CallAsync(url, token, read)).Status);

        // A config that no longer parses refuses everything rather than keep the old grants.
        File.WriteAllText(_config, "[roles.ops\nallow = [");
        (s, e, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal((503, "unavailable"), (s, Code(e)));
        Assert.False(server.HasExited);
    }

    [Fact]
    public async Task A_config_edited_after_start_and_before_the_first_request_is_in_force_at_it()
    {
        // s38 user #3: the roles were stamped at the first request, so an edit between start and then was never seen.
        var token = Token("ci", "ops");
        var (url, _, _) = StartServer();
        var wide = Roles(withRead: true);
        var narrow = Roles(withRead: false);
        File.WriteAllText(_config, narrow + "#" + new string('x', wide.Length - narrow.Length - 2) + "\n");
        var (s, e, _) = await CallAsync(url, token, $$"""{"stage":"file://{{_data}}/notes.txt","verb":"read"}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
    }

    [Fact]
    public async Task A_stage_run_later_by_the_server_is_refused_like_a_command()
    {
        // s38 attacker #14, #13: webhook.listen action= and event.rules.add run= name a stage the server runs later as
        // itself, outside the role's check; like template.render validate=, they are refused on server surfaces.
        var token = Token("hooks", "hooks");
        var (url, _, _) = StartServer();
        var marker = Path.Combine(_data, "pwned");
        var with = new JsonObject { ["argv"] = new JsonArray("touch", marker) }.ToJsonString();
        var listen = $$$"""{"stage":"webhook://127.0.0.1:19000/x","verb":"listen","timeout":"3s","args":{"secret":"s3cret-s3cret-s3cret","count":1,"action":"proc://.spawn","with":{{{with}}} } }""";
        var (s, e, _) = await CallAsync(url, token, listen);
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("`action`", e["error"]!["message"]!.GetValue<string>());
        var rule = $$$"""{"stage":"event:///deploy","verb":"rules.add","args":{"name":"deploy.x","run":"proc://.spawn","with":{{{with}}} } }""";
        (s, e, _) = await CallAsync(url, token, rule);
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("`run`", e["error"]!["message"]!.GetValue<string>());
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_request_from_a_foreign_web_page_is_refused_before_it_runs()
    {
        // s38 user #1: a browser sends a client certificate or Basic login by itself, so a page of another site could
        // use them; its Origin says where it comes from. Programs send no Origin; a loopback page may call.
        var token = Token("ci", "ops");
        var (url, _, _) = StartServer();
        var target = Path.Combine(_data, "csrf.txt");
        var body = $$$"""{"stage":"file://{{{target}}}","verb":"write","args":{"content":"x"}}""";
        using (var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/call"))
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            req.Headers.Add("Origin", "https://evil.example");
            req.Content = new StringContent(body, Encoding.UTF8, "text/plain");
            var resp = await Http.SendAsync(req);
            Assert.Equal(403, (int)resp.StatusCode);
            Assert.Contains("permission_denied", await resp.Content.ReadAsStringAsync());
        }
        Assert.False(File.Exists(target));
        using (var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/call"))
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            req.Headers.Add("Origin", "http://127.0.0.1:3000");
            req.Content = new StringContent(body, Encoding.UTF8, "application/json");
            var resp = await Http.SendAsync(req);
            Assert.Equal(200, (int)resp.StatusCode);
        }
        Assert.Equal("x", File.ReadAllText(target));
    }

    [Fact]
    public async Task Sigterm_lets_the_call_in_flight_finish_and_exits_0()
    {
        var token = Token("ci", "ops");
        var (url, server, stderr) = StartServer();
        var call = CallAsync(url, token, $$"""{"stage":"http://127.0.0.1:{{SlowPort}}/x","verb":"get"}""");
        await Task.Delay(700);
        Signal(server, "TERM");
        await Task.Delay(300);
        // No longer accepting.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, new Uri(url).Port);
            await c.GetStream().WriteAsync("GET /healthz HTTP/1.1\r\n\r\n"u8.ToArray());
            if (await c.GetStream().ReadAsync(new byte[16]) <= 0) throw new IOException("closed");
        });
        var (s, e, _) = await call;
        Assert.Equal(200, s);
        Assert.Contains("slow", e["result"]!.ToJsonString());
        Assert.True(server.WaitForExit(20_000));
        Assert.Equal(0, server.ExitCode);
        lock (stderr) Assert.Contains("stopping", stderr.ToString());
        var records = Audit().Where(r => r["verb"]!.GetValue<string>() == "get").ToList();
        Assert.Equal("ok", records[^1]["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Openapi_resolves_every_reference_names_a_server_and_keeps_only_examples_that_match()
    {
        var token = Token("ci", "ops");
        var (url, _, _) = StartServer();
        var (status, doc, _) = await SendAsync(HttpMethod.Get, url + "/openapi.json", null);
        Assert.Equal(200, status);
        Assert.NotEmpty(doc["servers"]!.AsArray());
        int refs = 0, examples = 0;
        void Walk(JsonNode? node, string at)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        if (k == "$ref")
                        {
                            var r = v!.GetValue<string>();
                            Assert.StartsWith("#/", r);
                            Assert.True(Resolve(doc, r) is not null, $"{at}: $ref {r} does not resolve");
                            refs++;
                        }
                        else if (k == "examples" && o["type"] is not null && v is JsonArray ex && !at.EndsWith("/properties", StringComparison.Ordinal))
                        {
                            foreach (var x in ex) { Assert.True(TypeMatches(o["type"]!, x, o["items"] as JsonObject), $"{at}: example {x?.ToJsonString()} is not {o["type"]!.ToJsonString()}"); examples++; }
                        }
                        else Walk(v, at + "/" + k);
                    }
                    Assert.Null(o["$id"]);
                    break;
                case JsonArray a:
                    for (int i = 0; i < a.Count; i++) Walk(a[i], at + "/" + i);
                    break;
            }
        }
        Walk(doc, "#");
        Assert.True(refs > 300, $"{refs} references");
        Assert.True(examples > 50, $"{examples} examples");
        // The per-verb body takes id, as the route does.
        var body = doc["paths"]!["/v1/call/file.read"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        Assert.NotNull(body["properties"]!["id"]);
        Assert.NotNull(Resolve(doc, body["properties"]!["args"]!["$ref"]!.GetValue<string>())!["properties"]!["max_size"]);
        // Without plugins installed the document with a token is the same one.
        var (_, withToken, _) = await SendAsync(HttpMethod.Get, url + "/openapi.json", token);
        Assert.Equal(doc["paths"]!.AsObject().Count, withToken["paths"]!.AsObject().Count);
    }

    [Fact]
    public async Task A_role_without_allow_reveal_renders_templates_but_their_secret_calls_are_refused()
    {
        var token = Token("r", "render");
        var (url, _, _) = StartServer();
        File.WriteAllText(Path.Combine(_data, "t.j2"), "port={{ port }}\n");
        File.WriteAllText(Path.Combine(_data, "s.j2"), "pw={{ secret('db_pw') }}\n");
        var dest = Path.Combine(_data, "out.conf");
        var (s, e, _) = await CallAsync(url, token, $$$"""{"stage":"template://{{{_data}}}/t.j2","verb":"render","args":{"dest":"{{{dest}}}","vars":{"port":8080} } }""");
        Assert.True(s == 200, e.ToJsonString());
        Assert.Equal("port=8080\n", File.ReadAllText(dest));
        var other = Path.Combine(_data, "secret.conf");
        (s, e, _) = await CallAsync(url, token, $$$"""{"stage":"template://{{{_data}}}/s.j2","verb":"render","args":{"dest":"{{{other}}}"}}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("secret(", e["error"]!["message"]!.GetValue<string>());
        Assert.Contains("allow_reveal", e["error"]!["hint"]!.GetValue<string>());
        Assert.DoesNotContain("MCP server", e.ToJsonString());
        Assert.False(File.Exists(other));
        // validate= (a command) stays refused over REST, naming it.
        (s, e, _) = await CallAsync(url, token, $$$"""{"stage":"template://{{{_data}}}/t.j2","verb":"render","args":{"dest":"{{{dest}}}","validate":["true","%s"]}}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("validate", e["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Token_list_is_json_when_piped_a_raw_create_prints_the_bare_token_and_validate_needs_dest()
    {
        var raw = Resh("token", "create", "name=bare", "role=ops", "--format", "raw");
        Assert.Equal(0, raw.ExitCode);
        Assert.Matches("^resh_[A-Za-z0-9_-]{43}\n$", raw.Stdout);
        var list = Resh("token", "list"); // stdout is a pipe: auto means JSON
        Assert.Equal(0, list.ExitCode);
        Assert.Equal("bare", JsonNode.Parse(list.Stdout)!["result"]!["tokens"]![0]!["name"]!.GetValue<string>());
        // s37 user #17: the usage line of `resh serve` names every flag.
        var help = Resh("help", "serve");
        foreach (var flag in new[] { "--listen", "--tls-cert", "--allow-plaintext", "--max-connections", "--max-per-client" })
            Assert.Contains(flag, help.Stdout.Split('\n').First(l => l.TrimStart().StartsWith("resh serve [", StringComparison.Ordinal)));
        var render = Resh("template://", "render", "--args", """{"inline":"x","validate":["true","%s"]}""");
        Assert.Equal(2, render.ExitCode);
        Assert.Equal("usage", render.ErrorCode);
        Assert.Contains("dest", render.Envelope["error"]!["message"]!.GetValue<string>());
    }

    static JsonNode? Resolve(JsonNode doc, string pointer)
    {
        JsonNode? node = doc;
        foreach (var raw in pointer[2..].Split('/'))
        {
            var part = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(part, out var v) ? v : null,
                JsonArray a => int.TryParse(part, out var i) && i < a.Count ? a[i] : null,
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    static bool TypeMatches(JsonNode type, JsonNode? value, JsonObject? items)
    {
        var kind = value?.GetValueKind() ?? System.Text.Json.JsonValueKind.Null;
        var types = type is JsonArray ta ? ta.Select(t => t!.GetValue<string>()).ToArray() : [type.GetValue<string>()];
        return types.Any(t => t switch
        {
            "string" => kind == System.Text.Json.JsonValueKind.String,
            "boolean" => kind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
            "number" or "integer" => kind == System.Text.Json.JsonValueKind.Number,
            "array" => kind == System.Text.Json.JsonValueKind.Array && (items?["type"] is not { } it || ((JsonArray)value!).All(i => TypeMatches(it, i, null))),
            "object" => kind == System.Text.Json.JsonValueKind.Object,
            "null" => kind == System.Text.Json.JsonValueKind.Null,
            _ => true,
        });
    }
}
