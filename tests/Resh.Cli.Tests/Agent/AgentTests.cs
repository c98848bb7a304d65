using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Agent;

/// <summary>The real nats-server of the agent tests (tests/setup/nats.sh on free loopback ports), one per class, stopped by PID.</summary>
public sealed class AgentNats : IDisposable
{
    public AgentNats()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-agentnats-{Guid.NewGuid():N}"[..26]);
        Directory.CreateDirectory(Dir);
        var ports = LoopbackPorts.Free(2);
        Port = ports[0];
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {ports[0]} {ports[1]}", wait: TimeSpan.FromSeconds(60));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/nats.sh up failed (a missing backend fails the suite):\n{up}");
        }
        Password = File.ReadAllText(Path.Combine(Dir, "password")).Trim();
    }

    public string Dir { get; }
    public int Port { get; }
    public string Password { get; }
    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "nats.sh");

    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Issue 21: `resh agent` processes (each its own state dir, home, host name, facts and roles) on a real nats-server,
/// called through agent:// by a caller with its own key. Refusals are asserted on the real effect (no file written)
/// and on the agent's audit trail; forged, expired, replayed and malformed messages are published as raw NATS bytes.
/// </summary>
public sealed partial class AgentTests : IClassFixture<AgentNats>, IDisposable
{
    readonly AgentNats _nats;
    readonly TempDir _dir = new("agent");
    readonly string _callerHome;
    readonly string _callerConfig;
    readonly string _alicePub;
    readonly byte[] _aliceSeed;
    readonly string _bobPub;
    readonly string _p = "t" + Guid.NewGuid().ToString("N")[..6]; // host names of this test
    readonly List<AgentProc> _agents = [];

    sealed record AgentProc(string Host, string Home, string Data, Process Process, StringBuilder Err);

    public AgentTests(AgentNats nats)
    {
        _nats = nats;
        _callerHome = _dir["caller"];
        Directory.CreateDirectory(_callerHome);
        _alicePub = CreateKey("alice");
        _bobPub = CreateKey("bob");
        _aliceSeed = Convert.FromBase64String(File.ReadAllText(Path.Combine(_callerHome, "agent", "keys", "alice.key")).Trim()["ed25519-seed:".Length..]);
        _callerConfig = CallerConfig("alice");
    }

    public void Dispose()
    {
        foreach (var a in _agents)
        {
            try { if (!a.Process.HasExited) { a.Process.Kill(true); a.Process.WaitForExit(5000); } } catch (InvalidOperationException) { }
            a.Process.Dispose();
        }
        _dir.Dispose();
    }

    string CreateKey(string name)
    {
        var run = ReshBinary.Run(["agent", "key", "create", $"name={name}", "--format", "json"], env: CallerEnv);
        Assert.True(run.ExitCode == 0, run.ToString());
        var path = run.Result!["path"]!.GetValue<string>();
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(path) & 0x1ff, 8));
        Assert.DoesNotContain(File.ReadAllText(path).Trim(), run.Stdout); // the private key is never printed
        return run.Result!["public_key"]!.GetValue<string>();
    }

    Dictionary<string, string> CallerEnv => new() { ["RESH_HOME"] = _callerHome, ["HOME"] = _callerHome };

    string CallerConfig(string key) => _dir.File($"caller-{key}.toml", $"""
        [agent]
        url = "nats://127.0.0.1:{_nats.Port}"
        tls = "off"
        key = "{key}"
        timeout = "10s"
        discover_wait = "3s"
        discover_idle = "500ms"
        """);

    ReshRun Call(params string[] args) => CallWith(_callerConfig, args);

    ReshRun CallWith(string config, params string[] args) =>
        ReshBinary.Run([.. args, "--config", config, .. args.Contains("--format") ? Array.Empty<string>() : ["--format", "json"]], env: CallerEnv, wait: TimeSpan.FromSeconds(90));

    string H(string name) => $"{_p}-{name}";

    /// <summary>Starts an agent and waits until it says it is ready.</summary>
    AgentProc StartAgent(string name, string roles = "[]", string labels = "{}", bool exec = false, bool password = false, string? url = null, string? host = null, string extra = "", string? binary = null)
    {
        host ??= H(name);
        var home = _dir[$"home-{name}"];
        var data = _dir[$"data-{name}"];
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(data);
        var config = _dir.File($"agent-{name}.toml", $$"""
            [agent]
            url = "{{url ?? $"nats://127.0.0.1:{_nats.Port}"}}"
            tls = "off"
            {{(password ? "user = \"resh\"\npassword = \"env:RESH_TEST_NATS_PW\"" : "")}}
            host = "{{host}}"
            roles = {{roles}}
            labels = {{labels}}
            exec = {{(exec ? "true" : "false")}}
            max_request = 65536
            {{extra}}

            [agent.callers.alice]
            key = "{{_alicePub}}"
            role = "ops"

            [agent.callers.bob]
            key = "{{_bobPub}}"
            role = "viewer"

            [roles.ops]
            allow = ["system.*", "file.*:file://{{data}}/**", "proc.spawn", "proc.wait"]
            exec = true

            [roles.viewer]
            allow = ["system.*", "file.*:file://{{data}}/**"]
            read_only = true
            """);
        var psi = new ProcessStartInfo(binary ?? ReshBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["agent", "--config", config]) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = home;
        psi.Environment["HOME"] = data; // file://~/NAME is this agent's own data dir
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["RESH_TEST_NATS_PW"] = _nats.Password;
        psi.Environment.Remove("RESH_CONFIG");
        var err = new StringBuilder();
        var ready = new ManualResetEventSlim();
        var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (err) err.AppendLine(e.Data);
            if (e.Data.Contains($"{host} ready on")) ready.Set();
        };
        p.Start();
        var agent = new AgentProc(host, home, data, p, err);
        _agents.Add(agent);
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Assert.True(ready.Wait(TimeSpan.FromSeconds(60)), $"resh agent {host} did not become ready:\n{Err(agent)}");
        return agent;
    }

    static string Err(AgentProc a) { lock (a.Err) return a.Err.ToString(); }

    static List<JsonObject> Audit(AgentProc a)
    {
        var run = ReshBinary.Run(["audit", "list", "limit=1000", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = a.Home, ["HOME"] = a.Data });
        if (run.ErrorCode == "not_found") return []; // no call reached the agent yet
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!["records"]!.AsArray().Select(r => (JsonObject)r!).ToList();
    }

    static string Str(JsonNode? n) => n?.GetValue<string>() ?? "";

    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    static HashSet<string> Hosts(ReshRun run) => run.Result!["agents"]!.AsArray().Select(a => Str(a!["host"])).ToHashSet();

    /// <summary>A call message signed with <paramref name="seed"/> over <paramref name="signedPayload"/>, carrying <paramref name="payload"/>.</summary>
    static byte[] Message(string payload, byte[] seed, string? signedPayload = null)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(seed, 0));
        var bytes = Encoding.UTF8.GetBytes(signedPayload ?? payload);
        signer.BlockUpdate(bytes, 0, bytes.Length);
        var sig = signer.GenerateSignature();
        return Encoding.UTF8.GetBytes(new JsonObject { ["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)), ["sig"] = Convert.ToBase64String(sig) }.ToJsonString());
    }

    static string T(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The inbox this test's raw calls are signed for and answered to.</summary>
    readonly string _inbox = "_INBOX.test." + Guid.NewGuid().ToString("N");

    string Payload(string[] hosts, string stage, string verb, string args, DateTime? issued = null, DateTime? expires = null, string caller = "alice", string? id = null,
        string? filter = null, string? reply = null)
    {
        var i = issued ?? DateTime.UtcNow;
        var e = expires ?? i.AddSeconds(60);
        return new JsonObject
        {
            ["v"] = 1, ["id"] = id ?? Guid.NewGuid().ToString("N"), ["caller"] = caller, ["issued"] = T(i), ["expires"] = T(e),
            ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray()),
            ["filter"] = filter ?? string.Join(',', hosts), ["reply"] = reply ?? _inbox,
            ["stage"] = stage, ["verb"] = verb, ["args"] = JsonNode.Parse(args), ["dry_run"] = false,
        }.ToJsonString();
    }

    /// <summary>Publishes raw bytes on resh.agent.call and returns the answers that came within <paramref name="wait"/>.</summary>
    List<JsonObject> Publish(byte[] message, TimeSpan wait, int expected = 1, string? replyTo = null)
    {
        using var raw = new RawNats(_nats.Port);
        var inbox = replyTo ?? _inbox;
        raw.Subscribe(inbox);
        raw.Publish("resh.agent.call", message, inbox);
        var answers = new List<JsonObject>();
        var end = DateTime.UtcNow + wait;
        while (answers.Count < expected && DateTime.UtcNow < end && raw.Next(end - DateTime.UtcNow) is { } msg)
            answers.Add((JsonObject)JsonNode.Parse(msg.Data)!);
        return answers;
    }

    [Fact]
    public void Discovery_finds_every_agent_and_filters_by_their_facts()
    {
        StartAgent("a", roles: """["web"]""", labels: """{ dc = "fra" }""");
        StartAgent("b", roles: """["web", "db"]""", labels: """{ dc = "fra" }""");
        StartAgent("c", roles: """["db"]""", labels: """{ dc = "ams" }""", password: true); // user/password from env: over NATS auth

        var all = Call("agent://*.discover");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal([H("a"), H("b"), H("c")], Hosts(all).Order());
        var c = all.Result!["agents"]!.AsArray().Single(x => Str(x!["host"]) == H("c"))!["facts"]!;
        Assert.Equal("linux", Str(c["os"]));
        Assert.Equal("ams", Str(c["labels"]!["dc"]));

        Assert.Equal([H("b"), H("c")], Hosts(Call("agent://@db.discover")).Order());
        Assert.Equal([H("b"), H("c")], Hosts(Call("agent://role=db.discover")).Order());
        Assert.Equal([H("c")], Hosts(Call("agent://label.dc=ams.discover")).Order());
        Assert.Equal([H("a"), H("b")], Hosts(Call("agent://@web+label.dc=fra.discover")).Order());
        Assert.Equal([H("a"), H("c")], Hosts(Call($"agent://{H("a")},{H("c")}.discover")).Order());
        Assert.Empty(Hosts(Call("agent://@nosuchrole.discover")));

        var bad = Call("agent://@we!b/system://.uptime");
        Assert.Equal((2, "usage"), (bad.ExitCode, bad.ErrorCode));
        var none = Call("agent://@nosuchrole/system://.uptime");
        Assert.Equal((3, "not_found"), (none.ExitCode, none.ErrorCode));
    }

    [Fact]
    public void A_read_verb_runs_on_every_agent_and_streams_one_envelope_per_host()
    {
        StartAgent("a", roles: """["web"]""");
        StartAgent("b", roles: """["web"]""");
        StartAgent("c", roles: """["db"]""");

        var run = Call("agent://*/system://.uptime");
        Assert.True(run.ExitCode == 0, run.ToString());
        var hosts = run.Result!["hosts"]!.AsArray();
        Assert.Equal([H("a"), H("b"), H("c")], hosts.Select(h => Str(h!["host"])).Order());
        Assert.All(hosts, h => Assert.True(h!["result"]!["seconds"]!.GetValue<double>() > 0));
        Assert.Equal(3, run.Result!["summary"]!["ok"]!.GetValue<int>());

        var nd = Call("agent://@web/system://.uptime", "--format", "ndjson");
        Assert.True(nd.ExitCode == 0, nd.ToString());
        var lines = nd.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal([H("a"), H("b")], lines.Take(2).Select(l => Str(l["host"])).Order());
        Assert.Equal(2, lines[2]["result"]!["summary"]!["hosts"]!.GetValue<int>());
        Assert.Null(lines[2]["result"]!["hosts"]);
    }

    [Fact]
    public void A_mutating_verb_on_a_filtered_subset_changes_exactly_those_agents_files()
    {
        var a = StartAgent("a", roles: """["web"]""");
        var b = StartAgent("b", roles: """["db"]""");
        var c = StartAgent("c", roles: """["db"]""");

        var run = Call("agent://@db/file://~/flag.write", "content=on");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.Result!["summary"]!["changed"]!.GetValue<int>());
        Assert.False(File.Exists(Path.Combine(a.Data, "flag")));
        Assert.Equal("on", File.ReadAllText(Path.Combine(b.Data, "flag")));
        Assert.Equal("on", File.ReadAllText(Path.Combine(c.Data, "flag")));
        var record = Audit(b).Last(r => Str(r["verb"]) == "write");
        Assert.Equal(("agent:alice", "agent", "ok"), (Str(record["identity"]), Str(record["surface"]), Str(record["code"])));
        Assert.DoesNotContain(Audit(a), r => Str(r["verb"]) == "write");

        // One host named answers with its own envelope, host set.
        var one = Call($"agent://{H("a")}/file://~/flag.write", "content=a");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal((H("a"), "file", "write"), (Str(one.Envelope["host"]), Str(one.Envelope["handle"]), Str(one.Envelope["verb"])));
        Assert.Equal("a", File.ReadAllText(Path.Combine(a.Data, "flag")));
        Assert.Equal("on", File.ReadAllText(Path.Combine(b.Data, "flag")));
    }

    [Fact]
    public void A_host_list_of_hundreds_of_names_is_called_and_an_overlong_filter_says_how_long()
    {
        // 500 names are ~4.4 KB: the filter was capped at 4 KiB and such a list was refused as "not an agent filter" (s42 scale run).
        StartAgent("a");
        StartAgent("b");
        var names = new List<string> { H("a"), H("b") };
        names.AddRange(Enumerable.Range(1, 598).Select(i => H($"ghost{i}")));
        var list = string.Join(',', names);
        Assert.True(list.Length > 4096);
        var run = Call($"agent://{list}/system://.uptime", "--timeout", "3s");
        Assert.Equal((9, "partial"), (run.ExitCode, run.ErrorCode));
        Assert.Equal((600, 2, 598), (run.Result!["summary"]!["hosts"]!.GetValue<int>(), run.Result!["summary"]!["ok"]!.GetValue<int>(),
            run.Result!["summary"]!["unreachable"]!.GetValue<int>()));

        // Discovery cannot carry such a list (agents read a discovery request up to 4 KiB): refused before anything is sent.
        var discover = Call($"agent://{list}.discover");
        Assert.Equal((2, "usage"), (discover.ExitCode, discover.ErrorCode));
        Assert.Contains("too long to discover", discover.Envelope["error"]!["message"]!.GetValue<string>());

        // A filter by facts is bounded at 4,000 characters; past it the message says how long it is, not that it is malformed.
        var facts = "role=" + string.Join(',', Enumerable.Range(1, 900).Select(i => $"r{i}"));
        var bad = Call($"agent://{facts}/system://.uptime");
        Assert.Equal((2, "usage"), (bad.ExitCode, bad.ErrorCode));
        Assert.Contains("characters long; at most 4,000", bad.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(bad.Envelope["error"]!["hint"]);
    }

    [Fact]
    public void An_agent_killed_before_the_call_is_unreachable_and_the_call_partial()
    {
        StartAgent("a");
        var b = StartAgent("b");
        b.Process.Kill(true);
        b.Process.WaitForExit(5000);

        var clock = Stopwatch.StartNew();
        var run = Call($"agent://{H("a")},{H("b")}/system://.uptime", "--timeout", "3s");
        Assert.Equal((9, "partial"), (run.ExitCode, run.ErrorCode));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the call waited far past its deadline");
        Assert.Equal([H("b")], run.Envelope["error"]!["details"]!["unreachable"]!.AsArray().Select(Str));
        var hosts = run.Result!["hosts"]!.AsArray();
        Assert.True(hosts.Single(h => Str(h!["host"]) == H("a"))!["ok"]!.GetValue<bool>());
        Assert.Equal("no_answer", Str(hosts.Single(h => Str(h!["host"]) == H("b"))!["error"]!["details"]!["phase"]));
        Assert.Equal(1, run.Result!["summary"]!["unreachable"]!.GetValue<int>());
    }

    [Fact]
    public void A_caller_whose_key_no_agent_trusts_runs_nothing_and_is_audited()
    {
        var a = StartAgent("a");
        var mallory = CreateKey("mallory");
        Assert.NotEqual(_alicePub, mallory);
        var run = CallWith(CallerConfig("mallory"), $"agent://{H("a")}/file://~/m.write", "content=x");
        Assert.Equal((4, "permission_denied"), (run.ExitCode, run.ErrorCode));
        Assert.Contains("not trusted", Str(run.Envelope["error"]!["message"]));
        Assert.False(File.Exists(Path.Combine(a.Data, "m")));
        Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent-unverified:mallory" && Str(r["code"]) == "permission_denied" && Str(r["surface"]) == "agent");
    }

    [Fact]
    public void A_forged_signature_runs_nothing_and_is_audited()
    {
        var a = StartAgent("a");
        var signedFor = Payload([a.Host], "file://~/ok", "write", """{"content":"fine"}""");
        var forged = signedFor.Replace("file://~/ok", "file://~/forged");
        var answers = Publish(Message(forged, _aliceSeed, signedPayload: signedFor), TimeSpan.FromSeconds(10));
        var env = (JsonObject)Assert.Single(answers)["envelope"]!;
        Assert.Equal("permission_denied", Code(env));
        Assert.Contains("not signed", Str(env["error"]!["message"]));
        Assert.False(File.Exists(Path.Combine(a.Data, "forged")));
        Assert.False(File.Exists(Path.Combine(a.Data, "ok")));
        Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent-unverified:alice" && Str(r["code"]) == "permission_denied");

        // The same bytes, signed as they are, run: the refusal above was the signature's doing.
        var good = Publish(Message(forged, _aliceSeed), TimeSpan.FromSeconds(10));
        Assert.Equal("ok", Code((JsonObject)Assert.Single(good)["envelope"]!));
        Assert.Equal("fine", File.ReadAllText(Path.Combine(a.Data, "forged")));
    }

    [Fact]
    public void Expired_future_and_overlong_requests_run_nothing_and_are_audited()
    {
        var a = StartAgent("a");
        var now = DateTime.UtcNow;
        var cases = new (string File, DateTime Issued, DateTime Expires)[]
        {
            ("expired", now.AddMinutes(-10), now.AddMinutes(-6)),
            ("future", now.AddMinutes(10), now.AddMinutes(11)),
            ("overlong", now, now.AddHours(1)),
        };
        foreach (var (file, issued, expires) in cases)
        {
            var answers = Publish(Message(Payload([a.Host], $"file://~/{file}", "write", """{"content":"x"}""", issued, expires), _aliceSeed), TimeSpan.FromSeconds(10));
            Assert.Equal("permission_denied", Code((JsonObject)Assert.Single(answers)["envelope"]!));
            Assert.False(File.Exists(Path.Combine(a.Data, file)), file);
        }
        var refusals = Audit(a).Where(r => Str(r["identity"]) == "agent:alice" && Str(r["code"]) == "permission_denied").ToList();
        Assert.NotEmpty(refusals);
        Assert.Contains(refusals, r => Str(r["target"]).Contains("expired"));
    }

    [Fact]
    public void A_request_replayed_from_the_broker_is_refused_and_audited()
    {
        var a = StartAgent("a");
        using var spy = new RawNats(_nats.Port);
        spy.Subscribe("resh.agent.call");
        var run = Call($"agent://{a.Host}/file://~/r.write", "content=1");
        Assert.True(run.ExitCode == 0, run.ToString());
        var captured = spy.Next(TimeSpan.FromSeconds(10));
        Assert.NotNull(captured);
        var flag = Path.Combine(a.Data, "r");
        Assert.Equal("1", File.ReadAllText(flag));
        File.Delete(flag);

        // Replayed to another inbox: the reply subject is signed, so nothing runs and nothing is answered.
        Assert.Empty(Publish(captured.Value.Data, TimeSpan.FromSeconds(3)));
        Assert.False(File.Exists(flag));
        // Replayed to the inbox it was signed for: refused as seen before.
        var answers = Publish(captured.Value.Data, TimeSpan.FromSeconds(10), replyTo: captured.Value.ReplyTo);
        var env = (JsonObject)Assert.Single(answers)["envelope"]!;
        Assert.Equal("permission_denied", Code(env));
        Assert.Contains("seen before", Str(env["error"]!["message"]));
        Assert.False(File.Exists(flag));
        Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent:alice" && Str(r["code"]) == "permission_denied" && (r["args"]?["refused"] is { } k && Str(k) == "replayed"));
    }

    [Fact]
    public void A_host_named_by_a_forged_discovery_answer_but_not_selected_by_the_signed_filter_runs_nothing()
    {
        var web = StartAgent("w", roles: """["web"]""");
        var db = StartAgent("d", roles: """["db"]""");
        // A discovery answer forged on the broker put the db host into the host list of a call for @web.
        var answers = Publish(Message(Payload([web.Host, db.Host], "file://~/f", "write", """{"content":"x"}""", filter: "@web"), _aliceSeed), TimeSpan.FromSeconds(5), expected: 2);
        Assert.Equal([web.Host], answers.Select(x => Str(x["host"])));
        Assert.True(File.Exists(Path.Combine(web.Data, "f")));
        Assert.False(File.Exists(Path.Combine(db.Data, "f")));
    }

    [Fact]
    public void A_request_issued_before_the_agent_started_is_refused_so_replays_survive_no_restart()
    {
        var a = StartAgent("a");
        var issued = DateTime.UtcNow.AddSeconds(-20); // valid for 60 s, but older than the agent
        var answers = Publish(Message(Payload([a.Host], "file://~/old", "write", """{"content":"x"}""", issued, issued.AddSeconds(60)), _aliceSeed), TimeSpan.FromSeconds(10));
        var env = (JsonObject)Assert.Single(answers)["envelope"]!;
        Assert.Equal("permission_denied", Code(env));
        Assert.Contains("before this agent started", Str(env["error"]!["message"]));
        Assert.False(File.Exists(Path.Combine(a.Data, "old")));
    }

    [Fact]
    public void An_agent_not_named_in_the_hosts_runs_nothing()
    {
        var a = StartAgent("a");
        var b = StartAgent("b");
        // Signed by alice for a alone: a runs it, b (which receives every call message) does not.
        var answers = Publish(Message(Payload([a.Host], "file://~/only", "write", """{"content":"x"}"""), _aliceSeed), TimeSpan.FromSeconds(5), expected: 2);
        Assert.Equal([a.Host], answers.Select(x => Str(x["host"])));
        Assert.True(File.Exists(Path.Combine(a.Data, "only")));
        Assert.False(File.Exists(Path.Combine(b.Data, "only")));
        // For a host that is not there: nobody runs it, nobody answers.
        Assert.Empty(Publish(Message(Payload([H("nosuch")], "file://~/none", "write", """{"content":"x"}"""), _aliceSeed), TimeSpan.FromSeconds(3)));
        Assert.False(File.Exists(Path.Combine(a.Data, "none")));
        Assert.False(File.Exists(Path.Combine(b.Data, "none")));
    }

    [Fact]
    public void The_role_decides_what_runs_deny_by_default()
    {
        var a = StartAgent("a");
        var outside = _dir["outside"];
        Directory.CreateDirectory(outside);

        var run = Call($"agent://{a.Host}/file://{outside}/x.write", "content=x");
        Assert.Equal((4, "permission_denied"), (run.ExitCode, run.ErrorCode));
        Assert.False(File.Exists(Path.Combine(outside, "x")));
        Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent:alice" && Str(r["verb"]) == "write" && Str(r["code"]) == "permission_denied");

        // bob's role is read_only: he may read in the data dir but not write there.
        File.WriteAllText(Path.Combine(a.Data, "notes"), "hello");
        var bob = CallerConfig("bob");
        var read = CallWith(bob, $"agent://{a.Host}/file://~/notes.read");
        Assert.True(read.ExitCode == 0, read.ToString());
        var write = CallWith(bob, $"agent://{a.Host}/file://~/notes.write", "content=changed");
        Assert.Equal((4, "permission_denied"), (write.ExitCode, write.ErrorCode));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(a.Data, "notes")));
        Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent:bob" && Str(r["verb"]) == "write" && Str(r["code"]) == "permission_denied");
    }

    [Fact]
    public void Exec_is_refused_unless_the_agent_allows_it()
    {
        var a = StartAgent("a");
        var e = StartAgent("e", exec: true);
        var touchA = Path.Combine(a.Data, "spawned");
        var refused = Call($"agent://{a.Host}/proc://.spawn", $"command=/usr/bin/touch {touchA}");
        Assert.Equal((4, "permission_denied"), (refused.ExitCode, refused.ErrorCode));
        Assert.Contains("exec = false", Str(refused.Envelope["error"]!["message"]));
        Thread.Sleep(500);
        Assert.False(File.Exists(touchA));
        Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent:alice" && Str(r["verb"]) == "spawn" && Str(r["code"]) == "permission_denied");

        // git:// runs what a repository's config names (hooks, filters) and plugin.test runs a plugin's program:
        // both are exec too (s39 attacker #3).
        foreach (var stage in new[] { $"git://{a.Data}.status", "plugin://hello.test" })
        {
            var r = Call($"agent://{a.Host}/{stage}");
            Assert.True((r.ExitCode, r.ErrorCode) == (4, "permission_denied"), r.ToString());
            Assert.Contains("exec = false", Str(r.Envelope["error"]!["message"]));
        }

        // The same call on an agent with exec = true (its role grants proc.spawn) runs.
        var touchE = Path.Combine(e.Data, "spawned");
        var ran = Call($"agent://{e.Host}/proc://.spawn", $"command=/usr/bin/touch {touchE}");
        Assert.True(ran.ExitCode == 0, ran.ToString());
        for (int i = 0; i < 50 && !File.Exists(touchE); i++) Thread.Sleep(100);
        Assert.True(File.Exists(touchE));
    }

    [Fact]
    public void Malformed_and_oversized_messages_leave_the_agent_answering()
    {
        var a = StartAgent("a");
        var garbage = new List<byte[]>
        {
            "garbage"u8.ToArray(), "{}"u8.ToArray(), "[1,2,3]"u8.ToArray(), "{\"payload\":\"!!notbase64\",\"sig\":\"x\"}"u8.ToArray(),
            Encoding.UTF8.GetBytes(new JsonObject { ["payload"] = Convert.ToBase64String("not json"u8.ToArray()), ["sig"] = "AAAA" }.ToJsonString()),
            Encoding.UTF8.GetBytes(new JsonObject { ["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"v\":1,\"hosts\":[\"{a.Host}\"],\"args\":5}}")), ["sig"] = "AAAA" }.ToJsonString()),
            new byte[200_000], // beyond max_request (64 KiB), within the server's max_payload
            Encoding.UTF8.GetBytes("{\"payload\":\"" + new string('A', 150_000) + "\",\"sig\":\"\"}"),
        };
        using (var raw = new RawNats(_nats.Port))
        {
            foreach (var g in garbage) raw.Publish("resh.agent.call", g, "_INBOX.nobody");
            foreach (var g in garbage) raw.Publish("resh.agent.discover", g, "_INBOX.nobody");
        }
        var run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run.ToString() + Err(a));
        Assert.False(a.Process.HasExited);
        Assert.Matches("malformed|max_request|not a request|ignored|refused", Err(a)); // the first refusal, whichever message it was (calls run concurrently); the others are counted in one line later (coalesced)
        var audit = Audit(a);
        Assert.Contains(audit, r => r["args"]?["refused"] is { } k && Str(k) == "malformed");
        Assert.Contains(audit, r => r["args"]?["refused"] is { } k && Str(k) == "oversized");
    }

    [Fact]
    public void A_password_in_the_url_is_never_logged_and_not_sent_in_clear_off_loopback()
    {
        // Loopback: allowed, and the log shows *** where the password is.
        var a = StartAgent("a", url: $"nats://resh:{_nats.Password}@127.0.0.1:{_nats.Port}");
        var run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run.ToString() + Err(a));
        Assert.DoesNotContain(_nats.Password, Err(a));
        Assert.Contains("resh:***@127.0.0.1", Err(a));

        // Another host without TLS: refused at start with a usage envelope that does not show the password either.
        var config = _dir.File("agent-offloop.toml", """
            [agent]
            url = "nats://resh:Sup3rSecretPw@192.0.2.10:4222"
            tls = "off"
            host = "offloop"
            """);
        var start = ReshBinary.Run(["agent", "--config", config, "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = _dir["home-offloop"], ["HOME"] = _dir["home-offloop"] }, wait: TimeSpan.FromSeconds(30));
        Assert.True((start.ExitCode, start.ErrorCode) == (2, "usage"), start.ToString());
        Assert.Contains("tls", start.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.DoesNotContain("Sup3rSecretPw", start.Stdout + start.Stderr);
    }

    [Fact]
    public void A_claimed_caller_name_with_control_characters_is_escaped_in_the_log()
    {
        var a = StartAgent("a");
        var payload = Payload([a.Host], "system://", "uptime", "{}", caller: "mal\u001b[31mory\nresh agent: fake line");
        Publish(Message(payload, _aliceSeed), TimeSpan.FromSeconds(5));
        for (var i = 0; i < 50 && !Err(a).Contains("refused call"); i++) Thread.Sleep(100);
        var log = Err(a);
        Assert.Contains("refused call", log);
        Assert.DoesNotContain("\u001b", log); // no raw ESC reaches the log
        Assert.Contains("\\x1b[31m", log); // TerminalText.Escape, the one escaper (s41)
        Assert.DoesNotContain(log.Split('\n'), l => l.StartsWith("resh agent: fake line", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_agents_answering_as_one_name_make_a_discovered_call_refuse_and_discovery_counts_in_a_warning()
    {
        var a = StartAgent("a", roles: """["dup"]""");
        var twin = StartAgent("twin", roles: """["dup"]""", host: a.Host);
        var run = Call("agent://@dup/file://~/dup.write", "content=x");
        Assert.True((run.ExitCode, run.ErrorCode) == (5, "conflict"), run.ToString());
        Assert.Contains(a.Host, Str(run.Envelope["error"]!["message"]));
        Assert.False(File.Exists(Path.Combine(a.Data, "dup")));
        Assert.False(File.Exists(Path.Combine(twin.Data, "dup")));

        var b = StartAgent("b", roles: """["solo"]""");
        var one = Call("agent://@solo/system://.uptime");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains(one.Envelope["warnings"]!.AsArray(), w => Str(w).Contains("Discovery found 1 agent"));
        _ = b;
    }

    [Fact]
    public void An_answer_over_the_brokers_max_payload_comes_back_as_an_error_not_silence()
    {
        var a = StartAgent("a");
        File.WriteAllText(Path.Combine(a.Data, "big.txt"), new string('x', 400_000)); // the test broker's max_payload is 256 KiB
        var clock = Stopwatch.StartNew();
        var run = Call($"agent://{a.Host}/file://~/big.txt.read");
        Assert.True((run.ExitCode, run.ErrorCode) == (1, "failed"), run.ToString() + Err(a));
        Assert.Contains("max_payload", Str(run.Envelope["error"]!["message"]));
        Assert.Equal("answer", Str(run.Envelope["error"]!["details"]!["phase"]));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), "the caller waited for an answer that never came");
    }

    [Fact]
    public void A_flood_of_junk_messages_is_neither_logged_nor_answered_one_by_one_and_memory_stays_bounded()
    {
        var a = StartAgent("a");
        var linesBefore = Err(a).Split('\n').Length;
        var rssBefore = RssKb(a.Process.Id);
        var answers = 0;
        using (var raw = new RawNats(_nats.Port))
        {
            var inbox = "_INBOX.flood." + Guid.NewGuid().ToString("N");
            raw.Subscribe(inbox);
            for (var i = 0; i < 10_000; i++)
            {
                byte[] junk = (i % 3) switch
                {
                    0 => Encoding.UTF8.GetBytes("junk " + i),
                    1 => Message(Payload([a.Host], "system://", "uptime", "{}", caller: "nobody" + i, reply: inbox), _aliceSeed), // an unknown caller each time
                    _ => Message(Payload([a.Host], "system://", "uptime", "{}", reply: inbox) + " ", _aliceSeed, signedPayload: "x"), // a bad signature
                };
                raw.Publish("resh.agent.call", junk, inbox);
            }
            var end = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (DateTime.UtcNow < end && raw.Next(end - DateTime.UtcNow) is not null) answers++;
        }
        // Still answering, after the flood.
        var run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = Err(a).Split('\n').Length - linesBefore;
        Assert.True(lines < 40, $"{lines} log lines for 10,000 junk messages:\n{Err(a)[^Math.Min(3000, Err(a).Length)..]}");
        Assert.True(answers < 1000, $"{answers} answers to 10,000 junk messages");
        var rss = RssKb(a.Process.Id);
        Assert.True(rss - rssBefore < 150_000, $"RSS grew from {rssBefore} KiB to {rss} KiB");
    }

    static long RssKb(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return -1;
    }

    [Fact]
    public void Sigterm_stops_the_agent_with_exit_0()
    {
        var a = StartAgent("a");
        Assert.Equal(0, Shell.Run($"kill -TERM {a.Process.Id}").ExitCode);
        Assert.True(a.Process.WaitForExit(20000), "resh agent did not stop on SIGTERM");
        a.Process.WaitForExit(); // the stderr lines read so far are all in
        Assert.Equal(0, a.Process.ExitCode);
        Assert.Contains("stopped", Err(a));
    }

    [Fact]
    public async Task A_call_in_flight_when_the_agent_gets_sigterm_still_gets_its_answer()
    {
        // s41 (issue 21): the agent drained calls at stop but disposed the NATS connection with the last answer still queued.
        var a = StartAgent("drain");
        using var sleeper = Process.Start("/bin/sleep", "6");
        var call = Task.Run(() => Call($"agent://{a.Host}/proc://{sleeper.Id}.wait", "--timeout", "25s"));
        await Task.Delay(3000);
        if (call.IsCompleted) Assert.Fail("the call ended before the agent was stopped: " + await call + Err(a));
        Assert.Equal(0, Shell.Run($"kill -TERM {a.Process.Id}").ExitCode);
        var run = await call;
        Assert.True(a.Process.WaitForExit(30000), "resh agent did not stop on SIGTERM");
        a.Process.WaitForExit();
        var log = Err(a);
        Assert.True(run.ExitCode == 0, run + "\n" + log);
        Assert.Equal("ok", Code(run.Envelope));
        // The call was in flight when the signal came: the agent said it was stopping before the call ended.
        var stopping = log.IndexOf("stopping;", StringComparison.Ordinal);
        var answered = log.IndexOf("proc.wait ok", StringComparison.Ordinal);
        Assert.True(stopping >= 0 && answered > stopping, log);
        Assert.Equal(0, a.Process.ExitCode);
    }

    [Fact]
    public void Sighup_re_reads_the_callers_and_roles_and_a_broken_file_refuses_every_call()
    {
        // s41 (issue 21): the agent read its roles only at start; a narrowed grant needed a restart.
        var a = StartAgent("hup");
        var run = Call($"agent://{a.Host}/file://~/before.write", "content=1");
        Assert.True(run.ExitCode == 0, run + Err(a));
        var config = _dir["agent-hup.toml"];
        var text = File.ReadAllText(config);
        var alice = text.IndexOf("[agent.callers.alice]", StringComparison.Ordinal);
        var role = text.IndexOf("role = \"ops\"", alice, StringComparison.Ordinal);
        File.WriteAllText(config, text[..role] + "role = \"viewer\"" + text[(role + "role = \"ops\"".Length)..]);
        Assert.Equal(0, Shell.Run($"kill -HUP {a.Process.Id}").ExitCode);
        for (var i = 0; i < 100 && !Err(a).Contains("config re-read"); i++) Thread.Sleep(100);
        Assert.Contains("config re-read", Err(a));
        Assert.False(a.Process.HasExited);
        run = Call($"agent://{a.Host}/file://~/after.write", "content=1");
        Assert.True((run.ExitCode, run.ErrorCode) == (4, "permission_denied"), run + Err(a));
        Assert.False(File.Exists(Path.Combine(a.Data, "after")));
        Assert.True(Call($"agent://{a.Host}/system://.uptime").ExitCode == 0); // the viewer role still reads

        File.WriteAllText(config, "[agent\nbroken");
        Assert.Equal(0, Shell.Run($"kill -HUP {a.Process.Id}").ExitCode);
        for (var i = 0; i < 100 && !Err(a).Contains("refuses every call"); i++) Thread.Sleep(100);
        run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ErrorCode == "unavailable", run + Err(a));
        Assert.False(a.Process.HasExited);
    }

    [Fact]
    public void A_config_file_others_can_write_or_another_user_owns_refuses_start()
    {
        // s41 attacker #5: the agent (often root) took its callers, roles and exec from a file another user could change.
        // The url points at a closed port: without the check the agent would fail "unavailable" instead.
        var config = _dir.File("agent-perm.toml", "[agent]\nurl = \"nats://127.0.0.1:1\"\ntls = \"off\"\nhost = \"" + H("perm") + "\"\n");
        var env = new Dictionary<string, string> { ["RESH_HOME"] = _dir["home-perm"], ["NO_COLOR"] = "1" };
        File.SetUnixFileMode(config, (UnixFileMode)0x1b4); // 0664
        var run = ReshBinary.Run(["agent", "--config", config], env: env, wait: TimeSpan.FromSeconds(30));
        Assert.True((run.ExitCode, run.ErrorCode) == (4, "permission_denied"), run.ToString());
        Assert.Contains("chmod go-w", run.Stdout);
        File.SetUnixFileMode(config, (UnixFileMode)0x1a4); // 0644: now it passes the check and fails on the closed port
        run = ReshBinary.Run(["agent", "--config", config], env: env, wait: TimeSpan.FromSeconds(30));
        Assert.True(run.ErrorCode == "unavailable", run.ToString());
        if (Environment.UserName != "root") return; // chown needs root
        Assert.Equal(0, Shell.Run($"chown nobody '{config}'").ExitCode);
        run = ReshBinary.Run(["agent", "--config", config], env: env, wait: TimeSpan.FromSeconds(30));
        Assert.True((run.ExitCode, run.ErrorCode) == (4, "permission_denied"), run.ToString());
        Assert.Contains("belongs to user", run.Stdout);
    }

    [Fact]
    public void A_sighup_after_the_config_became_writable_by_others_takes_no_new_grant()
    {
        // s41 attacker #5: bob (viewer) edits himself to ops in a file others can write, then a routine reload follows.
        var a = StartAgent("hupw");
        var bob = CallerConfig("bob");
        var config = _dir["agent-hupw.toml"];
        var text = File.ReadAllText(config);
        var at = text.IndexOf("[agent.callers.bob]", StringComparison.Ordinal);
        var role = text.IndexOf("role = \"viewer\"", at, StringComparison.Ordinal);
        var widened = text[..role] + "role = \"ops\"" + text[(role + "role = \"viewer\"".Length)..];
        Assert.True(CallWith(bob, $"agent://{a.Host}/file://~/pre.write", "content=1").ErrorCode == "permission_denied");

        void Hup(string expect)
        {
            var before = Err(a).Length;
            Assert.Equal(0, Shell.Run($"kill -HUP {a.Process.Id}").ExitCode);
            for (var i = 0; i < 100 && !Err(a)[before..].Contains(expect); i++) Thread.Sleep(100);
            Assert.True(Err(a)[before..].Contains(expect), Err(a));
        }
        File.WriteAllText(config, widened);
        File.SetUnixFileMode(config, (UnixFileMode)0x1a6); // 0646: o+w
        Hup("writable by group or others");
        var run = CallWith(bob, $"agent://{a.Host}/file://~/w1.write", "content=1");
        Assert.True(run.ErrorCode == "unavailable", run + Err(a)); // fail closed, as for a file that no longer reads
        Assert.False(File.Exists(Path.Combine(a.Data, "w1")));
        Assert.False(a.Process.HasExited);

        if (Environment.UserName == "root")
        {
            File.SetUnixFileMode(config, (UnixFileMode)0x1a4); // 0644 but owned by another user
            Assert.Equal(0, Shell.Run($"chown nobody '{config}'").ExitCode);
            Hup("belongs to user");
            run = CallWith(bob, $"agent://{a.Host}/file://~/w2.write", "content=1");
            Assert.True(run.ErrorCode == "unavailable", run + Err(a));
            Assert.False(File.Exists(Path.Combine(a.Data, "w2")));
            Assert.Equal(0, Shell.Run($"chown 0 '{config}'").ExitCode);
        }
        // Owned and private again: the reload takes the file (the refusals above were the owner/mode check, nothing else).
        File.SetUnixFileMode(config, (UnixFileMode)0x1a4);
        Hup("config re-read");
        run = CallWith(bob, $"agent://{a.Host}/file://~/w3.write", "content=1");
        Assert.True(run.ExitCode == 0, run + Err(a));
    }
}
