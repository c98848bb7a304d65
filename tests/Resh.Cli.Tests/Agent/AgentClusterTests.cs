using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Agent;

/// <summary>
/// Issue 21: three nats-server on loopback joined by cluster routes, agents spread over them (`urls = [...]`). The
/// server one agent is connected to is frozen (SIGSTOP, so the outage lasts as long as the test needs) and killed
/// (SIGKILL) mid-run: a call during the outage reports that agent unreachable in a partial fleet envelope, the agent
/// reconnects to another server, a call after reaches every agent, and nothing ran twice (each call appends one letter).
/// The servers and agents are this class's own, stopped by PID even when an assertion fails.
/// </summary>
public sealed class AgentClusterTests : IDisposable
{
    readonly TempDir _dir = new("agentcluster");
    readonly List<Process> _servers = [];
    readonly List<(int Port, int Monitor)> _ports = [];
    readonly List<(string Host, string Data, Process Process, StringBuilder Err)> _agents = [];
    readonly string _callerHome;
    readonly string _p = "c" + Guid.NewGuid().ToString("N")[..6];

    public AgentClusterTests()
    {
        _callerHome = _dir["caller"];
        Directory.CreateDirectory(_callerHome);
    }

    public void Dispose()
    {
        foreach (var a in _agents) Stop(a.Process);
        foreach (var s in _servers)
        {
            try { if (!s.HasExited) Shell.Run($"kill -CONT {s.Id}"); } catch (InvalidOperationException) { }
            Stop(s);
        }
        _dir.Dispose();
    }

    static void Stop(Process p)
    {
        try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
        p.Dispose();
    }

    Dictionary<string, string> CallerEnv => new() { ["RESH_HOME"] = _callerHome, ["HOME"] = _callerHome };

    void StartCluster()
    {
        var ports = LoopbackPorts.Free(9);
        var routes = Enumerable.Range(0, 3).Select(i => ports[6 + i]).ToArray();
        for (var i = 0; i < 3; i++)
        {
            var dir = _dir[$"nats{i}"];
            Directory.CreateDirectory(dir);
            var conf = _dir.File($"nats{i}/nats.conf", $$"""
                listen: 127.0.0.1:{{ports[i]}}
                http: 127.0.0.1:{{ports[3 + i]}}
                server_name: n{{i}}
                cluster {
                  name: resh
                  listen: 127.0.0.1:{{routes[i]}}
                  routes: [{{string.Join(", ", routes.Where((_, j) => j != i).Select(r => $"nats-route://127.0.0.1:{r}"))}}]
                }
                """);
            var psi = new ProcessStartInfo("nats-server") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in (string[])["-c", conf, "-l", Path.Combine(dir, "nats.log")]) psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            _servers.Add(p);
            _ports.Add((ports[i], ports[3 + i]));
        }
        // Healthy, and each routed to both others.
        var until = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; i < 3; i++)
            while (Monitor(i, "routez")?["num_routes"]?.GetValue<int>() is not >= 2)
            {
                // The message is built only on failure: the log does not exist until the server has started.
                if (DateTime.UtcNow >= until) Assert.Fail($"nats-server n{i} did not route to the others:\n{LogOf(i)}");
                Thread.Sleep(100);
            }
    }

    string LogOf(int server)
    {
        var log = Path.Combine(_dir[$"nats{server}"], "nats.log");
        return File.Exists(log) ? File.ReadAllText(log) : $"(no {log}; exited: {_servers[server].HasExited})";
    }

    JsonObject? Monitor(int server, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try { return JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{_ports[server].Monitor}/{path}").Result) as JsonObject; }
        catch (Exception e) when (e is AggregateException or HttpRequestException or TaskCanceledException) { return null; }
    }

    /// <summary>The server (0-2) the agent of this host is connected to, by its connection name on /connz.</summary>
    int ServerOf(string host)
    {
        for (var i = 0; i < 3; i++)
            if (Monitor(i, "connz")?["connections"]?.AsArray().Any(c => c?["name"]?.GetValue<string>() == "resh-agent " + host) == true) return i;
        return -1;
    }

    string Url(int i) => $"nats://127.0.0.1:{_ports[i].Port}";

    string StartAgent(string name, string pub, int[] order)
    {
        var host = $"{_p}-{name}";
        var home = _dir[$"home-{name}"];
        var data = _dir[$"data-{name}"];
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(data);
        var config = _dir.File($"agent-{name}.toml", $$"""
            [agent]
            urls = [{{string.Join(", ", order.Select(i => $"\"{Url(i)}\""))}}]
            tls = "off"
            host = "{{host}}"

            [agent.callers.alice]
            key = "{{pub}}"
            role = "ops"

            [roles.ops]
            allow = ["system.*", "file.*:file://{{data}}/**"]
            """);
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["agent", "--config", config]) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = home;
        psi.Environment["HOME"] = data;
        psi.Environment["NO_COLOR"] = "1";
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
        _agents.Add((host, data, p, err));
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Assert.True(ready.Wait(TimeSpan.FromSeconds(60)), $"resh agent {host} did not become ready:\n{Err(host)}");
        return host;
    }

    string Err(string host)
    {
        var a = _agents.Single(x => x.Host == host);
        lock (a.Err) return a.Err.ToString();
    }

    string Data(string host) => _agents.Single(x => x.Host == host).Data;

    ReshRun Call(string config, params string[] args) =>
        ReshBinary.Run([.. args, "--config", config, "--format", "json"], env: CallerEnv, wait: TimeSpan.FromSeconds(90));

    static string Str(JsonNode? n) => n?.GetValue<string>() ?? "";

    [Fact]
    public void An_agents_server_killed_mid_run_reports_it_unreachable_then_it_reconnects_and_nothing_runs_twice()
    {
        StartCluster();
        var key = ReshBinary.Run(["agent", "key", "create", "name=alice", "--format", "json"], env: CallerEnv);
        Assert.True(key.ExitCode == 0, key.ToString());
        var pub = key.Result!["public_key"]!.GetValue<string>();
        // Spread: each agent lists the three servers, its own first (NATS.Net may pick any of them: /connz says which).
        var hosts = new[] { StartAgent("a", pub, [0, 1, 2]), StartAgent("b", pub, [1, 2, 0]), StartAgent("c", pub, [2, 0, 1]) };
        var victim = ServerOf(hosts[0]);
        // At least one agent must be elsewhere for the outage to be partial: start c again until it is (NATS.Net shuffles the list).
        for (var i = 0; i < 20 && ServerOf(hosts[2]) == victim; i++)
        {
            var c = _agents.Single(x => x.Host == hosts[2]);
            Stop(c.Process);
            _agents.Remove(c);
            StartAgent("c", pub, [2, 0, 1]);
        }
        var on = hosts.ToDictionary(h => h, ServerOf);
        Assert.True(on.Values.All(s => s >= 0) && on[hosts[2]] != victim, string.Join(", ", on));
        var onVictim = hosts.Where(h => on[h] == victim).ToHashSet();
        var others = hosts.Except(onVictim).ToArray();
        // The caller connects to a server that stays up.
        var survivors = Enumerable.Range(0, 3).Where(i => i != victim).ToArray();
        var config = _dir.File("caller.toml", $"""
            [agent]
            urls = [{string.Join(", ", survivors.Select(i => $"\"{Url(i)}\""))}]
            tls = "off"
            key = "alice"
            timeout = "20s"
            discover_wait = "3s"
            discover_idle = "500ms"
            """);
        var list = string.Join(',', hosts);

        var before = Call(config, $"agent://{list}/file://~/log.append", "content=b");
        Assert.True(before.ExitCode == 0, before.ToString());

        // The outage: the victim server stops answering (frozen), then is killed by PID.
        var server = _servers[victim];
        Assert.Equal(0, Shell.Run($"kill -STOP {server.Id}").ExitCode);
        var during = Call(config, $"agent://{list}/file://~/log.append", "content=d", "--timeout", "6s");
        Assert.True(during.ErrorCode == "partial", during.ToString());
        Assert.Equal(onVictim.Order(StringComparer.Ordinal), during.Envelope["error"]!["details"]!["unreachable"]!.AsArray().Select(Str).Order(StringComparer.Ordinal));
        var results = during.Envelope["result"]!["hosts"]!.AsArray().Select(h => (JsonObject)h!).ToList();
        foreach (var h in results)
        {
            var host = Str(h["host"]);
            var ok = h["ok"]!.GetValue<bool>();
            Assert.True(ok == !onVictim.Contains(host), $"{host} on n{on[host]} (victim n{victim}): {h.ToJsonString()}");
            if (!ok) Assert.Equal("no_answer", Str(h["error"]!["details"]!["phase"]));
        }
        Assert.Equal(0, Shell.Run($"kill -KILL {server.Id}").ExitCode);
        server.WaitForExit(10000);

        // The agents that were on it reconnect to another server by themselves.
        foreach (var h in onVictim)
        {
            var until = DateTime.UtcNow.AddSeconds(30);
            while (!(Err(h).Contains("disconnected from NATS") && ServerOf(h) is var s && s >= 0 && s != victim))
            {
                Assert.True(DateTime.UtcNow < until, $"{h} did not reconnect:\n{Err(h)}");
                Thread.Sleep(200);
            }
        }
        var after = Call(config, $"agent://{list}/file://~/log.append", "content=a");
        Assert.True(after.ExitCode == 0 && after.Envelope["error"] is null, after + "\n" + string.Join("\n", hosts.Select(Err)));

        // Nothing ran twice: each agent has exactly the letters of the calls that reached it, once each.
        foreach (var h in hosts)
            Assert.Equal(onVictim.Contains(h) ? "ba" : "bda", File.ReadAllText(Path.Combine(Data(h), "log")));
        Assert.NotEmpty(others);
        Assert.Contains(hosts[0], onVictim);
    }
}
