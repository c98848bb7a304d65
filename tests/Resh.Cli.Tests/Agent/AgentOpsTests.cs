using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Agent;

/// <summary>
/// Issue 21's agent operations (s42): a caller that stops waiting cancels the call on the agents (resh.agent.cancel,
/// signed as a call is), and a second agent answering under a single named host is a warning, not silence.
/// </summary>
public sealed partial class AgentTests
{
    string LongCallerConfig() => _dir.File("caller-long.toml", $"""
        [agent]
        url = "nats://127.0.0.1:{_nats.Port}"
        tls = "off"
        key = "alice"
        timeout = "90s"
        discover_wait = "3s"
        discover_idle = "500ms"
        """);

    byte[] Seed(string name) => Convert.FromBase64String(File.ReadAllText(Path.Combine(_callerHome, "agent", "keys", name + ".key")).Trim()["ed25519-seed:".Length..]);

    /// <summary>A cancel message for call <paramref name="id"/>, signed with <paramref name="seed"/> (over <paramref name="signedPayload"/> when given).</summary>
    static byte[] CancelMessage(string id, string[] hosts, byte[] seed, string caller = "alice", DateTime? issued = null, DateTime? expires = null, string? signedPayload = null)
    {
        var i = issued ?? DateTime.UtcNow;
        var payload = new JsonObject
        {
            ["v"] = 1, ["kind"] = "cancel", ["id"] = id, ["caller"] = caller, ["issued"] = T(i), ["expires"] = T(expires ?? i.AddSeconds(60)),
            ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray()),
        }.ToJsonString();
        return Message(payload, seed, signedPayload);
    }

    /// <summary>Waits until the agent's log has <paramref name="text"/>; the time it took, or null.</summary>
    static TimeSpan? WaitForLog(AgentProc a, string text, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < wait)
        {
            if (Err(a).Contains(text, StringComparison.Ordinal)) return clock.Elapsed;
            Thread.Sleep(50);
        }
        return null;
    }

    static void Kill(Process p)
    {
        try { if (!p.HasExited) { p.Kill(); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
    }

    [Fact]
    public async Task A_caller_interrupted_by_a_signal_cancels_the_call_on_the_agent()
    {
        var a = StartAgent("cancel");
        using var sleeper = Process.Start("/bin/sleep", "120")!;
        using var spy = new RawNats(_nats.Port);
        spy.Subscribe("resh.agent.call");
        spy.Subscribe("resh.agent.cancel");
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[$"agent://{a.Host}/proc://{sleeper.Id}.wait", "timeout=80s", "--config", LongCallerConfig(), "--format", "json"]) psi.ArgumentList.Add(arg);
        foreach (var (k, v) in CallerEnv) psi.Environment[k] = v;
        psi.Environment.Remove("RESH_CONFIG");
        using var caller = Process.Start(psi)!;
        try
        {
            var call = spy.Next(TimeSpan.FromSeconds(30));
            Assert.True(call is { Subject: "resh.agent.call" }, "no call was published\n" + Err(a));
            var open = JsonNode.Parse(call.Value.Data)!;
            var id = Str(JsonNode.Parse(Convert.FromBase64String(Str(open["payload"])))!["id"]);
            Thread.Sleep(1500); // the agent runs proc.wait now (it would for 80 s)
            Assert.False(caller.HasExited, "the caller ended before it was interrupted");
            Assert.False(Err(a).Contains($"call {id}", StringComparison.Ordinal), Err(a));

            // SIGTERM: SIGINT is the same path in resh (CallScope.OnSignal), but a test host started in the background inherits SIGINT ignored.
            Assert.Equal(0, Shell.Run($"kill -TERM {caller.Id}").ExitCode);
            var stdout = caller.StandardOutput.ReadToEndAsync();
            Assert.True(caller.WaitForExit(20000), "the interrupted caller did not exit");
            var env = JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!.AsObject();
            Assert.Equal("interrupted", Code(env));

            // The cancel on the wire names the call's id and the host, signed by the caller.
            var cancel = spy.Next(TimeSpan.FromSeconds(10));
            Assert.True(cancel is { Subject: "resh.agent.cancel" }, "no cancel was published");
            var cancelPayload = JsonNode.Parse(Convert.FromBase64String(Str(JsonNode.Parse(cancel.Value.Data)!["payload"])))!;
            Assert.Equal("cancel", Str(cancelPayload["kind"]));
            Assert.Equal(id, Str(cancelPayload["id"]));
            Assert.Equal(a.Host, Str(cancelPayload["hosts"]![0]));

            // The agent's run ends at once (not at its 90 s expiry), interrupted, and says why; the process waited on lives on.
            Assert.True(WaitForLog(a, $"call {id} from alice: proc.wait interrupted", TimeSpan.FromSeconds(10)) is not null, Err(a));
            // The worker's log line and its answer travel apart (stderr, and the frame pipe then NATS): wait for the line.
            Assert.True(Eventually(() => Err(a).Contains($"call {id} from alice: cancelled by the caller", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Err(a));
            Assert.Contains("(cancelled by the caller)", Err(a));
            Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent:alice" && Str(r["verb"]) == "wait" && Str(r["code"]) == "interrupted");
            Assert.False(sleeper.HasExited);
        }
        finally
        {
            Kill(caller);
            Kill(sleeper);
        }
    }

    [Fact]
    public void Only_a_cancel_signed_by_the_calls_own_caller_in_time_cancels_it()
    {
        var a = StartAgent("cancelx");
        using var sleeper = Process.Start("/bin/sleep", "120")!;
        try
        {
            using var raw = new RawNats(_nats.Port);
            raw.Subscribe(_inbox);
            var id = Guid.NewGuid().ToString("N");
            raw.Publish("resh.agent.call", Message(Payload([a.Host], $"proc://{sleeper.Id}", "wait", "{}", id: id), _aliceSeed), _inbox);
            Thread.Sleep(1500);
            var bob = Seed("bob");
            var other = Guid.NewGuid().ToString("N");
            var good = Encoding.UTF8.GetString(Convert.FromBase64String(Str(JsonNode.Parse(CancelMessage(id, [a.Host], _aliceSeed))!["payload"])));
            // Another trusted caller, a forged signature, an expired cancel, one for other hosts, garbage: none cancels alice's call.
            raw.Publish("resh.agent.cancel", CancelMessage(id, [a.Host], bob, caller: "bob"));
            raw.Publish("resh.agent.cancel", CancelMessage(id, [a.Host], _aliceSeed, signedPayload: good + " "));
            raw.Publish("resh.agent.cancel", CancelMessage(id, [a.Host], _aliceSeed, issued: DateTime.UtcNow.AddMinutes(-10), expires: DateTime.UtcNow.AddMinutes(-9)));
            raw.Publish("resh.agent.cancel", CancelMessage(id, [H("elsewhere")], _aliceSeed));
            raw.Publish("resh.agent.cancel", "{\"payload\":\"!!\"}"u8.ToArray());
            raw.Publish("resh.agent.cancel", Message(Payload([a.Host], "system://", "uptime", "{}", id: id), _aliceSeed)); // a call's signature is no cancel's
            Assert.Null(raw.Next(TimeSpan.FromSeconds(2)));
            Assert.DoesNotContain("cancelled by the caller", Err(a));

            raw.Publish("resh.agent.cancel", CancelMessage(id, [a.Host], _aliceSeed));
            var answer = raw.Next(TimeSpan.FromSeconds(10));
            Assert.NotNull(answer);
            var env = (JsonObject)JsonNode.Parse(answer.Value.Data)!["envelope"]!;
            Assert.Equal("interrupted", Code(env));
            Assert.True(Eventually(() => Err(a).Contains($"call {id} from alice: cancelled by the caller", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Err(a));
            Assert.Contains(Audit(a), r => Str(r["identity"]) == "agent-unverified:alice"); // the forged cancel

            // A cancel that comes before its call: the call is refused when it comes, and nothing runs.
            raw.Publish("resh.agent.cancel", CancelMessage(other, [a.Host], _aliceSeed));
            Thread.Sleep(500);
            raw.Publish("resh.agent.call", Message(Payload([a.Host], "file://~/early", "write", """{"content":"ran"}""", id: other), _aliceSeed), _inbox);
            var early = raw.Next(TimeSpan.FromSeconds(10));
            Assert.NotNull(early);
            var earlyEnv = (JsonObject)JsonNode.Parse(early.Value.Data)!["envelope"]!;
            Assert.Equal("interrupted", Code(earlyEnv));
            Assert.Contains("before it reached", Str(earlyEnv["error"]!["message"]));
            Assert.False(File.Exists(Path.Combine(a.Data, "early")));
        }
        finally { Kill(sleeper); }
    }

    [Fact]
    public void Two_agents_answering_one_named_host_are_a_warning_not_silence()
    {
        var twin = H("twin");
        var a = StartAgent("twin1", host: twin);
        var b = StartAgent("twin2", host: twin);
        // Both wait on one process, so both answer when it exits, within a scheduler's noise of each other (on a loaded
        // machine two agents' answers to an instant verb can be further apart than the caller's wait for a twin).
        using var sleeper = Process.Start("/bin/sleep", "3")!;
        var config = _dir.File("caller-twin.toml", $"""
            [agent]
            url = "nats://127.0.0.1:{_nats.Port}"
            tls = "off"
            key = "alice"
            timeout = "30s"
            discover_idle = "3s"
            """);
        var run = CallWith(config, $"agent://{twin}/proc://{sleeper.Id}.wait");
        Assert.True(run.ExitCode == 0, run.ToString());
        // Both ran it: the caller says so instead of showing one answer as if it were the only one.
        Assert.True(WaitForLog(a, "proc.wait ok", TimeSpan.FromSeconds(5)) is not null && WaitForLog(b, "proc.wait ok", TimeSpan.FromSeconds(5)) is not null, Err(a) + Err(b));
        Assert.True(run.Envelope["warnings"]!.AsArray().Any(w => w!.GetValue<string>().Contains($"A second agent answered as {twin}")), run + Err(a) + Err(b));

        // One agent alone under its name: no such warning.
        var solo = StartAgent("solo");
        var one = Call($"agent://{solo.Host}/file://~/t.write", "content=1");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.DoesNotContain(one.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("second agent"));
    }
}
