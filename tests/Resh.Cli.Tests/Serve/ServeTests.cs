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
/// Issue 18, `resh serve`: the REST API started as a process on a loopback port and called over HTTP. Tokens from
/// `resh token create`, roles from the config file (deny by default), every call audited with the token's identity.
/// </summary>
public sealed class ServeTests : ServeTestBase
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ServeTests() : base("serve")
    {
        File.WriteAllText(Path.Combine(Data, "notes.txt"), "hello rest\n");
        File.WriteAllText(Dir["outside.txt"], "not yours\n");
        Config = Dir.File("config.toml", $$"""
            [roles.ops]
            allow = ["system.*", "file.read:file://{{Data}}/**", "file.write:file://{{Data}}/**", "file.stat"]
            deny = ["file.stat:file:///etc/**"]

            [roles.viewer]
            allow = ["file.*:file://{{Data}}/**"]
            read_only = true

            [roles.nothing]
            read_only = true

            [roles.render]
            allow = ["template.render:template://{{Data}}/**"]
            allow_reveal = true
            """);
    }

    ReshRun Resh(params string[] args) => ReshBinary.Run(args, env: Env);

    /// <summary>Starts `resh serve` on a free loopback port and waits until it says it listens; the base URL.</summary>
    string Start(params string[] extra) => StartServe(extra).Url;

    static async Task<(int Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string url, string? token, string? body = null, string contentType = "application/json")
    {
        using var req = new HttpRequestMessage(method, url);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, contentType);
        var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["raw"] = text }; }
        catch (System.Text.Json.JsonException) { json = new JsonObject { ["raw"] = text }; }
        return ((int)resp.StatusCode, json, resp);
    }

    static Task<(int Status, JsonObject Body, HttpResponseMessage Response)> CallAsync(string baseUrl, string? token, string body) => SendAsync(HttpMethod.Post, baseUrl + "/v1/call", token, body);

    static string ReadText(HttpResponseMessage r)
    {
        using var reader = new StreamReader(r.Content.ReadAsStream());
        return reader.ReadToEnd();
    }

    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    /// <summary>
    /// /v1/call takes one call: a pipeline as the stage is refused (usage, 400) with where pipelines run and what to send
    /// instead (issue 19, s42 user D4), before any other reading of the stage (a last stage's `(...)` is not "arguments
    /// inside the stage").
    /// </summary>
    [Fact]
    public async Task A_pipeline_as_the_stage_is_refused_with_where_pipelines_run()
    {
        var token = Token("ci", "ops");
        var url = Start();
        foreach (var stage in new[]
                 {
                     "system://.uptime | count",
                     "proc://.list | where name == \"sleep\" | proc://{pid}.kill(grace=2s)",
                     $"file://{Data}/notes.txt.read | first 1",
                 })
        {
            var (status, env, _) = await CallAsync(url, token, new JsonObject { ["stage"] = stage }.ToJsonString());
            Assert.Equal((400, "usage"), (status, Code(env)));
            Assert.Equal("Pipelines run from the command line, the shell, resh batch or ssh://; send each stage as its own call here.",
                env["error"]!["message"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(env["error"]!["hint"]?.GetValue<string>()), env.ToJsonString());
        }
        // The `|` in "verb" rather than in the stage (s42 user review): the same refusal, not "not a verb".
        foreach (var (stage, verb) in new[]
                 {
                     ("proc://", "list | where name == \"sleep\" | count"),
                     ("system://", "uptime | count"),
                     ("proc://", "list | proc://{pid}.info"),
                 })
        {
            var (status, env, _) = await CallAsync(url, token, new JsonObject { ["stage"] = stage, ["verb"] = verb }.ToJsonString());
            Assert.Equal((400, "usage"), (status, Code(env)));
            Assert.Equal("Pipelines run from the command line, the shell, resh batch or ssh://; send each stage as its own call here.",
                env["error"]!["message"]!.GetValue<string>());
        }
        // A verb that only holds a `|` is still judged as a verb: not a pipeline.
        var (badStatus, bad, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime | nosuch"}""");
        Assert.Equal((400, "usage"), (badStatus, Code(bad)));
        Assert.DoesNotContain("Pipelines run", bad["error"]!["message"]!.GetValue<string>());
        // A stage of its own still runs.
        var (okStatus, ok, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal(200, okStatus);
        Assert.True(ok["ok"]!.GetValue<bool>(), ok.ToJsonString());
    }

    [Fact]
    public async Task A_call_runs_the_verb_and_answers_its_envelope_with_the_status_of_its_error_code()
    {
        var token = Token("ci", "ops");
        var url = Start();
        var (status, env, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal(200, status);
        Assert.True(env["ok"]!.GetValue<bool>(), env.ToJsonString());
        Assert.Equal("system", env["handle"]!.GetValue<string>());
        Assert.True(env["result"]!["seconds"]!.GetValue<double>() > 0);

        var notes = Path.Combine(Data, "notes.txt");
        (status, env, _) = await CallAsync(url, token, $$"""{"stage":"file://{{notes}}","verb":"read"}""");
        Assert.Equal(200, status);
        Assert.Contains("hello rest", env["result"]!.ToJsonString());
        // The stage may name the verb itself, as in resh batch.
        (status, env, _) = await CallAsync(url, token, $$"""{"stage":"file://{{notes}}.read"}""");
        Assert.Equal(200, status);

        (status, env, _) = await CallAsync(url, token, $$"""{"stage":"file://{{Data}}/missing.txt","verb":"read"}""");
        Assert.Equal((404, "not_found"), (status, Code(env)));
        (status, env, _) = await CallAsync(url, token, """{"stage":"nosuch://x","verb":"read"}"""); // as on /v1/call/nosuch.read: no such handle
        Assert.Equal((404, "not_found"), (status, Code(env)));
        (status, env, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime","args":{"bogus":1}}""");
        Assert.Equal((400, "usage"), (status, Code(env)));
        (status, env, _) = await CallAsync(url, token, "{not json");
        Assert.Equal((400, "usage"), (status, Code(env)));
        (status, env, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime","dryrun":true}""");
        Assert.Equal((400, "usage"), (status, Code(env)));
        Assert.Contains("dry_run", env["error"]!["hint"]!.GetValue<string>());

        // The per-verb route of the OpenAPI document runs the same verb.
        (status, env, _) = await SendAsync(HttpMethod.Post, url + "/v1/call/file.read", token, $$"""{"target":"{{notes}}"}""");
        Assert.Equal(200, status);
        Assert.Contains("hello rest", env["result"]!.ToJsonString());
        (status, env, _) = await SendAsync(HttpMethod.Post, url + "/v1/call/file.nosuchverb", token, "{}");
        Assert.Equal((404, "not_found"), (status, Code(env)));
        (status, env, _) = await SendAsync(HttpMethod.Get, url + "/v1/call", token);
        Assert.Equal(405, status);
    }

    [Fact]
    public async Task Every_v1_route_needs_a_live_token_and_healthz_and_openapi_do_not()
    {
        var token = Token("ci", "ops");
        var url = Start();
        Assert.Equal(200, (await SendAsync(HttpMethod.Get, url + "/healthz", null)).Status);
        Assert.Equal(200, (await SendAsync(HttpMethod.Get, url + "/openapi.json", null)).Status);
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/v1/call"), (HttpMethod.Get, "/v1/handles"), (HttpMethod.Get, "/v1/schema/file.read"), (HttpMethod.Get, "/metrics"), (HttpMethod.Post, "/v1/batch") })
        {
            var (status, env, resp) = await SendAsync(method, url + path, null, method == HttpMethod.Post ? """{"stage":"system://","verb":"uptime"}""" : null);
            Assert.Equal(401, status);
            Assert.Equal("permission_denied", Code(env));
            Assert.Equal("Bearer", resp.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal(401, (await SendAsync(method, url + path, "resh_not-a-real-token", method == HttpMethod.Post ? "{}" : null)).Status);
        }
        Assert.Equal(200, (await SendAsync(HttpMethod.Get, url + "/v1/handles", token)).Status);

        // Revoked: refused from the next request on, without a restart.
        var revoke = Resh("token", "revoke", "name=ci");
        Assert.Equal(0, revoke.ExitCode);
        var (s, e, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal(401, s);
        Assert.Contains("revoked", e["error"]!["message"]!.GetValue<string>());

        // Expired.
        var shortLived = Token("brief", "ops", "1s");
        Thread.Sleep(1500);
        (s, e, _) = await CallAsync(url, shortLived, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal(401, s);
        Assert.Contains("expired", e["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Tokens_are_printed_once_and_stored_only_hashed()
    {
        var token = Token("ci", "ops", "30d");
        Assert.StartsWith("resh_", token);
        Assert.True(token.Length >= 45);
        var file = Path.Combine(State, "serve", "tokens.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var stored = File.ReadAllText(file);
        Assert.DoesNotContain(token, stored);
        Assert.DoesNotContain(token["resh_".Length..], stored);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token))), stored);

        var list = Resh("token", "list", "--format", "json");
        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain(token, list.Stdout);
        var entry = list.Result!["tokens"]!.AsArray().Single()!;
        Assert.Equal(("ci", "ops", "active"), (entry["name"]!.GetValue<string>(), entry["role"]!.GetValue<string>(), entry["state"]!.GetValue<string>()));
        Assert.NotNull(entry["expires"]);

        var again = Resh("token", "create", "name=ci", "role=ops");
        Assert.Equal(5, again.ExitCode);
        Assert.Equal("conflict", again.ErrorCode);
        Assert.Equal(2, Resh("token", "create", "name=../x", "role=ops").ExitCode);
        Assert.Equal(3, Resh("token", "revoke", "name=nobody").ExitCode);
        // A role the config does not define yet is a warning, not an error.
        var unknownRole = Resh("token", "create", "name=later", "role=auditors", "--format", "json");
        Assert.Equal(0, unknownRole.ExitCode);
        Assert.Contains("roles.auditors", unknownRole.Envelope["warnings"]!.ToJsonString());
        Assert.Equal(0, Resh("token", "revoke", "name=ci").ExitCode);
        Assert.Equal("revoked", Resh("token", "list", "--format", "json").Result!["tokens"]!.AsArray().First(t => t!["name"]!.GetValue<string>() == "ci")!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Roles_deny_by_default_and_read_only_refuses_changes_before_they_run()
    {
        var ops = Token("ci", "ops");
        var viewer = Token("viewer", "viewer");
        var nothing = Token("nothing", "nothing");
        var ghost = Token("ghost", "undefined-role");
        var url = Start();
        var target = Path.Combine(Data, "written.txt");
        var write = $$"""{"stage":"file://{{target}}","verb":"write","args":{"content":"via rest"} }""";

        var (s, e, _) = await CallAsync(url, nothing, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("role `nothing`", e["error"]!["message"]!.GetValue<string>());
        (s, e, _) = await CallAsync(url, ghost, """{"stage":"system://","verb":"uptime"}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("not defined", e["error"]!["message"]!.GetValue<string>());

        (s, e, _) = await CallAsync(url, viewer, write);
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("read-only", e["error"]!["message"]!.GetValue<string>());
        Assert.False(File.Exists(target));
        (s, _, _) = await CallAsync(url, viewer, $$"""{"stage":"file://{{Data}}/notes.txt","verb":"read"}""");
        Assert.Equal(200, s);

        // ops may read and write under data/ only; a target pattern is checked on the canonical path.
        (s, e, _) = await CallAsync(url, ops, $$"""{"stage":"file://{{Dir["outside.txt"]}}","verb":"read"}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, ops, $$"""{"stage":"file://{{Data}}/../outside.txt","verb":"read"}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, ops, """{"stage":"file:///etc/hostname","verb":"stat"}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("deny pattern of the role `ops`", e["error"]!["message"]!.GetValue<string>());

        (s, e, _) = await CallAsync(url, ops, write.Replace("} }", "},\"dry_run\":true}"));
        Assert.Equal(200, s);
        Assert.True(e["dry_run"]!.GetValue<bool>());
        Assert.False(File.Exists(target));
        (s, e, _) = await CallAsync(url, ops, write);
        Assert.Equal(200, s);
        Assert.True(e["changed"]!.GetValue<bool>());
        Assert.Equal("via rest", File.ReadAllText(target));

        // A path argument meets the patterns too: copying out of data/ is refused.
        (s, e, _) = await CallAsync(url, ops, $$"""{"stage":"file://{{target}}","verb":"copy","args":{"to":"{{Dir["stolen.txt"]}}"} }""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.False(File.Exists(Dir["stolen.txt"]));
    }

    [Fact]
    public async Task Every_call_allowed_or_refused_is_audited_with_the_token_identity()
    {
        var ops = Token("ci", "ops");
        var viewer = Token("viewer", "viewer");
        var url = Start();
        Assert.Equal(200, (await CallAsync(url, ops, """{"stage":"system://","verb":"uptime"}""")).Status);
        Assert.Equal(403, (await CallAsync(url, viewer, """{"stage":"system://","verb":"uptime"}""")).Status);
        Assert.Equal(401, (await CallAsync(url, "resh_wrong", """{"stage":"system://","verb":"uptime"}""")).Status);
        Assert.Equal(400, (await CallAsync(url, ops, "[]")).Status);

        var list = Resh("audit", "list", "surface=rest", "--format", "json");
        Assert.Equal(0, list.ExitCode);
        var records = list.Result!["records"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.Equal("rest", r["surface"]!.GetValue<string>()));
        Assert.Equal(("token:ci", "uptime", "ok"), (records[0]["identity"]!.GetValue<string>(), records[0]["verb"]!.GetValue<string>(), records[0]["code"]!.GetValue<string>()));
        Assert.Equal(("token:viewer", "uptime", "permission_denied"), (records[1]["identity"]!.GetValue<string>(), records[1]["verb"]!.GetValue<string>(), records[1]["code"]!.GetValue<string>()));
        Assert.Equal(("anonymous", "permission_denied"), (records[2]["identity"]!.GetValue<string>(), records[2]["code"]!.GetValue<string>()));
        Assert.Equal(("token:ci", "usage"), (records[3]["identity"]!.GetValue<string>(), records[3]["code"]!.GetValue<string>()));
        var verify = Resh("audit", "verify", "--format", "json");
        Assert.Equal(0, verify.ExitCode);
        Assert.True(verify.Result!["intact"]!.GetValue<bool>());
        Assert.DoesNotContain("resh_", File.ReadAllText(Path.Combine(State, "audit", "audit.jsonl")));
    }

    [Fact]
    public async Task Openapi_has_one_operation_per_verb_with_the_introspection_schemas()
    {
        var url = Start();
        var (status, doc, _) = await SendAsync(HttpMethod.Get, url + "/openapi.json", null);
        Assert.Equal(200, status);
        Assert.Equal("3.1.0", doc["openapi"]!.GetValue<string>());
        var paths = doc["paths"]!.AsObject();
        var schema = Resh("schema", "--format", "json");
        var verbs = schema.Result!["schemas"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ToList();
        Assert.True(verbs.Count > 100);
        foreach (var v in verbs) Assert.True(paths.ContainsKey($"/v1/call/{v}"), $"no operation for {v}");
        Assert.Equal(verbs.Count, paths.Count(p => p.Key.StartsWith("/v1/call/")));
        var read = paths["/v1/call/file.read"]!["post"]!;
        Assert.Equal("file_read", read["operationId"]!.GetValue<string>());
        var argsRef = read["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["args"]!["$ref"]!.GetValue<string>();
        Assert.Equal("#/components/schemas/file_read_args", argsRef);
        var argsSchema = doc["components"]!["schemas"]!["file_read_args"]!;
        var fromSchema = schema.Result!["schemas"]!.AsArray().First(v => v!["name"]!.GetValue<string>() == "file.read")!["args"]!;
        Assert.Equal(fromSchema["properties"]!.ToJsonString(), argsSchema["properties"]!.ToJsonString());
        Assert.Equal("#/components/schemas/file_read_envelope", read["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.NotNull(doc["components"]!["schemas"]!["file_read_envelope"]!["properties"]!["result"]);
        Assert.Null(paths["/v1/call/file.read"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["dry_run"]);
        Assert.NotNull(paths["/v1/call/file.write"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["dry_run"]);
        Assert.Empty(paths["/healthz"]!["get"]!["security"]!.AsArray());
        Assert.DoesNotContain(paths, p => p.Key.Contains("token") || p.Key.Contains("/v1/call/resh."));
    }

    [Fact]
    public async Task Handles_schema_metrics_and_batch_routes()
    {
        var token = Token("ci", "ops");
        var url = Start();
        var (s, e, _) = await SendAsync(HttpMethod.Get, url + "/v1/handles", token);
        Assert.Equal(200, s);
        Assert.Contains(e["result"]!["handles"]!.AsArray(), h => h!["scheme"]!.GetValue<string>() == "file");
        (s, e, _) = await SendAsync(HttpMethod.Get, url + "/v1/schema/file.read", token);
        Assert.Equal(200, s);
        Assert.Equal("file.read", e["result"]!["schemas"]![0]!["name"]!.GetValue<string>());
        (s, e, _) = await SendAsync(HttpMethod.Get, url + "/v1/schema/--help", token);
        Assert.Equal(404, s);
        (s, e, _) = await SendAsync(HttpMethod.Get, url + "/v1/schema/nosuch.verb", token);
        Assert.Equal((404, "not_found"), (s, Code(e)));

        var batch = $$"""
            {"id":1,"stage":"system://","verb":"uptime"}
            {"id":"two","stage":"file://{{Dir["outside.txt"]}}","verb":"read"}
            not json
            {"id":4,"stage":"file://{{Data}}/notes.txt","verb":"read"}
            """;
        using (var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/batch") { Content = new StringContent(batch, Encoding.UTF8, "application/x-ndjson") })
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var resp = await Http.SendAsync(req);
            Assert.Equal(200, (int)resp.StatusCode);
            var lines = ReadText(resp).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            Assert.Equal(4, lines.Count);
            Assert.Equal(1, lines[0]["id"]!.GetValue<int>());
            Assert.True(lines[0]["ok"]!.GetValue<bool>());
            Assert.Equal(("two", "permission_denied"), (lines[1]["id"]!.GetValue<string>(), Code(lines[1])));
            Assert.Equal("usage", Code(lines[2]));
            Assert.True(lines[3]["ok"]!.GetValue<bool>());
        }

        var metrics = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, url + "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } });
        var text = ReadText(metrics);
        Assert.Equal(200, (int)metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString());
        Assert.Contains("resh_rest_calls_total{handle=\"system\",verb=\"uptime\",code=\"ok\"} 1", text);
        Assert.Contains("resh_rest_calls_total{handle=\"file\",verb=\"read\",code=\"permission_denied\"} 1", text);
        Assert.Contains("resh_rest_call_duration_seconds_bucket{handle=\"system\",verb=\"uptime\",le=\"+Inf\"} 1", text);
        Assert.Contains("resh_rest_call_duration_seconds_count{handle=\"file\",verb=\"read\"} 2", text);
    }

    [Fact]
    public async Task A_command_beside_the_verb_and_malformed_bodies_are_refused_with_envelopes()
    {
        // template.render's validate= runs a program: a role that may render into a tree may not run commands through it.
        var token = Token("r", "render");
        var url = Start();
        var template = Path.Combine(Data, "t.j2");
        File.WriteAllText(template, "x={{ 1 }}\n");
        var dest = Path.Combine(Data, "out.conf");
        var marker = Path.Combine(Data, "ran");
        var (s, e, _) = await CallAsync(url, token, $$$"""{"stage":"template://{{{template}}}","verb":"render","args":{"dest":"{{{dest}}}","validate":["touch","{{{marker}}}"]}}""");
        Assert.Equal((403, "permission_denied"), (s, Code(e)));
        Assert.Contains("validate", e["error"]!["message"]!.GetValue<string>());
        Assert.False(File.Exists(marker));
        Assert.False(File.Exists(dest));
        (s, e, _) = await CallAsync(url, token, $$$"""{"stage":"template://{{{template}}}","verb":"render","args":{"dest":"{{{dest}}}"}}""");
        Assert.Equal(200, s);
        Assert.Equal("x=1\n", File.ReadAllText(dest));

        // A duplicate key, a lone surrogate, a timeout no timer can hold: usage envelopes, not a dropped connection.
        foreach (var body in new[]
        {
            """{"stage":"system://","verb":"uptime","verb":"uptime"}""",
            $$$"""{"stage":"template://{{{template}}}","verb":"render","args":{"dest":"{{{Data}}}/\ud800"}}""",
            """{"stage":"system://","verb":"uptime","timeout":"100000d"}""",
        })
        {
            (s, e, _) = await CallAsync(url, token, body);
            Assert.Equal((400, "usage"), (s, Code(e)));
        }
        var cli = Resh("--timeout", "100000d", "system://.uptime");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("\"usage\"", cli.Stdout);
    }

    [Fact]
    public async Task Hostile_requests_get_envelopes_and_run_nothing()
    {
        var token = Token("ci", "ops");
        var url = Start();
        // Meta verbs are not reachable: a REST client cannot mint tokens or run a server.
        var (s, e, _) = await CallAsync(url, token, """{"stage":"resh://","verb":"token.create","args":{"name":"evil","role":"ops"}}""");
        Assert.True(s is 400 or 404, e.ToJsonString());
        Assert.False(e["ok"]!.GetValue<bool>());
        (s, e, _) = await SendAsync(HttpMethod.Post, url + "/v1/call/resh.token.create", token, """{"args":{"name":"evil","role":"ops"}}""");
        Assert.Equal((404, "not_found"), (s, Code(e)));
        Assert.DoesNotContain("evil", File.ReadAllText(Path.Combine(State, "serve", "tokens.json")));
        (s, e, _) = await CallAsync(url, token, """{"stage":"system://(x=1)","verb":"uptime"}""");
        Assert.Equal((400, "usage"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, token, $$"""{"stage":"file://{{Data}}/notes.txt","verb":"read","args":{"target":"/etc/shadow"} }""");
        Assert.Equal((400, "usage"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, token, """{"stage":"system://","verb":"uptime","args":{"host":"web01"}}""");
        Assert.Equal((400, "usage"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, token, """{"stage":42}""");
        Assert.Equal((400, "usage"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, token, new string('[', 100_000));
        Assert.Equal((400, "usage"), (s, Code(e)));
        (s, e, _) = await CallAsync(url, token, "{\"stage\":\"" + new string('a', 2 * 1024 * 1024) + "\"}");
        Assert.Equal((413, "usage"), (s, Code(e)));
        (s, e, _) = await SendAsync(HttpMethod.Get, url + "/nope", token);
        Assert.Equal((404, "not_found"), (s, Code(e)));
        // A token in a header with CR/LF or absurd length is just unknown.
        (s, _, _) = await CallAsync(url, new string('x', 10_000), "{}");
        Assert.Equal(401, s);
        // The server is still up and answers.
        Assert.Equal(200, (await CallAsync(url, token, """{"stage":"system://","verb":"uptime"}""")).Status);
    }

    [Fact]
    public void Listening_beyond_loopback_needs_tls_and_a_taken_port_is_a_conflict()
    {
        var run = Resh("serve", "--listen", "0.0.0.0:0");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("tls", run.Envelope["error"]!["hint"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, Resh("serve", "--listen", "not-an-address").ExitCode);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var busy = Resh("serve", "--listen", $"127.0.0.1:{port}");
        Assert.Equal(5, busy.ExitCode);
        Assert.Equal("conflict", busy.ErrorCode);
    }
}
