using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Firewall;

[Collection(FirewallCollection.Name)]
public sealed class FirewallIptablesTests(FirewallLab lab)
{
    const string B = "iptables";
    ReshRun R(params string[] args) => lab.Resh(B, [.. args, "backend=iptables"]);

    [Fact]
    public void Rules_live_in_resh_chains_with_markers_and_block_real_traffic()
    {
        Assert.True(lab.Connects(B, 24080));
        var deny = R("firewall://.deny(port=24080,from=10.99.0.2,log=true,comment=blocked)");
        Assert.True(deny.Changed, deny.ToString());
        Assert.False(lab.Connects(B, 24080));
        var save = lab.Exec(B, "iptables-save", "-t", "filter").Stdout;
        var id = deny.Result!["rules"]![0]!["id"]!.GetValue<string>();
        Assert.Contains($"-A RESH-INPUT -s 10.99.0.2/32 -p tcp -m tcp --dport 24080 -m comment --comment \"resh:{id} blocked\" -j DROP", save);
        Assert.Contains($"-A RESH-INPUT -s 10.99.0.2/32 -p udp -m udp --dport 24080 -m comment --comment \"resh:{id} blocked\" -j DROP", save);
        Assert.Contains("-j LOG --log-prefix \"resh:" + id, save);
        Assert.Contains("-A INPUT -m comment --comment \"resh:jump\" -j RESH-INPUT", save);
        Assert.False(R("firewall://.deny(port=24080,from=10.99.0.2,log=true,comment=blocked)").Changed);
        var listed = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray().Single()!;
        Assert.Null(listed["proto"]); // tcp and udp merged back into one rule
        Assert.True(listed["log"]!.GetValue<bool>());
        Assert.Equal("blocked", listed["comment"]!.GetValue<string>());
        Assert.Equal("ipv4", listed["family"]!.GetValue<string>());

        var allow = R("firewall://.allow(port=24081,proto=tcp)");
        Assert.True(allow.Changed);
        Assert.True(lab.Connects(B, 24081));
        Assert.Contains("-A RESH-INPUT -p tcp -m tcp --dport 24081", lab.Exec(B, "ip6tables-save", "-t", "filter").Stdout); // no address: both families

        var pending = R("firewall://.deny(port=24081,proto=tcp,confirm=2s)");
        Assert.True(pending.Ok, pending.ToString());
        Assert.False(lab.Connects(B, 24081));
        Assert.True(lab.Eventually(B, 24081, open: true, seconds: 8), "rollback did not restore traffic");

        Assert.True(R("firewall://.rules.delete(all=true)").Changed);
        Assert.True(lab.Connects(B, 24080));
        Assert.DoesNotContain("resh:r", lab.Exec(B, "iptables-save").Stdout);
        Assert.True(R("firewall://.disable").Changed);
        Assert.DoesNotContain("resh:jump", lab.Exec(B, "iptables-save").Stdout);
        Assert.True(R("firewall://.enable").Changed);
    }

    [Fact]
    public void Ranges_counted_twice_by_multiport_are_refused_while_planning_and_dry_runs_agree()
    {
        // Issue 15: resh counted ports as entries, iptables' multiport counts a range as two, so eight ranges passed the
        // plan and failed only inside iptables-restore. Now refused before anything runs, dry run included.
        const string eight = "24100-24101,24102-24103,24104-24105,24106-24107,24108-24109,24110-24111,24112-24113,24114-24115";
        static string Rules(string save) => string.Join('\n', save.Split('\n').Where(l => !l.StartsWith('#')));
        var before = lab.Exec(B, "iptables-save", "-t", "filter").Stdout;
        foreach (var dry in new[] { true, false })
        {
            var args = new List<string> { "firewall://.allow", "--args", $"{{\"port\":\"{eight}\",\"proto\":\"tcp\"}}" };
            if (dry) args.Add("--dry-run");
            var r = R([.. args]);
            Assert.True(r.ErrorCode == "usage", r.ToString());
            Assert.Contains("counts a range as two", r.ToString());
        }
        Assert.Equal(Rules(before), Rules(lab.Exec(B, "iptables-save", "-t", "filter").Stdout));
        // Fifteen slots (seven ranges and one port) is what multiport takes: it is applied.
        var fifteen = R("firewall://.allow", "--args", "{\"port\":\"24100-24101,24102-24103,24104-24105,24106-24107,24108-24109,24110-24111,24112-24113,24116\",\"proto\":\"tcp\"}");
        Assert.True(fifteen.Changed, fifteen.ToString());
        Assert.Contains("--dports 24100:24101,24102:24103", lab.Exec(B, "iptables-save", "-t", "filter").Stdout);
        Assert.True(R("firewall://.rules.delete(all=true)").Changed);
    }

    [Fact]
    public void Disable_sets_a_drop_policy_back_to_accept_and_enable_brings_it_back()
    {
        // User review 4: disable removed the jumps but left INPUT DROP, which dropped every inbound connection.
        try
        {
            Assert.True(R("firewall://.enable").Ok);
            var drop = R("firewall://.policy.set(policy=drop,force=true)");
            Assert.True(drop.Changed, drop.ToString());
            Assert.False(lab.Connects(B, 24083));
            Assert.Contains(":INPUT DROP", lab.Exec(B, "iptables-save", "-t", "filter").Stdout);
            var off = R("firewall://.disable");
            Assert.True(off.Changed, off.ToString());
            Assert.True(lab.Connects(B, 24083), "resh is off, and so must be its drop policy");
            Assert.Contains(":INPUT ACCEPT", lab.Exec(B, "iptables-save", "-t", "filter").Stdout);
            Assert.Contains(off.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("ACCEPT", StringComparison.Ordinal));
            Assert.Equal("conflict", R("firewall://.allow(port=24082,proto=tcp)").ErrorCode); // a change while off would switch it on half-way
            var on = R("firewall://.enable");
            Assert.True(on.Changed, on.ToString());
            Assert.Contains(":INPUT DROP", lab.Exec(B, "iptables-save", "-t", "filter").Stdout);
            Assert.False(lab.Connects(B, 24083));
        }
        finally
        {
            R("firewall://.enable");
            R("firewall://.policy.set(policy=accept)");
        }
        Assert.True(lab.Connects(B, 24083));
    }

    [Fact]
    public void An_ipv6_slash_32_network_keeps_its_prefix_when_read_back_and_rewritten()
    {
        // User review 10: 2001:db8::/32 was read back as the single address 2001:db8:: (its "/32" taken for an IPv4 host prefix).
        try
        {
            var deny = R("firewall://.deny(port=24082,proto=tcp,from=2001:db8::/32)");
            Assert.True(deny.Changed, deny.ToString());
            var listed = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray().Single(r => r!["ports"]!.AsArray().Any(p => p!.GetValue<string>() == "24082"))!;
            Assert.Equal("2001:db8::/32", listed["source"]!.GetValue<string>());
            // Every change rewrites resh's chains from what was read: the network must not shrink to one address.
            Assert.True(R("firewall://.allow(port=24081,proto=tcp)").Changed);
            Assert.Contains("-A RESH-INPUT -s 2001:db8::/32 -p tcp", lab.Exec(B, "ip6tables-save", "-t", "filter").Stdout);
            Assert.False(R("firewall://.deny(port=24082,proto=tcp,from=2001:db8::/32)").Changed);
        }
        finally { R("firewall://.rules.delete(all=true)"); }
    }
}

[Collection(FirewallCollection.Name)]
public sealed class FirewallUfwTests(FirewallLab lab)
{
    const string B = "ufw";
    ReshRun R(params string[] args) => lab.Resh(B, [.. args, "backend=ufw"]);

    [Fact]
    public void Ufw_is_driven_through_its_own_commands_and_its_rule_files_are_read_back()
    {
        var enable = R("firewall://.enable");
        Assert.True(enable.Changed, enable.ToString());
        Assert.Contains("ENABLED=yes", File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", "ufw.conf")));
        Assert.False(lab.Connects(B, 24080)); // ufw's default: deny incoming
        var detected = lab.Resh(B, "firewall://.status");
        Assert.Equal("ufw", detected.Result!["backend"]!.GetValue<string>()); // auto-detected: ufw is enabled

        var allow = R("firewall://.allow(port=24080,proto=tcp,comment=web)");
        Assert.True(allow.Changed, allow.ToString());
        var id = allow.Result!["rules"]![0]!["id"]!.GetValue<string>();
        Assert.Contains($"comment resh:{id} web", string.Join(' ', allow.Result!["commands"]!.AsArray().Select(c => c!.GetValue<string>())).Replace("'", ""));
        Assert.True(lab.Connects(B, 24080));
        Assert.False(R("firewall://.allow(port=24080,proto=tcp,comment=web)").Changed);
        var deny = R("firewall://.deny(port=24080,proto=tcp,from=10.99.0.2)");
        Assert.True(deny.Changed, deny.ToString());
        Assert.Contains(deny.Result!["commands"]!.AsArray(), c => c!.GetValue<string>().Contains("prepend"));
        Assert.False(lab.Connects(B, 24080));
        var rules = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray();
        Assert.Equal(["drop", "accept"], rules.Select(r => r!["action"]!.GetValue<string>()));
        Assert.Equal("any", rules[1]!["family"]!.GetValue<string>()); // the v4 and v6 tuples are one rule
        Assert.True(R("firewall://.rules.delete(action=drop)").Changed);
        Assert.True(lab.Connects(B, 24080));
        Assert.Contains("allow tcp 24080", File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", "user.rules")));

        // User review 2 (security): allow then deny of the same port left IPv4 allowed (ufw "updated" one family only).
        Assert.True(R("firewall://.allow(port=24089,proto=tcp)").Changed);
        var denySame = R("firewall://.deny(port=24089,proto=tcp)");
        Assert.True(denySame.Changed, denySame.ToString());
        foreach (var file in new[] { "user.rules", "user6.rules" })
        {
            var text = File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", file));
            Assert.DoesNotContain("allow tcp 24089", text);
            Assert.Contains("deny tcp 24089", text);
        }
        var same = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray().Where(r => r!["ports"]!.AsArray().Any(p => p!.GetValue<string>() == "24089")).ToList();
        Assert.Equal(["drop"], same.Select(r => r!["action"]!.GetValue<string>()));
        Assert.True(R("firewall://.rules.delete(port=24089,proto=tcp)").Changed);

        Assert.True(R("firewall://.policy.set(direction=out,policy=drop,force=true)").Changed);
        Assert.Contains("DEFAULT_OUTPUT_POLICY=\"DROP\"", File.ReadAllText(Path.Combine(lab.Dir, "ufw", "default-ufw")));
        Assert.True(R("firewall://.policy.set(direction=out,policy=accept)").Changed);
        Assert.True(R("firewall://.rules.delete(all=true)").Changed);
        Assert.True(R("firewall://.disable").Changed);
        Assert.True(lab.Connects(B, 24080));
    }

    string UfwRules() => File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", "user.rules")) + File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", "user6.rules"));

    [Fact]
    public void Ranges_over_ufws_fifteen_port_limit_are_refused_before_any_ufw_command_runs()
    {
        // Issue 15: ufw counts a range as two ports ("Bad port"); the refusal now comes from the plan, dry run included.
        Assert.True(R("firewall://.enable").Ok);
        var before = UfwRules();
        var ports = "{\"port\":\"24100-24101,24102-24103,24104-24105,24106-24107,24108-24109,24110-24111,24112-24113,24114-24115\",\"proto\":\"tcp\"}";
        var dry = R("firewall://.allow", "--args", ports, "--dry-run");
        Assert.True(dry.ErrorCode == "usage", dry.ToString());
        var real = R("firewall://.allow", "--args", ports);
        Assert.True(real.ErrorCode == "usage", real.ToString());
        Assert.Contains("ufw takes at most 15 ports", real.ToString());
        Assert.Equal(before, UfwRules());
    }

    [Fact]
    public void A_failing_ufw_command_undoes_the_commands_of_the_change_that_had_run()
    {
        // User review 3: ufw runs one command at a time; a failure left the earlier commands of the change in place.
        Assert.True(R("firewall://.enable").Ok);
        try
        {
            Assert.True(R("firewall://.allow(port=24080,proto=tcp)").Ok);
            var before = UfwRules();
            // The third rule's ufw command fails, after 24081 was added: a wrapper ahead of the real ufw on PATH refuses
            // port 24099 (what resh can check itself, such as ufw's 15-port limit, is now refused before any command runs).
            var wrapperDir = Path.Combine(lab.Dir, "failing-ufw");
            Directory.CreateDirectory(wrapperDir);
            var realUfw = new[] { "/usr/sbin/ufw", "/sbin/ufw", "/usr/bin/ufw" }.First(File.Exists);
            var wrapper = Path.Combine(wrapperDir, "ufw");
            File.WriteAllText(wrapper, $"#!/bin/sh\ncase \" $* \" in *\" 24099 \"*) echo 'ERROR: refused by the test wrapper' >&2; exit 1;; esac\nexec {realUfw} \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var rules = "[{\"action\":\"accept\",\"port\":\"24080\",\"proto\":\"tcp\"},{\"action\":\"accept\",\"port\":\"24081\",\"proto\":\"tcp\"},"
                + "{\"action\":\"accept\",\"port\":\"24099\",\"proto\":\"tcp\"}]";
            var apply = lab.ReshWithPathFirst(B, wrapperDir, "firewall://.apply", $"rules:={rules}", "backend=ufw");
            Assert.Equal("failed", apply.ErrorCode);
            Assert.True(apply.Envelope["error"]!["details"]!["rolled_back"]!.GetValue<bool>(), apply.ToString());
            Assert.Equal(before, UfwRules());
            Assert.False(lab.Connects(B, 24081)); // ufw reloaded without it
            Assert.True(lab.Connects(B, 24080));

            // An IPv6-only deny goes first among the IPv6 rules (`ufw prepend`): `insert 1` is an invalid position for it.
            var v6 = R("firewall://.deny(port=24082,proto=tcp,from=2001:db8::/32)");
            Assert.True(v6.Changed, v6.ToString());
            Assert.Contains("2001:db8::/32", File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", "user6.rules")));
            var listed = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray().Single(r => r!["ports"]!.AsArray().Any(p => p!.GetValue<string>() == "24082"))!;
            Assert.Equal("2001:db8::/32", listed["source"]!.GetValue<string>()); // user review 10, ufw's rule files
            Assert.False(R("firewall://.deny(port=24082,proto=tcp,from=2001:db8::/32)").Changed);
        }
        finally
        {
            R("firewall://.rules.delete(all=true)");
            R("firewall://.disable");
        }
    }

    [Fact]
    public void Auto_detection_skips_ufw_in_a_network_namespace_where_its_chains_are_not_loaded()
    {
        // User review 19: ENABLED=yes in ufw.conf (shared by every namespace) chose ufw even where ufw was never loaded.
        Assert.True(R("firewall://.enable").Ok);
        try
        {
            Assert.Equal("ufw", lab.Resh(B, "firewall://.status").Result!["backend"]!.GetValue<string>());
            var holder = lab.Holder(B).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var fresh = Resh.Handles.Tests.User.UserSandbox.RunNs(["nsenter", "-t", holder, "-m", "--", "unshare", "-n", "--", ReshBinary.Path, "firewall://.status"],
                null, new Dictionary<string, string> { ["RESH_HOME"] = lab.StateDir });
            Assert.True(fresh.Ok, fresh.ToString());
            Assert.Contains("ENABLED=yes", File.ReadAllText(Path.Combine(lab.Dir, "ufw", "ufw", "ufw.conf")));
            Assert.Equal("nftables", fresh.Result!["backend"]!.GetValue<string>());
        }
        finally { R("firewall://.disable"); }
    }
}

[Collection(FirewallCollection.Name)]
public sealed class FirewalldTests(FirewallLab lab)
{
    const string B = "firewalld";
    ReshRun R(params string[] args) => lab.Resh(B, [.. args, "backend=firewalld"]);

    [Fact]
    public void Firewalld_gets_rich_rules_at_runtime_and_permanently()
    {
        Assert.Equal("firewalld", lab.Resh(B, "firewall://.status").Result!["backend"]!.GetValue<string>()); // auto-detected
        Assert.False(lab.Connects(B, 24080)); // zone public rejects what it does not allow
        var allow = R("firewall://.allow(port=24080,proto=tcp,comment=web)");
        Assert.True(allow.Changed, allow.ToString());
        Assert.True(lab.Connects(B, 24080));
        const string rich = "rule port port=\"24080\" protocol=\"tcp\" accept";
        Assert.Contains(rich, lab.Exec(B, "firewall-cmd", "--list-rich-rules").Stdout);
        Assert.Contains(rich, lab.Exec(B, "firewall-cmd", "--permanent", "--list-rich-rules").Stdout);
        Assert.False(R("firewall://.allow(port=24080,proto=tcp,comment=web)").Changed);
        var listed = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray().Single()!;
        Assert.Equal("web", listed["comment"]!.GetValue<string>());

        var deny = R("firewall://.deny(port=24080,proto=tcp,from=10.99.0.2)");
        Assert.True(deny.Changed, deny.ToString());
        Assert.False(lab.Connects(B, 24080)); // firewalld orders deny before allow
        Assert.True(R("firewall://.rules.delete(action=drop)").Changed);
        Assert.True(lab.Connects(B, 24080));
        Assert.Equal("unsupported", R("firewall://.allow(port=24081,direction=out)").ErrorCode);
        Assert.True(R("firewall://.rules.delete(all=true)").Changed);
        Assert.False(lab.Connects(B, 24080));
        Assert.DoesNotContain("24080", lab.Exec(B, "firewall-cmd", "--permanent", "--list-rich-rules").Stdout);
    }
}

[Collection(FirewallCollection.Name)]
public sealed class FirewallHostileTests(FirewallLab lab)
{
    public static TheoryData<string, string> Bad => new()
    {
        { "port", "22; flush ruleset" }, { "port", "-1" }, { "port", "70000" }, { "port", "1-2-3" }, { "from", "10.0.0.0/8 drop" },
        { "from", "\"; flush ruleset; \"" }, { "iface", "eth0\" accept #" }, { "iface", "a b" }, { "comment", "x\" ; flush ruleset ; \"" },
        { "comment", "line\nbreak" }, { "comment", "$(reboot)" }, { "rate_limit", "1/fortnight" }, { "to", "example.com" }, { "from", "::ffff:1.2.3.4" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void Hostile_rule_fields_are_usage_errors_and_the_ruleset_is_untouched(string field, string value)
    {
        var before = lab.Exec("nftables", "nft", "list", "ruleset").Stdout;
        var r = lab.Resh("nftables", "firewall://.allow", "--args", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { [field] = value }), "backend=nftables");
        Assert.True(r.ErrorCode == "usage", r.ToString());
        Assert.Equal(before, lab.Exec("nftables", "nft", "list", "ruleset").Stdout);
    }

    [Fact]
    public void An_unprivileged_user_gets_permission_denied_and_the_hosts_ruleset_is_never_touched()
    {
        var holder = lab.Holder("nftables").ToString(System.Globalization.CultureInfo.InvariantCulture);
        ReshRun AsNobody(params string[] args) => Resh.Handles.Tests.User.UserSandbox.RunNs(
            ["nsenter", "-t", holder, "-n", "-m", "--", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ReshBinary.Path, .. args],
            null, new Dictionary<string, string> { ["HOME"] = "/tmp", ["RESH_HOME"] = "/tmp/resh-nobody-fw" });
        Assert.Equal("permission_denied", AsNobody("firewall://.allow(port=1)", "backend=nftables").ErrorCode);
        Assert.Equal("permission_denied", AsNobody("firewall://.rules.list", "backend=nftables").ErrorCode);
        Assert.Equal("permission_denied", AsNobody("firewall://.policy.set(policy=drop)", "backend=iptables").ErrorCode);
        var before = lab.Exec("nftables", "nft", "list", "ruleset").Stdout;
        foreach (var hostile in new[] { "comment=x\" ; flush ruleset ; \"", "from=\"; flush ruleset; \"", "port=22; flush ruleset", "iface=eth0\" accept #" })
        {
            var r = AsNobody("firewall://.deny", hostile, "backend=nftables");
            Assert.True(r.ErrorCode is "permission_denied" or "usage", r.ToString());
        }
        Assert.Equal(before, lab.Exec("nftables", "nft", "list", "ruleset").Stdout);
        // resh's table, chains and markers exist only in the test namespaces.
        var host = Resh.Handles.Tests.User.UserSandbox.RunNs(["nft", "list", "ruleset"], null, null).Stdout
                   + Resh.Handles.Tests.User.UserSandbox.RunNs(["iptables-save"], null, null).Stdout;
        Assert.DoesNotContain("table inet resh", host);
        Assert.DoesNotContain("RESH-INPUT", host);
        Assert.DoesNotContain("resh:r", host);
    }
}
