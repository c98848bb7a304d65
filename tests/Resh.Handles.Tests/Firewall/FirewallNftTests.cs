using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Firewall;

[Collection(FirewallCollection.Name)]
public sealed class FirewallNftTests(FirewallLab lab)
{
    const string B = "nftables";

    ReshRun R(params string[] args) => lab.Resh(B, [.. args, "backend=nftables"]);

    [Fact]
    public void The_issue_calls_work_as_written()
    {
        var allow = lab.Resh(B, "firewall://.allow(port=443,proto=tcp,comment=web)");
        Assert.True(allow.Ok, allow.ToString());
        Assert.True(allow.Changed);
        Assert.Equal("nftables", allow.Result!["backend"]!.GetValue<string>());
        Assert.False(lab.Resh(B, "firewall://.allow(port=443,proto=tcp,comment=web)").Changed);
        var table = lab.Resh(B, "firewall://.rules.list", "--format", "table");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("web", table.Stdout);
        var deny = lab.Resh(B, "firewall://.deny(from=10.0.0.0/8,port=22,confirm=60s)");
        Assert.True(deny.Ok, deny.ToString());
        Assert.NotNull(deny.Result!["pending"]);
        var status = lab.Resh(B, "firewall://.status");
        Assert.Equal(deny.Result!["pending"]!["id"]!.GetValue<string>(), status.Result!["pending"]!["id"]!.GetValue<string>());
        var timer = deny.Result!["pending"]!["timer_pid"]!.GetValue<int>();
        Assert.Contains("firewall://.rollback", File.ReadAllText($"/proc/{timer}/cmdline"));
        var rollback = lab.Resh(B, "firewall://.rollback");
        Assert.True(rollback.Changed, rollback.ToString());
        var rules = lab.Resh(B, "firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray();
        Assert.DoesNotContain(rules, r => r!["source"]?.GetValue<string>() == "10.0.0.0/8");
        Assert.Contains(rules, r => r!["comment"]?.GetValue<string>() == "web");
        Assert.False(File.Exists($"/proc/{timer}/cmdline") && File.ReadAllText($"/proc/{timer}/cmdline").Contains("firewall://.rollback"));
        Assert.True(lab.Resh(B, "firewall://.rules.delete(port=443,proto=tcp)").Changed);
    }

    [Fact]
    public void Deny_blocks_a_real_connect_and_deleting_the_rule_lets_it_through()
    {
        Assert.True(lab.Connects(B, 24080));
        var deny = R("firewall://.deny(port=24080,proto=tcp,from=10.99.0.2)");
        Assert.True(deny.Changed, deny.ToString());
        Assert.False(lab.Connects(B, 24080));
        Assert.True(lab.Connects(B, 24081));
        var (_, json, _) = lab.Exec(B, "nft", "-j", "list", "table", "inet", "resh");
        Assert.Contains("resh:" + deny.Result!["rules"]![0]!["id"]!.GetValue<string>(), json);
        var listed = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray().Single(r => r!["ports"]![0]!.GetValue<string>() == "24080")!;
        Assert.Equal("drop", listed["action"]!.GetValue<string>());
        Assert.Equal("10.99.0.2", listed["source"]!.GetValue<string>());
        Assert.Equal("ipv4", listed["family"]!.GetValue<string>());
        Assert.True(listed["packets"]!.GetValue<long>() >= 1); // the blocked SYN was counted
        var del = R($"firewall://{listed["id"]!.GetValue<string>()}.rules.delete");
        Assert.True(del.Changed, del.ToString());
        Assert.True(lab.Connects(B, 24080));
        Assert.False(R($"firewall://{listed["id"]!.GetValue<string>()}.rules.delete").Changed);
    }

    [Fact]
    public void An_unconfirmed_change_is_rolled_back_by_the_detached_timer_and_a_confirmed_one_stays()
    {
        var deny = R("firewall://.deny(port=24082,proto=tcp,confirm=2s)");
        Assert.True(deny.Ok, deny.ToString());
        Assert.False(lab.Connects(B, 24082));
        Assert.True(lab.Eventually(B, 24082, open: true, seconds: 8), "the rollback timer did not restore traffic");
        Assert.Null(R("firewall://.status").Result!["pending"]);

        var keep = R("firewall://.deny(port=24083,proto=tcp,confirm=30s)");
        var timer = keep.Result!["pending"]!["timer_pid"]!.GetValue<int>();
        var confirm = R("firewall://.confirm");
        Assert.True(confirm.Changed, confirm.ToString());
        Assert.True(SpinUntil(() => !File.Exists($"/proc/{timer}/cmdline") || !File.ReadAllText($"/proc/{timer}/cmdline").Contains("rollback")));
        Assert.False(lab.Connects(B, 24083));
        Assert.False(R("firewall://.confirm").Changed);
        Assert.True(R("firewall://.rules.delete(port=24083)").Changed);
        Assert.True(lab.Connects(B, 24083));
    }

    [Fact]
    public void A_change_that_would_cut_the_ssh_session_is_refused_without_force()
    {
        const string ssh = "10.99.0.2 40000 10.99.0.1 24081";
        var deny = lab.ReshAs(B, ssh, "firewall://.deny(port=24081,proto=tcp)", "backend=nftables");
        Assert.Equal("conflict", deny.ErrorCode);
        var policy = lab.ReshAs(B, ssh, "firewall://.policy.set(policy=drop)", "backend=nftables");
        Assert.Equal("conflict", policy.ErrorCode);
        Assert.True(lab.Connects(B, 24081));
        // An allow for the session first makes default-drop safe.
        Assert.True(lab.ReshAs(B, ssh, "firewall://.allow(port=24081,proto=tcp)", "backend=nftables").Changed);
        var drop = lab.ReshAs(B, ssh, "firewall://.policy.set(policy=drop)", "backend=nftables");
        Assert.True(drop.Changed, drop.ToString());
        Assert.True(lab.Connects(B, 24081));
        Assert.False(lab.Connects(B, 24080));
        Assert.Equal("conflict", lab.ReshAs(B, ssh, "firewall://.rules.delete(port=24081)", "backend=nftables").ErrorCode);
        Assert.True(lab.ReshAs(B, ssh, "firewall://.policy.set(policy=accept)", "backend=nftables").Changed);
        var forced = lab.ReshAs(B, ssh, "firewall://.deny(port=24081,proto=tcp,force=true)", "backend=nftables");
        Assert.True(forced.Changed, forced.ToString());
        Assert.False(lab.Connects(B, 24081));
        Assert.True(R("firewall://.rules.delete(port=24081)").Changed);
        Assert.True(lab.Connects(B, 24081));
    }

    [Fact]
    public void The_lock_out_guard_also_refuses_cutting_the_sessions_replies_going_out()
    {
        const string ssh = "10.99.0.2 40000 10.99.0.1 24081";
        var before = lab.Exec(B, "nft", "list", "ruleset").Stdout;
        try
        {
            Assert.Equal("conflict", lab.ReshAs(B, ssh, "firewall://.policy.set(policy=drop,direction=out)", "backend=nftables").ErrorCode);
            Assert.Equal("conflict", lab.ReshAs(B, ssh, "firewall://.rules.add(action=drop,direction=out,to=10.99.0.2)", "backend=nftables").ErrorCode);
            Assert.Equal("conflict", lab.ReshAs(B, ssh, "firewall://.rules.add(action=reject,direction=out,proto=tcp)", "backend=nftables").ErrorCode);
            Assert.Equal(before, lab.Exec(B, "nft", "list", "ruleset").Stdout);
            // Outbound traffic elsewhere, or to a port the replies never use, is not the session's.
            var other = lab.ReshAs(B, ssh, "firewall://.rules.add(action=drop,direction=out,to=192.0.2.0/24)", "backend=nftables");
            Assert.True(other.Changed, other.ToString());
            Assert.True(lab.Connects(B, 24081));
        }
        finally
        {
            lab.Resh(B, "firewall://.rules.delete(direction=out,to=192.0.2.0/24)", "backend=nftables");
            lab.Resh(B, "firewall://.rules.delete(direction=out,to=10.99.0.2)", "backend=nftables");
            lab.Resh(B, "firewall://.rules.delete(direction=out,proto=tcp,action=reject)", "backend=nftables");
            lab.Resh(B, "firewall://.policy.set(policy=accept,direction=out)", "backend=nftables");
        }
    }

    [Fact]
    public void While_a_change_waits_for_confirm_an_unconfirmed_change_is_refused_and_a_confirmed_one_joins_with_a_warning()
    {
        var first = R("firewall://.deny(port=24084,proto=tcp,confirm=60s)");
        Assert.True(first.Changed, first.ToString());
        try
        {
            var plain = R("firewall://.allow(port=24085,proto=tcp)");
            Assert.Equal("conflict", plain.ErrorCode);
            Assert.DoesNotContain(R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray(), r => r!["ports"]?[0]?.GetValue<string>() == "24085");
            var joined = R("firewall://.allow(port=24085,proto=tcp,confirm=60s)");
            Assert.True(joined.Changed, joined.ToString());
            Assert.Contains(joined.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("pending", StringComparison.Ordinal));
        }
        finally { R("firewall://.rollback"); }
        var after = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray();
        Assert.DoesNotContain(after, r => r!["ports"]?[0]?.GetValue<string>() is "24084" or "24085");
    }

    [Fact]
    public void Reject_answers_tcp_with_a_reset()
    {
        var reject = R("firewall://.reject(port=24086,proto=tcp)");
        Assert.True(reject.Changed, reject.ToString());
        try
        {
            Assert.Contains("reject with tcp reset", lab.Exec(B, "nft", "list", "table", "inet", "resh").Stdout);
            Assert.False(lab.Connects(B, 24086));
        }
        finally { R("firewall://.rules.delete(port=24086)"); }
    }

    [Fact]
    public void Apply_replaces_resh_rules_atomically_with_a_dry_run_diff_and_save_restore_round_trips()
    {
        var rules = "[{\"action\":\"accept\",\"port\":\"24080\",\"proto\":\"tcp\",\"comment\":\"a\"},{\"action\":\"drop\",\"port\":[\"24081\",\"24082-24083\"],\"proto\":\"tcp\"}]";
        var before = lab.Exec(B, "nft", "list", "ruleset").Stdout;
        var dry = R("firewall://.apply", $"rules:={rules}", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        Assert.Contains("+r", dry.Result!["diff"]!.GetValue<string>());
        Assert.Contains(dry.Result!["commands"]!.AsArray(), c => c!.GetValue<string>().Contains("tcp dport { 24081, 24082-24083 }"));
        Assert.Equal(before, lab.Exec(B, "nft", "list", "ruleset").Stdout);
        Assert.True(R("firewall://.apply", $"rules:={rules}").Changed);
        Assert.True(lab.Connects(B, 24080));
        Assert.False(lab.Connects(B, 24083));
        Assert.False(R("firewall://.apply", $"rules:={rules}").Changed);

        var file = Path.Combine(lab.Dir, "saved.json");
        var save = R("firewall://.save", $"path={file}");
        Assert.True(save.Ok, save.ToString());
        Assert.Equal(2, save.Result!["rules"]!.GetValue<int>());
        Assert.True(R("firewall://.apply", "rules:=[]").Changed);
        Assert.True(lab.Connects(B, 24083));
        var restore = R("firewall://.restore", $"path={file}");
        Assert.True(restore.Changed, restore.ToString());
        Assert.False(lab.Connects(B, 24083));
        var native = R("firewall://.save", "as=native", "--format", "raw");
        Assert.Contains("table inet resh", native.Stdout);

        // disable keeps the rules aside (traffic flows), enable brings them back.
        Assert.True(R("firewall://.disable").Changed);
        Assert.True(lab.Connects(B, 24083));
        // A change while disabled would rebuild resh's table from nothing and lose the rules set aside: refused.
        var whileOff = R("firewall://.allow(port=24084,proto=tcp)");
        Assert.Equal("conflict", whileOff.ErrorCode);
        Assert.True(R("firewall://.enable").Changed);
        Assert.False(lab.Connects(B, 24083));
        Assert.True(R("firewall://.rules.delete(all=true)").Changed);
        Assert.True(lab.Connects(B, 24083));
    }

    [Fact]
    public void Other_tables_rules_are_listed_in_the_model_but_never_changed()
    {
        var script = Path.Combine(lab.Dir, "foreign.nft");
        File.WriteAllText(script, "table ip foreign {\n chain inp {\n  type filter hook input priority 10; policy accept;\n  ip saddr 192.0.2.0/24 udp dport 53 counter accept comment \"dns\"\n  tcp dport 9 ct state new drop\n }\n}\n");
        Assert.Equal(0, lab.Exec(B, "nft", "-f", script).Code);
        try
        {
            var list = R("firewall://.rules.list").Result!["rules"]!.AsArray();
            var dns = list.Single(r => r!["comment"]?.GetValue<string>() == "dns")!;
            Assert.False(dns["managed"]!.GetValue<bool>());
            Assert.Equal("udp", dns["proto"]!.GetValue<string>());
            Assert.Equal("192.0.2.0/24", dns["source"]!.GetValue<string>());
            Assert.Equal("in", dns["direction"]!.GetValue<string>());
            Assert.False(dns["partial"]!.GetValue<bool>());
            var ct = list.Single(r => r!["ports"]!.AsArray().Count == 1 && r["ports"]![0]!.GetValue<string>() == "9")!;
            Assert.True(ct["partial"]!.GetValue<bool>()); // ct state is outside the model
            var id = dns["id"]!.GetValue<string>();
            Assert.Equal("conflict", R($"firewall://{id}.rules.delete").ErrorCode);
            Assert.False(R("firewall://.rules.delete(all=true)").Changed);
            Assert.Contains("\"dns\"", lab.Exec(B, "nft", "list", "table", "ip", "foreign").Stdout);
        }
        finally { lab.Exec(B, "nft", "delete", "table", "ip", "foreign"); }
    }

    static bool SpinUntil(Func<bool> cond)
    {
        for (int i = 0; i < 100; i++) { if (cond()) return true; Thread.Sleep(50); }
        return false;
    }
}
