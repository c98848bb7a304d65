using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Agent;

/// <summary>
/// The caller's side of agent:// (s43): a verb's own `timeout` argument and the global --timeout do not collide, and a
/// fleet call stopped by a signal answers `interrupted` (exit 130), as a single call and a pipeline do, not `partial`.
/// </summary>
public sealed partial class AgentTests
{
    ReshRun CallerProcessRun(string[] args, TimeSpan wait) =>
        ReshBinary.Run([.. args, "--config", LongCallerConfig(), "--format", "json"], env: CallerEnv, wait: wait);

    [Fact]
    public void A_verbs_own_timeout_and_the_global_timeout_do_not_collide()
    {
        var a = StartAgent("tmo");
        var b = StartAgent("tmo2");
        using var sleeper = Process.Start("/bin/sleep", "120")!;
        try
        {
            // proc.wait(timeout=60s) would wait 60 s; --timeout 3s is the call's own bound, given once each.
            foreach (var hosts in new[] { a.Host, $"{a.Host},{b.Host}" })
            {
                var clock = Stopwatch.StartNew();
                var run = CallerProcessRun([$"agent://{hosts}/proc://{sleeper.Id}.wait(timeout=60s)", "--timeout", "3s"], TimeSpan.FromSeconds(60));
                Assert.True(run.ErrorCode is not "usage" and not null, run.ToString());
                Assert.DoesNotContain("given 2 times", run.Stdout);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the call took {clock.Elapsed} with --timeout 3s\n{run}");
            }
            // The same stage run locally and over ssh:// parse alike (the parser is one): the flag bounds the call.
            var local = ReshBinary.Run([$"proc://{sleeper.Id}.wait(timeout=60s)", "--timeout", "1s", "--format", "json"], wait: TimeSpan.FromSeconds(30));
            Assert.True(local.ErrorCode == "timeout" && local.ExitCode == 6, local.ToString());
            // Alone, --timeout after such a stage stays the verb's argument (SPEC §1): proc.wait's own timeout, not the call's.
            var own = ReshBinary.Run([$"proc://{sleeper.Id}.wait", "--timeout", "1s", "--format", "json"], wait: TimeSpan.FromSeconds(30));
            Assert.Equal("timeout", own.ErrorCode);
            // Twice as the verb's flag is still one argument given twice.
            Assert.Equal("usage", ReshBinary.Run([$"proc://{sleeper.Id}.wait", "--timeout", "1s", "--timeout", "2s", "--format", "json"]).ErrorCode);
        }
        finally
        {
            Kill(sleeper);
        }
    }

    /// <summary>SIGINT, unless the process inherited SIGINT ignored (a test host started as a background job): then SIGTERM, which resh answers the same way.</summary>
    static string InterruptSignal(int pid)
    {
        try
        {
            var ignored = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))[7..].Trim();
            return (Convert.ToUInt64(ignored, 16) & 0x2) != 0 ? "TERM" : "INT";
        }
        catch (IOException) { return "TERM"; } // gone already: the assertions below say how it ended
    }

    [Fact]
    public async Task A_fleet_call_interrupted_by_a_signal_exits_130_interrupted_not_partial()
    {
        var a = StartAgent("int1");
        var b = StartAgent("int2");
        using var sleeper = Process.Start("/bin/sleep", "120")!;
        using var spy = new RawNats(_nats.Port);
        spy.Subscribe("resh.agent.call");
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[$"agent://{a.Host},{b.Host}/proc://{sleeper.Id}.wait(timeout=80s)", "--config", LongCallerConfig(), "--format", "json"]) psi.ArgumentList.Add(arg);
        foreach (var (k, v) in CallerEnv) psi.Environment[k] = v;
        psi.Environment.Remove("RESH_CONFIG");
        using var caller = Process.Start(psi)!;
        var stdout = caller.StandardOutput.ReadToEndAsync();
        var stderr = caller.StandardError.ReadToEndAsync();
        try
        {
            // The call went out to both agents, which run the wait (for 80 s) when the caller is interrupted.
            Assert.True(spy.Next(TimeSpan.FromSeconds(30)) is { Subject: "resh.agent.call" }, "no call was published\n" + Err(a) + Err(b));
            Thread.Sleep(1500);
            Assert.False(caller.HasExited, "the caller ended before it was interrupted");

            Assert.Equal(0, Shell.Run($"kill -{InterruptSignal(caller.Id)} {caller.Id}").ExitCode);
            Assert.True(caller.WaitForExit(20000), "the interrupted caller did not exit");
            var text = await stdout;
            Assert.True(caller.ExitCode == 130, $"exit {caller.ExitCode}\n{text}\n{await stderr}");
            var env = JsonNode.Parse(text.Trim().Split('\n')[^1])!.AsObject();
            Assert.Equal("interrupted", Code(env));
            // The fleet's result still says what each host did: both were stopped, interrupted.
            var hosts = env["result"]!["hosts"]!.AsArray();
            Assert.Equal(2, hosts.Count);
            Assert.All(hosts, h => Assert.Equal("interrupted", Code(h!.AsObject())));
            Assert.Equal(2, env["result"]!["summary"]!["failed"]!.GetValue<int>());
        }
        finally
        {
            Kill(caller);
            Kill(sleeper);
        }
    }
}
