using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

[Collection("ssh")]
public sealed class SshFleetTests(SshBackend ssh)
{
    [Fact]
    public void A_config_group_runs_on_every_host_and_is_summarised()
    {
        var run = ssh.Run("ssh://@fleet/system://.hostname");
        Assert.True(run.Ok, run.ToString());
        var env = run.Envelope;
        Assert.Equal("ssh", env["handle"]!.GetValue<string>());
        var hosts = run.Result!["hosts"]!.AsArray();
        Assert.Equal(SshBackend.Hosts, hosts.Count);
        for (int i = 0; i < hosts.Count; i++)
        {
            // In the order named, each the host's own envelope, run in its own namespace.
            Assert.Equal($"reshf{i + 1}", hosts[i]!["host"]!.GetValue<string>());
            Assert.Equal($"reshf{i + 1}", hosts[i]!["result"]!["hostname"]!.GetValue<string>());
            Assert.Equal("system", hosts[i]!["handle"]!.GetValue<string>());
        }
        var summary = run.Result!["summary"]!;
        Assert.Equal(SshBackend.Hosts, summary["ok"]!.GetValue<int>());
        Assert.Equal(0, summary["failed"]!.GetValue<int>());
        Assert.Equal(0, summary["unreachable"]!.GetValue<int>());
        Assert.StartsWith("reshf", summary["slowest"]!["host"]!.GetValue<string>());
    }

    [Fact]
    public void Ndjson_streams_each_host_envelope_then_the_fleet_envelope()
    {
        var run = ssh.Run("ssh://reshf[1:5]/system://.hostname", "--format", "ndjson");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(6, lines.Count);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"reshf{i}").Order(), lines.Take(5).Select(l => l["host"]!.GetValue<string>()).Order());
        Assert.All(lines.Take(5), l => Assert.Equal("system", l["handle"]!.GetValue<string>()));
        var fleet = lines[5];
        Assert.Equal("ssh", fleet["handle"]!.GetValue<string>());
        Assert.Null(fleet["result"]!["hosts"]);
        Assert.Equal(5, fleet["result"]!["summary"]!["ok"]!.GetValue<int>());
    }

    [Fact]
    public void An_unreachable_host_is_reported_while_the_others_succeed()
    {
        var run = ssh.Run("ssh://reshf1,ghost,reshf2/system://.hostname");
        Assert.Equal(9, run.ExitCode);
        Assert.Equal("partial", run.ErrorCode);
        var hosts = run.Result!["hosts"]!.AsArray();
        Assert.Equal(["reshf1", "ghost", "reshf2"], hosts.Select(h => h!["host"]!.GetValue<string>()));
        Assert.True(hosts[0]!["ok"]!.GetValue<bool>());
        Assert.True(hosts[2]!["ok"]!.GetValue<bool>());
        Assert.Equal("reshf2", hosts[2]!["result"]!["hostname"]!.GetValue<string>());
        Assert.Equal("unavailable", hosts[1]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("connect", hosts[1]!["error"]!["details"]!["phase"]!.GetValue<string>());
        var summary = run.Result!["summary"]!;
        Assert.Equal(2, summary["ok"]!.GetValue<int>());
        Assert.Equal(1, summary["unreachable"]!.GetValue<int>());
        Assert.Equal("ghost", run.Envelope["error"]!["details"]!["unreachable"]![0]!.GetValue<string>());
    }

    [Fact]
    public void An_Ansible_INI_inventory_is_used_as_is()
    {
        // inventory.ini names hosts f1..f20 with ansible_host=10.251.0.x and [fleet:vars] ansible_user/ansible_port.
        var run = ssh.Run("ssh://@fleet/system://.hostname", $"inventory={ssh.Inventory}");
        Assert.True(run.Ok, run.ToString());
        var hosts = run.Result!["hosts"]!.AsArray();
        Assert.Equal(SshBackend.Hosts, hosts.Count);
        Assert.Equal("f3", hosts[2]!["host"]!.GetValue<string>());
        Assert.Equal("reshf3", hosts[2]!["result"]!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void An_inventory_host_name_alone_takes_its_ansible_host()
    {
        var run = ssh.Run("ssh://f7/system://.hostname", $"inventory={ssh.Inventory}");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("reshf7", run.Result!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void An_ansible_host_that_is_an_ssh_config_alias_goes_through_that_alias()
    {
        // Like Ansible, resh gives ssh the ansible_host, so the `inner` Host block (127.0.0.1:2222 via ProxyJump reshf2) applies.
        using var dir = new TempDir("inv-alias");
        var inventory = dir.File("hosts.ini", "viaalias ansible_host=inner\n");
        var run = ssh.Run("ssh://viaalias/system://.hostname", $"inventory={inventory}");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("reshinner", run.Result!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void Nested_config_groups_and_tables_expand()
    {
        var run = ssh.Run("ssh://@webdb/system://.hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(["reshf1", "reshf2", "reshf3"], run.Result!["hosts"]!.AsArray().Select(h => h!["result"]!["hostname"]!.GetValue<string>()));
    }

    [Fact]
    public void An_unknown_group_is_not_found_with_a_suggestion()
    {
        var run = ssh.Run("ssh://@flet/system://.hostname");
        Assert.Equal("not_found", run.ErrorCode);
        Assert.Contains("@fleet", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Forks_bounds_the_parallelism_without_changing_the_answer()
    {
        var run = ssh.Run("ssh://reshf[1:4]/system://.hostname", "--forks", "1");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(4, run.Result!["summary"]!["ok"]!.GetValue<int>());
    }

    [Fact]
    public void Own_verbs_fan_out_too()
    {
        var run = ssh.Run("ssh://reshf[8:10].exec(command=hostname)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(["reshf8\n", "reshf9\n", "reshf10\n"], run.Result!["hosts"]!.AsArray().Select(h => h!["result"]!["stdout"]!.GetValue<string>()));
        Assert.Equal(3, run.Result!["summary"]!["changed"]!.GetValue<int>());
    }

    [Fact]
    public void A_changed_host_key_is_counted_apart_from_hosts_that_are_down()
    {
        var run = ssh.Run("ssh://reshf1,changed,ghost/system://.hostname");
        Assert.Equal("partial", run.ErrorCode);
        var summary = run.Result!["summary"]!;
        Assert.Equal(1, summary["host_key_changed"]!.GetValue<int>());
        Assert.Equal(1, summary["unreachable"]!.GetValue<int>());
        Assert.Equal(["changed"], run.Envelope["error"]!["details"]!["host_key_changed"]!.AsArray().Select(h => h!.GetValue<string>()));
        Assert.Equal(["ghost"], run.Envelope["error"]!["details"]!["unreachable"]!.AsArray().Select(h => h!.GetValue<string>()));
    }

    [Fact]
    public void The_overall_timeout_caps_the_connection_attempts()
    {
        // connect_timeout is 3s in the config; with --timeout 2s the dead host's attempt must end in time to answer for it.
        var run = ssh.Run("--timeout", "2s", "ssh://reshf1,ghost/system://.hostname");
        Assert.Equal(9, run.ExitCode);
        var ghost = run.Result!["hosts"]!.AsArray().Single(h => h!["host"]!.GetValue<string>() == "ghost")!;
        Assert.Equal("unavailable", ghost["error"]!["code"]!.GetValue<string>());
        Assert.Equal("connect", ghost["error"]!["details"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void Limit_narrows_a_group_as_Ansible_does()
    {
        string[] Hosts(ReshRun r) { Assert.True(r.Ok, r.ToString()); return r.Result!["hosts"]!.AsArray().Select(h => h!["host"]!.GetValue<string>()).ToArray(); }
        Assert.Equal(["reshf1", "reshf11", "reshf12", "reshf13", "reshf14", "reshf15", "reshf16", "reshf17", "reshf18", "reshf19"],
            Hosts(ssh.Run("ssh://@fleet/system://.hostname", "--limit", "reshf1*:!reshf10")));
        Assert.Equal(["reshf1", "reshf2"], Hosts(ssh.Run("ssh://@fleet/system://.hostname", "--limit", "web")));
        Assert.Equal(["reshf2"], Hosts(ssh.Run("ssh://@fleet/system://.hostname", "--limit", "web,&reshf2")));
        Assert.Equal(["f3"], Hosts(ssh.Run("ssh://@fleet.exec(command=true)", $"inventory={ssh.Inventory}", "--limit", "f3")));
        Assert.Equal("not_found", ssh.Run("ssh://@fleet/system://.hostname", "--limit", "nomatch*").ErrorCode);
        // A remote verb with a `limit` of its own keeps it; the host filter is then ssh_limit.
        var proc = ssh.Run("ssh://@web/proc://.list(limit=1)", "ssh_limit=reshf2");
        Assert.Equal(["reshf2"], Hosts(proc));
    }

    [Fact]
    public void Hints_from_a_host_name_the_host_so_they_can_be_pasted()
    {
        using var dir = new Resh.TestSupport.TempDir("sshhint");
        var run = ssh.Run($"ssh://box/cron://nosuch.run-now(root={dir.Path})");
        Assert.Equal("not_found", run.ErrorCode);
        Assert.Contains("resh ssh://box/cron://.list", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void An_IPv6_host_with_a_port_is_named_with_brackets()
    {
        var run = ssh.Run("ssh://[::1]:24399/system://.hostname");
        Assert.Equal("unavailable", run.ErrorCode);
        Assert.Equal("[::1]:24399", run.Envelope["host"]!.GetValue<string>());
    }
}
