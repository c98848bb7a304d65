using System.Diagnostics;
using System.Globalization;
using Resh.Handles.Tests.Sys;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Network;

/// <summary>ping, tcp, wait, scan, traceroute, listening: across the lab's router, compared with ping, nc -z, ss and traceroute.</summary>
[Collection("netlab")]
public sealed class NetReachTests(NetLab lab)
{
    ReshRun InClient(params string[] args) => Tools.Resh(lab.In(lab.Client), args);
    static string S(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Ping_through_the_router_reports_loss_rtt_and_ttl_like_ping()
    {
        var run = InClient($"net://{NetLab.ServerIp}.ping", "count=3", "interval=200ms");
        Assert.True(run.Ok, run.ToString());
        var r = run.Result!;
        Assert.Equal(3, r["transmitted"]!.GetValue<int>());
        Assert.Equal(3, r["received"]!.GetValue<int>());
        Assert.Equal(0.0, r["loss_percent"]!.GetValue<double>());
        var min = r["rtt_min_ms"]!.GetValue<double>(); var avg = r["rtt_avg_ms"]!.GetValue<double>(); var max = r["rtt_max_ms"]!.GetValue<double>();
        Assert.True(min > 0 && min <= avg && avg <= max, run.Stdout);
        Assert.True(r["rtt_mdev_ms"]!.GetValue<double>() >= 0);
        // As root in a namespace that allows ping sockets, the ping socket is used; ping(8) agrees that the host answers.
        Assert.Equal("ping socket", r["method"]!.GetValue<string>());
        Assert.Equal(0, NetLab.InNs(lab.Client, "ping", "-c", "1", "-W", "2", NetLab.ServerIp).Exit);
        Assert.Equal([1, 2, 3], r["replies"]!.AsArray().Select(x => x!["seq"]!.GetValue<int>()));
    }

    [Fact]
    public void Ping_as_root_without_ping_sockets_uses_a_raw_socket_and_reads_the_ttl()
    {
        // The router namespace keeps the kernel default ping_group_range (nobody may open ping sockets).
        var run = Tools.Resh(lab.In(lab.Router), $"net://{NetLab.ServerIp}.ping", "count=2", "interval=200ms");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("raw socket", run.Result!["method"]!.GetValue<string>());
        Assert.Equal(64, run.Result!["replies"]![0]!["ttl"]!.GetValue<int>());
        var client = Tools.Resh(lab.In(lab.Router), $"net://{NetLab.ClientIp}.ping", "count=1");
        Assert.True(client.Ok, client.ToString());
    }

    [Fact]
    public void Ping_of_a_silent_address_is_unavailable_like_ping_exit_1()
    {
        var run = InClient("net://10.231.2.99.ping", "count=2", "interval=200ms", "wait=300ms");
        Assert.Equal("unavailable", run.ErrorCode);
        Assert.Equal(0, run.Envelope["error"]!["details"]!["received"]!.GetValue<int>());
        Assert.NotEqual(0, NetLab.InNs(lab.Client, "ping", "-c", "1", "-W", "1", "10.231.2.99").Exit);
    }

    [Fact]
    public void Ping_unprivileged_uses_ping_sockets_where_allowed_and_the_system_ping_where_not()
    {
        var ok = Tools.Resh(lab.AsNobodyIn(lab.Client), $"net://{NetLab.ServerIp}.ping", "count=2", "interval=200ms");
        Assert.True(ok.Ok, ok.ToString());
        Assert.Equal("ping socket", ok.Result!["method"]!.GetValue<string>());
        Assert.Null(ok.Result!["replies"]![0]!["ttl"]?.GetValue<int?>());

        // Issue 13 D18: the router's namespace allows no ping sockets (ping_group_range "1 0") and nobody has no CAP_NET_RAW,
        // but /bin/ping (cap_net_raw or setuid) works for that user: resh runs it, as the operator would, and reads its replies.
        var viaPing = Tools.Resh(lab.AsNobodyIn(lab.Router), $"net://{NetLab.ServerIp}.ping", "count=2", "interval=200ms");
        Assert.True(viaPing.Ok, viaPing.ToString());
        Assert.StartsWith("ping command", viaPing.Result!["method"]!.GetValue<string>());
        Assert.Equal(2, viaPing.Result!["received"]!.GetValue<int>());
        Assert.Equal([1, 2], viaPing.Result!["replies"]!.AsArray().Select(r => r!["seq"]!.GetValue<int>()));
        Assert.Equal(64, viaPing.Result!["replies"]![0]!["ttl"]!.GetValue<int>()); // the server is one hop from the router, it sent 64
        Assert.True(viaPing.Result!["rtt_avg_ms"]!.GetValue<double>() > 0);
        var system = NetLab.InNs(lab.Router, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "ping", "-c", "1", "-n", NetLab.ServerIp);
        Assert.Equal(0, system.Exit);
        var silent = Tools.Resh(lab.AsNobodyIn(lab.Router), "net://10.231.2.99.ping", "count=1", "wait=1s");
        Assert.Equal("unavailable", silent.ErrorCode);
        var fast = Tools.Resh(lab.AsNobodyIn(lab.Client), $"net://{NetLab.ServerIp}.ping", "interval=10ms");
        Assert.Equal("usage", fast.ErrorCode);
    }

    [Fact]
    public void The_readme_loopback_ping_works_as_written()
    {
        var run = ReshBinary.Run("net://127.0.0.1.ping", "count=3");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(3, run.Result!["received"]!.GetValue<int>());
    }

    [Fact]
    public void Tcp_open_and_closed_ports_agree_with_nc_z()
    {
        var port = lab.ServerPorts[0];
        var open = InClient($"net://{NetLab.ServerIp}:{S(port)}.tcp");
        Assert.True(open.Ok, open.ToString());
        Assert.True(open.Result!["open"]!.GetValue<bool>());
        Assert.True(open.Result!["connect_ms"]!.GetValue<double>() > 0);
        Assert.Equal(0, NetLab.InNs(lab.Client, "nc", "-z", "-w", "2", NetLab.ServerIp, S(port)).Exit);

        var closed = InClient($"net://{NetLab.ServerIp}.tcp", "port=9");
        Assert.Equal("unavailable", closed.ErrorCode);
        Assert.Equal("refused", closed.Envelope["error"]!["details"]!["attempts"]![0]!["outcome"]!.GetValue<string>());
        Assert.NotEqual(0, NetLab.InNs(lab.Client, "nc", "-z", "-w", "2", NetLab.ServerIp, "9").Exit);

        Assert.Equal("usage", InClient("net://10.231.2.2:99999.tcp").ErrorCode);
        Assert.Equal("usage", InClient("net://10.231.2.2.tcp").ErrorCode);
        Assert.Equal("usage", InClient("net://-oProxyCommand=x:22.tcp").ErrorCode);
        Assert.Equal("usage", InClient("net://a%0Ab:22.tcp").ErrorCode);
    }

    [Fact]
    public void The_readme_wait_call_works_as_written_and_a_late_listener_is_waited_for()
    {
        // The server namespace has a listener on its own 127.0.0.1:5432 (the host's port is not involved).
        var run = Tools.Resh(lab.In(lab.Server), "net://127.0.0.1:5432.wait(timeout=30s)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(1, run.Result!["attempts"]!.GetValue<int>());

        var late = NetLab.FreePortIn(lab.Server);
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in lab.In(lab.Client).Skip(1).Concat([ReshBinary.Path, $"net://{NetLab.ServerIp}:{S(late)}.wait", "timeout=20s"])) psi.ArgumentList.Add(a);
        using var waiter = Process.Start(psi)!;
        Thread.Sleep(700);
        Assert.False(waiter.HasExited);
        lab.Listen(lab.Server, "0.0.0.0", late);
        Assert.True(waiter.WaitForExit(20_000));
        var stdout = waiter.StandardOutput.ReadToEnd(); // one small envelope: it fits the pipe, so reading after the exit cannot block
        var envelope = System.Text.Json.Nodes.JsonNode.Parse(stdout)!;
        Assert.True(envelope["ok"]!.GetValue<bool>(), stdout);
        Assert.True(envelope["result"]!["attempts"]!.GetValue<int>() > 1, stdout);

        var timeout = InClient($"net://{NetLab.ServerIp}:9.wait", "timeout=1s");
        Assert.Equal("timeout", timeout.ErrorCode);
        Assert.True(timeout.Envelope["error"]!["details"]!["attempts"]!.GetValue<int>() >= 2);
    }

    [Fact]
    public void Scan_finds_exactly_the_ports_ss_lists_and_refuses_unbounded_ranges()
    {
        var run = InClient($"net://{NetLab.ServerIp}.scan", "ports=1-1024,20000-20100,5432", "concurrency=200");
        Assert.True(run.Ok, run.ToString());
        var ss = NetLab.InNs(lab.Server, "ss", "-H", "-ltn").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])
            .Where(local => local.StartsWith("0.0.0.0:", StringComparison.Ordinal) || local.StartsWith(NetLab.ServerIp + ":", StringComparison.Ordinal))
            .Select(local => int.Parse(local[(local.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture))
            .Where(p => p <= 1024 || p is >= 20000 and <= 20100).Order().ToList();
        Assert.Equal(ss, run.Result!["open"]!.AsArray().Select(p => p!["port"]!.GetValue<int>()).ToList());
        Assert.Equal(1024 + 101 + 1, run.Result!["scanned"]!.GetValue<int>());
        Assert.Equal(run.Result!["scanned"]!.GetValue<int>() - ss.Count, run.Result!["closed"]!.GetValue<int>());

        var full = Tools.Resh(lab.In(lab.Server), "net://127.0.0.1.scan", "ports=1-65535", "concurrency=500");
        Assert.True(full.Ok, full.ToString());
        Assert.Equal(65535, full.Result!["scanned"]!.GetValue<int>());
        Assert.Contains(5432, full.Result!["open"]!.AsArray().Select(p => p!["port"]!.GetValue<int>()));

        foreach (var bad in new[] { "ports=1-99999999", "ports=0", "ports=5-1", "ports=x", "concurrency=100000" })
            Assert.Equal("usage", InClient($"net://{NetLab.ServerIp}.scan", bad).ErrorCode);
    }

    [Fact]
    public void Traceroute_names_the_router_then_the_server_like_traceroute_I()
    {
        var run = InClient($"net://{NetLab.ServerIp}.traceroute", "queries=1", "max_hops=5");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Result!["reached"]!.GetValue<bool>());
        var hops = run.Result!["hops"]!.AsArray();
        Assert.Equal([NetLab.RouterNear, NetLab.ServerIp], hops.Select(h => h!["address"]!.GetValue<string>()));
        Assert.Equal("time-exceeded", hops[0]!["kind"]!.GetValue<string>());
        Assert.Equal("echo-reply", hops[1]!["kind"]!.GetValue<string>());
        // traceroute(8) sees the same path (its text is read here only, by the test).
        var tr = NetLab.InNs(lab.Client, "traceroute", "-n", "-I", "-q", "1", "-m", "5", NetLab.ServerIp).Stdout;
        Assert.Contains(" " + NetLab.RouterNear + " ", tr);
        Assert.Contains(" " + NetLab.ServerIp + " ", tr);

        var nobody = Tools.Resh(lab.AsNobodyIn(lab.Client), $"net://{NetLab.ServerIp}.traceroute");
        Assert.Equal("permission_denied", nobody.ErrorCode);
    }

    [Fact]
    public void Listening_matches_ss_and_names_the_owning_process()
    {
        var run = Tools.Resh(lab.In(lab.Server), "net://.listening", "protocol=tcp");
        Assert.True(run.Ok, run.ToString());
        var ours = run.Result!["sockets"]!.AsArray().Select(s => $"{s!["address"]}:{s["port"]}").Order().ToList();
        var ss = NetLab.InNs(lab.Server, "ss", "-H", "-ltn").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]).Order().ToList();
        Assert.Equal(ss, ours);
        var pg = run.Result!["sockets"]!.AsArray().First(s => s!["port"]!.GetValue<int>() == 5432)!;
        Assert.Equal("nc", pg["process"]!.GetValue<string>());
        Assert.Equal("root", pg["user"]!.GetValue<string>());
        Assert.True(pg["pid"]!.GetValue<int>() > 0);

        var nobody = Tools.Resh(lab.AsNobodyIn(lab.Server), "net://.listening", "protocol=tcp", "port=5432");
        Assert.True(nobody.Ok, nobody.ToString());
        Assert.Null(nobody.Result!["sockets"]![0]!["pid"]?.GetValue<int?>());
    }
}
