using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using static Resh.TestSupport.ProcessProbe;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// `resh serve` after the s38 reviews (issue 18, security leftovers): a call whose client has gone is cancelled (REST,
/// /v1/batch, /mcp), a request's timeout is capped, failed LDAP logins are throttled, unverified LDAP names never name an
/// audit record, {user} is substituted once, http path arguments are judged as files, the rate counts each batch line,
/// a rate-limited /mcp POST is a JSON-RPC error, and a drain closes kept-alive connections. Each test starts the server
/// as a process on a free loopback port; the LDAP server is a small fake on loopback (binds "good" succeed).
/// </summary>
public sealed class ServeSecTests : IDisposable
{
    readonly TempDir _dir = new("serve-sec");
    readonly string _state;
    readonly string _data;
    readonly List<Process> _servers = [];
    readonly List<IDisposable> _fakes = [];
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public ServeSecTests()
    {
        _state = _dir["state"];
        _data = _dir["data"];
        Directory.CreateDirectory(_data);
        File.WriteAllText(Path.Combine(_data, "notes.txt"), "hello\n");
        File.WriteAllText(Path.Combine(_data, "log.txt"), "start\n");
    }

    public void Dispose()
    {
        foreach (var p in _servers)
        {
            try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var f in _fakes) f.Dispose();
        _dir.Dispose();
    }

    string Roles => $$"""
        [roles.ro]
        allow = ["file.*:file://{{_data}}/**", "system.*"]
        read_only = true

        [roles.web2]
        allow = ["http.*:http://**"]

        [roles.web3]
        allow = ["http.*:http://**", "http.*:file://{{_data}}/**"]

        [roles.ops]
        allow = ["system.*"]
        """;

    string Config(string extra = "") => _dir.File("config.toml", Roles + "\n" + extra);

    Dictionary<string, string> Env(string config) => new() { ["RESH_HOME"] = _state, ["RESH_CONFIG"] = config };

    string Token(string config, string name, string role)
    {
        var run = ReshBinary.Run(["token", "create", $"name={name}", $"role={role}", "--format", "json"], env: Env(config));
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!["token"]!.GetValue<string>();
    }

    (string Url, int Port, Process Process, StringBuilder Stderr) Start(string config, params string[] extra)
    {
        var port = LoopbackPorts.Free(1)[0];
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["serve", "--listen", $"127.0.0.1:{port}", .. extra]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env(config)) psi.Environment[k] = v;
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
        Assert.True(listening.Wait(TimeSpan.FromSeconds(30)), "resh serve did not say it listens: " + stderr);
        return ($"http://127.0.0.1:{port}", port, p, stderr);
    }

    static async Task<(int Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpClient http, HttpMethod method, string url, AuthenticationHeaderValue? auth, string? body = null)
    {
        using var req = new HttpRequestMessage(method, url);
        req.Headers.Authorization = auth;
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var resp = await http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["raw"] = text }; }
        catch (System.Text.Json.JsonException) { json = new JsonObject { ["raw"] = text }; }
        return ((int)resp.StatusCode, json, resp);
    }

    static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
    static AuthenticationHeaderValue Basic(string user, string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    /// <summary>A raw HTTP/1.1 request on a new connection; the connection is returned open (the caller closes it).</summary>
    static async Task<TcpClient> SendRawAsync(int port, string method, string path, string? token, string? body, string? extraHeaders = null)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var bytes = body is null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(body);
        var head = $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + (token is null ? "" : $"Authorization: Bearer {token}\r\n")
            + (body is null ? "" : $"Content-Type: application/json\r\nContent-Length: {bytes.Length}\r\n") + (extraHeaders ?? "") + "\r\n";
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray());
        return client;
    }

    /// <summary>Whatever the server sent on <paramref name="client"/> within two seconds: for a failing test's message.</summary>
    static async Task<string> WhatCameBackAsync(TcpClient client)
    {
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var n = await client.GetStream().ReadAsync(buffer, cts.Token);
            return n == 0 ? "(the connection closed)" : Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException) { return "(nothing yet)"; }
        catch (IOException e) { return "(" + e.Message + ")"; }
    }

    /// <summary>Reads one answer with a Content-Length body from a kept-alive connection: status line, headers, body.</summary>
    static async Task<(int Status, string Head, string Body)> ReadAnswerAsync(NetworkStream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var got = new List<byte>();
        var one = new byte[1];
        while (!(got.Count >= 4 && got[^4] == '\r' && got[^3] == '\n' && got[^2] == '\r' && got[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, cts.Token) == 0) return (0, Encoding.ASCII.GetString(got.ToArray()), "");
            got.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(got.ToArray());
        var length = 0;
        foreach (var line in head.Split("\r\n"))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim());
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cts.Token);
        return (int.Parse(head.Split(' ')[1]), head, Encoding.UTF8.GetString(body));
    }

    // ---- #10: a call whose client has gone is cancelled ----

    [Fact]
    public async Task Abandoned_rest_follows_are_cancelled_and_free_their_connection_slots()
    {
        var config = Config();
        var (url, port, server, stderr) = Start(config, "--max-per-client", "3");
        var token = Token(config, "ro", "ro");
        var log = Path.Combine(_data, "log.txt");
        var call = $$"""{"stage":"file://{{log}}","verb":"tail","args":{"follow":true},"timeout":"30m"}""";
        for (int i = 0; i < 5; i++)
        {
            // Every other client streams (Accept: application/x-ndjson) and sees the file's line before it leaves.
            var streams = i % 2 == 0;
            using var client = await SendRawAsync(port, "POST", "/v1/call", token, call, streams ? "Accept: application/x-ndjson\r\n" : null);
            if (streams)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var seen = new StringBuilder();
                var buffer = new byte[4096];
                while (!seen.ToString().Contains("\"line\":\"start\""))
                {
                    var n = await client.GetStream().ReadAsync(buffer, cts.Token);
                    Assert.True(n > 0, "the stream ended before its first line: " + seen);
                    seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
                Assert.Contains("application/x-ndjson", seen.ToString());
            }
            else await Task.Delay(400);
        } // each client closes its connection while its follow runs
        Assert.True(await EventuallyAsync(() => OpenOn(server.Id, log) == 0, TimeSpan.FromSeconds(10)),
            $"the server still follows {log} for clients that have gone ({OpenOn(server.Id, log)} descriptors)");
        // The slots are free: this client address is served again.
        var (status, _, _) = await SendAsync(Http, HttpMethod.Get, url + "/healthz", null);
        Assert.Equal(200, status);
        // The calls are audited as interrupted, not left running.
        var audit = File.ReadAllLines(Path.Combine(_state, "audit", "audit.jsonl"));
        Assert.Contains(audit, l => l.Contains("\"verb\":\"tail\"") && l.Contains("interrupted"));
    }

    [Fact]
    public async Task A_request_timeout_above_the_cap_is_refused()
    {
        var config = Config();
        var (url, _, _, _) = Start(config);
        var token = Token(config, "ops", "ops");
        var (status, env, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(token), """{"stage":"system://","verb":"uptime","timeout":"2h"}""");
        Assert.True((status, Code(env)) == (400, "usage"), env.ToJsonString());
        Assert.Contains("1h", env["error"]!["message"]!.GetValue<string>().Replace(" ", ""));
        (status, env, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(token), """{"stage":"system://","verb":"uptime","timeout":"59m"}""");
        Assert.True(status == 200, env.ToJsonString());
    }

    [Fact]
    public async Task Abandoned_batch_and_mcp_calls_are_cancelled()
    {
        var config = Config();
        var (url, port, server, _) = Start(config, "--mcp");
        var token = Token(config, "ro", "ro");
        var log = Path.Combine(_data, "log.txt");
        using (var client = await SendRawAsync(port, "POST", "/v1/batch", token, $$"""{"id":1,"stage":"file://{{log}}","verb":"tail","args":{"follow":true},"timeout":"30m"}""" + "\n"))
            Assert.True(await EventuallyAsync(() => OpenOn(server.Id, log) == 1, TimeSpan.FromSeconds(30)), "the batch's follow did not start");
        Assert.True(await EventuallyAsync(() => OpenOn(server.Id, log) == 0, TimeSpan.FromSeconds(10)), "the batch's follow runs on after its client left");

        // MCP: a session, then a follow whose POST is abandoned (with and without progress: JSON and event stream).
        using var init = new HttpRequestMessage(HttpMethod.Post, url + "/mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", Encoding.UTF8, "application/json"),
        };
        init.Headers.Authorization = Bearer(token);
        init.Headers.Accept.ParseAdd("application/json");
        init.Headers.Accept.ParseAdd("text/event-stream");
        var opened = await Http.SendAsync(init);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var sid = opened.Headers.GetValues("Mcp-Session-Id").Single();
        foreach (var meta in new[] { "", ""","_meta":{"progressToken":7}""" })
        {
            var body = $$$"""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"file_tail","arguments":{"target":"file://{{{log}}}","follow":true}{{{meta}}}}}""";
            using (var client = await SendRawAsync(port, "POST", "/mcp", token, body, $"Mcp-Session-Id: {sid}\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"))
            {
                if (!await EventuallyAsync(() => OpenOn(server.Id, log) == 1, TimeSpan.FromSeconds(60)))
                    Assert.Fail($"the MCP follow did not start (open: {OpenOn(server.Id, log)}); the server answered: {await WhatCameBackAsync(client)}");
                File.AppendAllText(log, "more\n"); // progress: the answer becomes an event stream
                await Task.Delay(300);
            }
            Assert.True(await EventuallyAsync(() => OpenOn(server.Id, log) == 0, TimeSpan.FromSeconds(10)), "the MCP follow runs on after its client left");
        }
    }

    // ---- LDAP (#3, #4, #12) against FakeLdap ----

    string LdapConfig(FakeLdap ldap, string extra = "", int timeout = 15) => Config($$"""
        [serve.ldap]
        url = "ldap://127.0.0.1:{{ldap.Port}}"
        user_dn = "uid={user},ou=people,dc=ex"
        timeout = {{timeout}}
        {{extra}}

        [serve.ldap.groups]
        "cn=ops,ou=groups,dc=ex" = "ops"
        """);

    /// <summary>An HTTP client whose connections come from <paramref name="local"/> (127.0.0.X: another client address on loopback).</summary>
    static HttpClient From(string local) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (ctx, ct) =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                s.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
                await s.ConnectAsync(ctx.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            }
            catch { s.Dispose(); throw; }
        },
    }) { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Failed_ldap_logins_are_throttled_per_user_name_and_address_and_a_success_resets()
    {
        using var ldap = new FakeLdap();
        var config = LdapConfig(ldap);
        var (url, _, _, _) = Start(config);
        var call = url + "/v1/call";
        const string Uptime = """{"stage":"system://","verb":"uptime"}""";
        var statuses = new List<int>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 8; i++)
        {
            var (status, env, resp) = await SendAsync(Http, HttpMethod.Post, call, Basic(i % 2 == 0 ? "alice" : "ALICE", "guess" + i), Uptime);
            statuses.Add(status);
            if (status == 429) { limited = resp; Assert.Equal("unavailable", Code(env)); }
        }
        // Five guesses reach the directory; then the name is held back (any spelling of it), without asking the directory.
        Assert.Equal(new[] { 401, 401, 401, 401, 401, 429, 429, 429 }, statuses);
        Assert.Equal(5, ldap.Binds.Count(b => b.Equals("uid=alice,ou=people,dc=ex", StringComparison.OrdinalIgnoreCase)));
        var retry = int.Parse(limited!.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retry, 1, 60);
        // Another user from the same address is not held back.
        Assert.Equal(200, (await SendAsync(Http, HttpMethod.Post, call, Basic("bob", "good"), Uptime)).Status);
        // After the wait the right password logs in, and the success resets the name's count.
        await Task.Delay(TimeSpan.FromSeconds(retry) + TimeSpan.FromMilliseconds(300));
        Assert.Equal(200, (await SendAsync(Http, HttpMethod.Post, call, Basic("alice", "good"), Uptime)).Status);
        Assert.Equal(401, (await SendAsync(Http, HttpMethod.Post, call, Basic("alice", "guess-again"), Uptime)).Status);

        // Guessing alice's password from many addresses: after 20 failures in all, the name is held back everywhere
        // except where alice logged in before (127.0.0.1), so others cannot lock her out.
        var tasks = Enumerable.Range(2, 5).Select(async n =>
        {
            using var other = From($"127.0.0.{n}");
            var got = new List<int>();
            for (int i = 0; i < 5; i++) got.Add((await SendAsync(other, HttpMethod.Post, call, Basic("alice", $"x{n}-{i}"), Uptime)).Status);
            return got;
        }).ToList();
        var all = (await Task.WhenAll(tasks)).SelectMany(g => g).ToList();
        Assert.Contains(429, all);
        Assert.True(ldap.Binds.Count(b => b == "uid=alice,ou=people,dc=ex") <= 5 + 1 + 1 + 20, string.Join(",", all));
        ldap.Binds.Clear();
        using (var fresh = From("127.0.0.9"))
            Assert.Equal(429, (await SendAsync(fresh, HttpMethod.Post, call, Basic("alice", "guess-from-9"), Uptime)).Status);
        Assert.Empty(ldap.Binds);
        Assert.Equal(401, (await SendAsync(Http, HttpMethod.Post, call, Basic("alice", "wrong-from-home"), Uptime)).Status);
        Assert.Single(ldap.Binds); // from her own address the directory is still asked
    }

    [Fact]
    public async Task A_login_whose_bind_is_cut_by_the_head_timeout_still_counts_as_a_guess()
    {
        // s39 attacker #13: the head arrives just before the 10 s head timeout, the bind goes out, the timeout ends the
        // request while the directory answers, and the guess was not counted: unlimited binds per name and address.
        using var ldap = new FakeLdap { BindDelay = TimeSpan.FromSeconds(5) };
        var config = LdapConfig(ldap);
        var (url, port, _, _) = Start(config);
        const string Body = """{"stage":"system://","verb":"uptime"}""";
        var auth = Basic("bob", "guess").Parameter;
        var cut = Enumerable.Range(0, 5).Select(async i =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/call HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Length: {Body.Length}\r\n"));
            await Task.Delay(TimeSpan.FromSeconds(7)); // the head ends 7 s in; the bind then needs 5 s, past the 10 s head timeout
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("\r\n" + Body));
                var buffer = new byte[4096];
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                while (await stream.ReadAsync(buffer, wait.Token) > 0) { }
            }
            catch (Exception) { } // the server may close first
        }).ToList();
        await Task.WhenAll(cut);
        await Task.Delay(TimeSpan.FromSeconds(6)); // every bind has been answered
        Assert.Equal(5, ldap.Binds.Count(b => b == "uid=bob,ou=people,dc=ex"));
        // Those five guesses count: after five failures each further one doubles the wait (1 s after the fifth, long
        // over by now; 2 s after the sixth), so the sixth reaches the directory and the seventh, at once, is held back.
        // Before the fix the cut binds were forgotten and both reached the directory.
        ldap.BindDelay = TimeSpan.Zero;
        Assert.Equal(401, (await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Basic("bob", "sixth"), Body)).Status);
        Assert.Equal(429, (await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Basic("bob", "seventh"), Body)).Status);
        Assert.Equal(6, ldap.Binds.Count(b => b == "uid=bob,ou=people,dc=ex"));
    }

    [Fact]
    public async Task While_ldap_is_slow_refusals_are_audited_as_anonymous_not_as_the_unverified_name()
    {
        using var ldap = new FakeLdap(slow: true);
        var config = LdapConfig(ldap, timeout: 2);
        var (url, _, _, _) = Start(config);
        // More logins at once than bind slots (8): the ones waiting past the timeout are refused 503.
        var tasks = Enumerable.Range(0, 12).Select(i => SendAsync(Http, HttpMethod.Post, url + "/v1/call", Basic("forged-" + i, "x"), """{"stage":"system://","verb":"uptime"}""")).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.Equal((503, "unavailable"), (r.Status, Code(r.Body))));
        var audit = File.ReadAllText(Path.Combine(_state, "audit", "audit.jsonl"));
        Assert.DoesNotContain("ldap:forged", audit);
        Assert.Contains("\"identity\":\"anonymous\"", audit.Replace(" ", ""));
        Assert.True(audit.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 2, audit); // coalesced per client
    }

    [Fact]
    public async Task User_is_substituted_once_in_the_group_filter()
    {
        using var ldap = new FakeLdap();
        var config = LdapConfig(ldap, """group_base = "ou=groups,dc=ex" """);
        var (url, _, _, _) = Start(config);
        var (status, env, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Basic("x{user}", "good"), """{"stage":"system://","verb":"uptime"}""");
        Assert.True(status == 200, env.ToJsonString());
        var group = ldap.Searches.Single(s => s.Contains("ou=groups,dc=ex"));
        Assert.Contains("uid=x{user},ou=people,dc=ex", group);
        Assert.DoesNotContain("xx{user}", group);
    }

    // ---- #8: path arguments of http verbs are judged as files ----

    [Fact]
    public async Task A_url_pattern_grants_no_local_file_to_http_path_arguments()
    {
        var config = Config();
        var (url, _, _, _) = Start(config);
        var web2 = Token(config, "web2", "web2");
        var web3 = Token(config, "web3", "web3");
        var closed = LoopbackPorts.Free(1)[0];
        var notes = Path.Combine(_data, "notes.txt");
        var secret = _dir.File("outside/secret.txt", "not for the web\n");
        var output = Path.Combine(_dir.Path, "outside", "written");
        foreach (var args in new[] { $$"""{"body":"@{{secret}}"}""", $$"""{"body":"@{{notes}}"}""" })
        {
            var (status, env, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(web2), $$"""{"stage":"http://127.0.0.1:{{closed}}/x","verb":"post","args":{{args}}}""");
            Assert.True((status, Code(env)) == (403, "permission_denied"), env.ToJsonString());
            Assert.Contains("file://", env["error"]!["message"]!.GetValue<string>());
        }
        var (s2, e2, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(web2), $$$"""{"stage":"http://127.0.0.1:{{{closed}}}/x","verb":"get","args":{"output":"{{{output}}}"}}""");
        Assert.True((s2, Code(e2)) == (403, "permission_denied"), e2.ToJsonString());
        Assert.False(File.Exists(output));
        // A file pattern grants the file; outside it stays refused.
        var (s3, e3, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(web3), $$$"""{"stage":"http://127.0.0.1:{{{closed}}}/x","verb":"post","args":{"body":"@{{{notes}}}"}}""");
        Assert.True(s3 != 403, e3.ToJsonString()); // granted: it fails only on the closed port
        var (s4, e4, _) = await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(web3), $$$"""{"stage":"http://127.0.0.1:{{{closed}}}/x","verb":"post","args":{"body":"@{{{secret}}}"}}""");
        Assert.True((s4, Code(e4)) == (403, "permission_denied"), e4.ToJsonString());
    }

    // ---- #11 / user #8, user #11: the rate counts calls; a limited /mcp POST is JSON-RPC ----

    [Fact]
    public async Task Each_batch_line_takes_a_token_of_the_rate()
    {
        var config = Config("""
            [serve]
            rate = "1/m"
            burst = 3
            """);
        var (url, _, _, _) = Start(config);
        var token = Token(config, "ops", "ops");
        var batch = string.Concat(Enumerable.Range(1, 10).Select(i => $$"""{"id":{{i}},"stage":"system://","verb":"uptime"}""" + "\n"));
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/batch") { Content = new StringContent(batch, Encoding.UTF8, "application/x-ndjson") };
        req.Headers.Authorization = Bearer(token);
        var resp = await Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var lines = (await resp.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(10, lines.Count);
        Assert.Equal(3, lines.Count(l => Code(l) == "ok"));
        Assert.All(lines.Skip(3), l =>
        {
            Assert.Equal("unavailable", Code(l));
            Assert.True(l["error"]!["details"]?["retry_after_s"]?.GetValue<int>() > 0, l.ToJsonString());
        });
        // The budget is spent: the next request is 429.
        Assert.Equal(429, (await SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(token), """{"stage":"system://","verb":"uptime"}""")).Status);
    }

    [Fact]
    public async Task A_rate_limited_mcp_post_is_answered_with_a_json_rpc_error()
    {
        var config = Config("""
            [serve]
            rate = "1/m"
            burst = 1
            """);
        var (url, _, _, _) = Start(config, "--mcp");
        var token = Token(config, "ops", "ops");
        const string Init = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";
        async Task<(int, JsonObject, HttpResponseMessage)> PostAsync()
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, url + "/mcp") { Content = new StringContent(Init, Encoding.UTF8, "application/json") };
            req.Headers.Authorization = Bearer(token);
            req.Headers.Accept.ParseAdd("application/json");
            req.Headers.Accept.ParseAdd("text/event-stream");
            var resp = await Http.SendAsync(req);
            return ((int)resp.StatusCode, JsonNode.Parse(await resp.Content.ReadAsStringAsync())!.AsObject(), resp);
        }
        Assert.Equal(200, (await PostAsync()).Item1);
        var (status, body, limited) = await PostAsync();
        Assert.Equal(429, status);
        Assert.Equal("2.0", body["jsonrpc"]?.GetValue<string>());
        Assert.Equal("unavailable", body["error"]!["data"]!["code"]!.GetValue<string>());
        Assert.True(body["error"]!["data"]!["retry_after_s"]!.GetValue<int>() > 0, body.ToJsonString());
        Assert.True(limited.Headers.Contains("Retry-After"));
    }

    // ---- user #21: a drain closes kept-alive connections ----

    [Fact]
    public async Task During_a_drain_kept_alive_connections_are_refused_and_healthz_says_draining()
    {
        var config = Config();
        var (url, port, server, _) = Start(config);
        var token = Token(config, "ro", "ro");
        using var k1 = new TcpClient();
        await k1.ConnectAsync(IPAddress.Loopback, port);
        using var k2 = new TcpClient();
        await k2.ConnectAsync(IPAddress.Loopback, port);
        async Task<(int Status, string Head, string Body)> OnAsync(TcpClient c, string method, string path, string? body)
        {
            var bytes = body is null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(body);
            var head = $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n" + (body is null ? "" : $"Content-Type: application/json\r\nContent-Length: {bytes.Length}\r\n") + "\r\n";
            await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray());
            return await ReadAnswerAsync(c.GetStream());
        }
        const string Uptime = """{"stage":"system://","verb":"uptime"}""";
        Assert.Equal(200, (await OnAsync(k1, "GET", "/healthz", null)).Status);
        Assert.Equal(200, (await OnAsync(k2, "POST", "/v1/call", Uptime)).Status);
        // A call in flight (a follow bounded at 3 s) keeps the drain going.
        var log = Path.Combine(_data, "log.txt");
        var inFlight = SendAsync(Http, HttpMethod.Post, url + "/v1/call", Bearer(token), $$"""{"stage":"file://{{log}}","verb":"tail","args":{"follow":true},"timeout":"3s"}""");
        Assert.True(await EventuallyAsync(() => OpenOn(server.Id, log) == 1, TimeSpan.FromSeconds(30)), "the follow did not start");
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", server.Id.ToString() }, UseShellExecute = false })!) kill.WaitForExit();
        await Task.Delay(300);
        var health = await OnAsync(k1, "GET", "/healthz", null);
        Assert.True(health.Status == 503, health.Head + health.Body);
        Assert.Contains("draining", health.Body);
        Assert.Contains("Connection: close", health.Head);
        var call = await OnAsync(k2, "POST", "/v1/call", Uptime);
        Assert.True(call.Status == 503, call.Head + call.Body);
        Assert.Contains("\"unavailable\"", call.Body);
        Assert.Contains("Connection: close", call.Head);
        var (status, env, resp) = await inFlight; // the call in flight still ends (at its timeout), its connection closed after it
        Assert.True(status is 200 or 504, env.ToJsonString());
        Assert.True(resp.Headers.ConnectionClose == true);
        Assert.True(server.WaitForExit(15_000));
    }
}

/// <summary>
/// A small LDAP server on loopback for resh serve's logins: a simple bind succeeds when the password is "good" (49
/// otherwise); a search answers one entry, the base, with memberOf cn=ops,ou=groups,dc=ex. It records the DNs bound
/// and the search requests (their bytes as Latin-1). Slow: accepts connections and never answers.
/// </summary>
internal sealed class FakeLdap : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    public readonly ConcurrentQueue<string> Binds = new();
    public readonly ConcurrentQueue<string> Searches = new();
    public bool Slow { get; init; }
    /// <summary>How long a bind waits (after it is counted) before its answer.</summary>
    public TimeSpan BindDelay { get; set; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public FakeLdap(bool slow = false)
    {
        Slow = slow;
        _listener.Start();
        _ = AcceptAsync();
    }

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try { s = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(s));
        }
    }

    async Task ServeAsync(Socket socket)
    {
        using var s = socket;
        using var stream = new NetworkStream(s);
        try
        {
            if (Slow) { await Task.Delay(Timeout.Infinite, _stop.Token); return; }
            while (true)
            {
                var (tag, content) = await ReadAsync(stream);
                if (tag != 0x30) return;
                var (idTag, idBytes, rest) = Split(content);
                var id = (int)idBytes.Aggregate(0L, (v, b) => (v << 8) | b);
                var (op, opContent, _) = Split(rest);
                switch (op)
                {
                    case 0x60: // bind: version, name, [0] password
                    {
                        var (_, _, r1) = Split(opContent);
                        var (_, dn, r2) = Split(r1);
                        var (_, pw, _) = Split(r2);
                        Binds.Enqueue(Encoding.UTF8.GetString(dn));
                        if (BindDelay > TimeSpan.Zero) await Task.Delay(BindDelay, _stop.Token);
                        await stream.WriteAsync(Msg(id, Tlv(0x61, Int(Encoding.UTF8.GetString(pw) == "good" ? 0 : 49, 0x0A), Str(""), Str(""))));
                        break;
                    }
                    case 0x63: // search: answer the base as an entry in cn=ops
                    {
                        Searches.Enqueue(Encoding.Latin1.GetString(opContent));
                        var (_, baseDn, _) = Split(opContent);
                        var entry = Tlv(0x64, Str(Encoding.UTF8.GetString(baseDn)),
                            Tlv(0x30, Tlv(0x30, Str("memberOf"), Tlv(0x31, Str("cn=ops,ou=groups,dc=ex")))));
                        await stream.WriteAsync(Msg(id, entry));
                        await stream.WriteAsync(Msg(id, Tlv(0x65, Int(0, 0x0A), Str(""), Str(""))));
                        break;
                    }
                    default: return; // unbind or anything else: close
                }
            }
        }
        catch (Exception) { }
    }

    static async Task<(byte Tag, byte[] Content)> ReadAsync(Stream stream)
    {
        var head = new byte[2];
        await stream.ReadExactlyAsync(head);
        long length = head[1];
        if ((head[1] & 0x80) != 0)
        {
            var n = head[1] & 0x7F;
            var lb = new byte[n];
            await stream.ReadExactlyAsync(lb);
            length = lb.Aggregate(0L, (v, b) => (v << 8) | b);
        }
        var content = new byte[length];
        await stream.ReadExactlyAsync(content);
        return (head[0], content);
    }

    /// <summary>The first element of <paramref name="data"/>: its tag, its content and what follows it.</summary>
    static (byte Tag, byte[] Content, byte[] After) Split(byte[] data)
    {
        int length = data[1], header = 2;
        if ((data[1] & 0x80) != 0)
        {
            var n = data[1] & 0x7F;
            length = 0;
            for (int i = 0; i < n; i++) length = (length << 8) | data[2 + i];
            header = 2 + n;
        }
        return (data[0], data[header..(header + length)], data[(header + length)..]);
    }

    static byte[] Raw(byte tag, byte[] content)
    {
        var ms = new MemoryStream();
        ms.WriteByte(tag);
        if (content.Length < 0x80) ms.WriteByte((byte)content.Length);
        else { ms.WriteByte(0x84); ms.Write([(byte)(content.Length >> 24), (byte)(content.Length >> 16), (byte)(content.Length >> 8), (byte)content.Length]); }
        ms.Write(content);
        return ms.ToArray();
    }

    static byte[] Tlv(byte tag, params byte[][] children) => Raw(tag, children.SelectMany(c => c).ToArray());
    static byte[] Int(int v, byte tag = 0x02) => Raw(tag, v < 0x80 ? [(byte)v] : [(byte)(v >> 8), (byte)v]);
    static byte[] Str(string s) => Raw(0x04, Encoding.UTF8.GetBytes(s));
    static byte[] Msg(int id, byte[] op) => Tlv(0x30, Int(id), op);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
