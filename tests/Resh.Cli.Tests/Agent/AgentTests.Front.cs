using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Agent;

/// <summary>
/// Issue 21: `resh agent` becomes a small front on NATS and runs the full resh as a worker only while calls come
/// (docs/agent.md "The front"). Asserted on the real processes: the PID the test started (the front keeps it), its
/// children (the worker), /proc/PID/status, cmdline and environ.
/// </summary>
public sealed partial class AgentTests
{
    /// <summary>The children of <paramref name="pid"/> (the front's worker), read from /proc.</summary>
    static List<int> Children(int pid)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == pid) found.Add(child);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    static bool Eventually(Func<bool> condition, TimeSpan within)
    {
        var end = DateTime.UtcNow + within;
        while (DateTime.UtcNow < end)
        {
            if (condition()) return true;
            Thread.Sleep(100);
        }
        return condition();
    }

    [Fact]
    public void A_call_for_other_agents_does_not_start_this_agents_worker()
    {
        // s43 user review: every call on the subject woke the full resh on every agent, named or not.
        var a = StartAgent("bystander", extra: "worker_idle = \"1s\"");
        var b = StartAgent("named", extra: "worker_idle = \"1s\"");
        var run = Call($"agent://{b.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run + Err(b));
        Assert.True(Eventually(() => Children(b.Process.Id).Count == 0, TimeSpan.FromSeconds(15)), "the named agent's worker did not leave:\n" + Err(b));
        for (var i = 0; i < 5; i++)
        {
            run = Call($"agent://{b.Host}/system://.uptime");
            Assert.True(run.ExitCode == 0, run + Err(b));
            Assert.Empty(Children(a.Process.Id)); // the bystander never started one
        }
        // A control: the bystander's front does start its worker for a call that names it.
        run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run + Err(a));
    }

    [Fact]
    public void A_binary_written_over_in_place_is_not_run_as_the_next_worker()
    {
        // s43 attacker #2: the held descriptor keeps the inode, so `cp new onto it` changed what the next worker ran.
        var copy = Path.Combine(_dir["bin"], "resh");
        Directory.CreateDirectory(_dir["bin"]);
        File.Copy(ReshBinary.Path, copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
        var marker = Path.Combine(_dir["bin"], "ran");
        var a = StartAgent("inplace", extra: "worker_idle = \"1s\"", binary: copy);
        var run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run + Err(a));
        Assert.True(Eventually(() => Children(a.Process.Id).Count == 0, TimeSpan.FromSeconds(15)), "the worker did not leave:\n" + Err(a));
        using (var f = new FileStream(copy, FileMode.Open, FileAccess.Write)) // written over in place: same inode
        {
            f.SetLength(0);
            f.Write(Encoding.UTF8.GetBytes($"#!/bin/sh\necho replaced > {marker}\n"));
        }
        run = Call($"agent://{a.Host}/system://.uptime", "--timeout", "5s");
        Assert.NotEqual(0, run.ExitCode);
        Assert.False(File.Exists(marker), "the replaced binary ran as the worker");
        Assert.True(Eventually(() => Err(a).Contains("changed in place", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Err(a));
    }

    [Fact]
    public void An_idle_agent_is_its_small_front_and_its_worker_is_gone()
    {
        var a = StartAgent("idle", extra: "worker_idle = \"1s\"");
        var run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run + Err(a));
        Assert.True(Eventually(() => Children(a.Process.Id).Count == 0, TimeSpan.FromSeconds(15)), "the worker did not exit after worker_idle:\n" + Err(a));
        Thread.Sleep(1000); // the front settles after its worker left
        var rss = RssKb(a.Process.Id);
        Assert.True(rss is > 0 and <= 15 * 1024, $"an idle agent has {rss} KiB resident (issue 21: at most 15 MiB)\n{Err(a)}");
        Assert.DoesNotContain("the agent runs in one process", Err(a));
        // Still an agent: the next call starts a worker and gets its answer.
        run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run + Err(a));
    }

    [Fact]
    public void A_call_after_the_worker_left_runs_and_replays_and_calls_from_before_the_start_are_still_refused()
    {
        var a = StartAgent("replay", extra: "worker_idle = \"1s\"");
        var message = Message(Payload([a.Host], "system://", "uptime", "{}"), _aliceSeed);
        var first = Publish(message, TimeSpan.FromSeconds(20));
        Assert.True(first.Count == 1 && Code((System.Text.Json.Nodes.JsonObject)first[0]["envelope"]!) == "ok", string.Join("\n", first) + Err(a));
        Assert.True(Eventually(() => Children(a.Process.Id).Count == 0, TimeSpan.FromSeconds(15)), "the worker did not exit after worker_idle:\n" + Err(a));

        // The same bytes again, to a new worker: refused, the id was verified by the one before (the front kept it).
        var replay = Publish(message, TimeSpan.FromSeconds(20));
        Assert.True(replay.Count == 1, Err(a));
        var env = (System.Text.Json.Nodes.JsonObject)replay[0]["envelope"]!;
        Assert.Equal("permission_denied", Code(env));
        Assert.Contains("seen before", Str(env["error"]!["message"]));

        // Issued before the agent started (its front keeps that time for every worker): refused.
        Assert.True(Eventually(() => Children(a.Process.Id).Count == 0, TimeSpan.FromSeconds(15)), Err(a));
        var early = Publish(Message(Payload([a.Host], "system://", "uptime", "{}", issued: a.Process.StartTime.ToUniversalTime().AddSeconds(-5)), _aliceSeed), TimeSpan.FromSeconds(20));
        Assert.True(early.Count == 1, Err(a));
        env = (System.Text.Json.Nodes.JsonObject)early[0]["envelope"]!;
        Assert.Equal("permission_denied", Code(env));
        Assert.Contains("before this agent started", Str(env["error"]!["message"]));

        var fresh = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(fresh.ExitCode == 0, fresh + Err(a));
    }

    [Fact]
    public void A_killed_worker_is_started_again_on_the_next_call()
    {
        var a = StartAgent("killed");
        Assert.True(Call($"agent://{a.Host}/system://.uptime").ExitCode == 0, Err(a));
        var workers = Children(a.Process.Id);
        Assert.True(workers.Count == 1, $"expected one worker, found {workers.Count}\n{Err(a)}");
        Assert.Equal(0, Shell.Run($"kill -KILL {workers[0]}").ExitCode);
        Assert.True(Eventually(() => Err(a).Contains("exited with status"), TimeSpan.FromSeconds(10)), Err(a));
        var run = Call($"agent://{a.Host}/system://.uptime");
        Assert.True(run.ExitCode == 0, run + Err(a));
        var now = Children(a.Process.Id);
        Assert.True(now.Count == 1 && now[0] != workers[0], $"workers before {workers[0]}, now {string.Join(",", now)}\n{Err(a)}");
        Assert.False(a.Process.HasExited);
    }

    [Fact]
    public void Secrets_are_in_neither_the_argv_nor_the_environment_of_the_front_or_the_worker()
    {
        var a = StartAgent("secret", password: true); // user/password from env: (RESH_TEST_NATS_PW) over NATS auth
        Assert.True(Call($"agent://{a.Host}/system://.uptime").ExitCode == 0, Err(a));
        var workers = Children(a.Process.Id);
        Assert.True(workers.Count == 1, Err(a));
        foreach (var pid in (int[])[a.Process.Id, workers[0]])
            foreach (var part in (string[])["cmdline", "environ"])
            {
                var text = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/{part}"));
                Assert.DoesNotContain(_nats.Password, text);
                Assert.DoesNotContain("RESH_TEST_NATS_PW", text);
            }
        // The front really is the program from memory and the worker the resh binary.
        Assert.StartsWith("/memfd:resh-agent-front", new FileInfo($"/proc/{a.Process.Id}/exe").LinkTarget ?? "");
        Assert.Equal(ReshBinary.Path, new FileInfo($"/proc/{workers[0]}/exe").LinkTarget);
    }
}
