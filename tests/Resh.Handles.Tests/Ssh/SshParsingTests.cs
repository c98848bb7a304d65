using System.Diagnostics;
using Resh.Core.Errors;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;
using Resh.Handles.Ssh.Verbs;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>The request-building and parsing layer, in process: host specs, shell quoting, inventories, known_hosts.</summary>
public sealed class SshParsingTests
{
    [Theory]
    [InlineData("box", false, new[] { "box" })]
    [InlineData("a,b,c", true, new[] { "a", "b", "c" })]
    [InlineData("web[01:03]", true, new[] { "web01", "web02", "web03" })]
    [InlineData("db[a:c]-x", true, new[] { "dba-x", "dbb-x", "dbc-x" })]
    [InlineData("n[0:6:3]", true, new[] { "n0", "n3", "n6" })]
    [InlineData("r[1:2]c[1:2]", true, new[] { "r1c1", "r1c2", "r2c1", "r2c2" })]
    public void Host_specs_expand_lists_and_ranges(string text, bool fleet, string[] names)
    {
        var spec = HostSpec.Parse(text);
        Assert.Equal(fleet, spec.IsFleet);
        Assert.Equal(names, spec.Items.SelectMany(i => i.Names));
    }

    [Fact]
    public void User_port_and_ipv6_literals_are_parsed()
    {
        var one = HostSpec.Parse("deploy@db1.example.com:2222").Items.Single();
        Assert.Equal(("deploy", 2222, "db1.example.com"), (one.User, one.Port, one.Names.Single()));
        var v6 = HostSpec.Parse("[::1]:2200");
        Assert.False(v6.IsFleet);
        Assert.Equal(("::1", 2200), (v6.Items[0].Names[0], v6.Items[0].Port));
        Assert.Equal("web", HostSpec.Parse("@web").Items[0].Group);
    }

    [Theory]
    [InlineData("-oProxyCommand=evil")]
    [InlineData("a b")]
    [InlineData("-x@box")]
    [InlineData("box:99999")]
    [InlineData("web[3:1]")]
    [InlineData("a,,b")]
    [InlineData("w[1:20000]")]
    public void Option_like_or_malformed_hosts_are_usage_errors(string text)
    {
        var ex = Assert.Throws<ReshException>(() => HostSpec.Parse(text));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void Quoted_words_survive_a_real_shell_unchanged()
    {
        string[] words = ["plain", "it's", "\"dq\"", "$(id)", "`id`", "a;b", "x\ny", "\\", "'", "''", "", " lead", "!bang", "$HOME", "*", "~", "#c", "é ü 日本"];
        var line = "printf '[%s]' " + ShellQuote.Join(words);
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(line);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(string.Concat(words.Select(w => $"[{w}]")), output);
    }

    [Fact]
    public void Command_lines_split_like_a_shell_without_expansion()
    {
        Assert.Equal(["uname", "-a"], Resh.Core.Platform.CommandWords.Split("uname -a"));
        Assert.Equal(["echo", "a b", "c\"d", "$x", "e f"], Resh.Core.Platform.CommandWords.Split("echo 'a b' \"c\\\"d\" $x e\\ f"));
        Assert.Throws<FormatException>(() => Resh.Core.Platform.CommandWords.Split("echo 'open"));
    }

    [Fact]
    public void An_Ansible_INI_inventory_gives_groups_children_and_connection_vars()
    {
        var inv = AnsibleInventory.ParseIni("""
            # comment
            bastion ansible_host=203.0.113.9
            [web]
            web[01:02] ansible_user=deploy
            web03:2200
            [db]
            db1 ansible_host=10.0.0.5 ansible_port=5522 # a trailing comment
            [prod:children]
            web
            db
            [prod:vars]
            ansible_user=ops
            """, "hosts.ini");
        Assert.Equal(["web01", "web02", "web03", "db1"], inv.HostsOf("prod"));
        Assert.Equal(["bastion", "web01", "web02", "web03", "db1"], inv.HostsOf("all"));
        var web01 = inv.Target("web01", null, null);
        Assert.Equal("deploy", web01.User); // host vars beat group vars
        var db1 = inv.Target("db1", null, null);
        Assert.Equal(("10.0.0.5", 5522, "ops"), (db1.Destination, db1.Port, db1.User));
        Assert.Equal(2200, inv.Target("web03", null, null).Port);
        Assert.Equal("203.0.113.9", inv.Target("bastion", null, null).Destination);
    }

    [Fact]
    public void An_Ansible_YAML_inventory_gives_the_same_model()
    {
        var inv = AnsibleInventory.ParseYaml("""
            all:
              vars:
                ansible_user: root
              children:
                web:
                  hosts:
                    web[1:2]:
                      ansible_port: 2201
                db:
                  hosts:
                    db1:
                      ansible_host: 10.0.0.5
                      ansible_user: postgres
            """, "hosts.yml");
        Assert.Equal(["web1", "web2"], inv.HostsOf("web"));
        Assert.Equal(["web1", "web2", "db1"], inv.HostsOf("all"));
        Assert.Equal(("root", 2201), (inv.Target("web2", null, null).User, inv.Target("web2", null, null).Port));
        Assert.Equal(("postgres", "10.0.0.5"), (inv.Target("db1", null, null).User, inv.Target("db1", null, null).Destination));
    }

    [Fact]
    public void Known_hosts_lines_match_plain_wildcard_and_hashed_names()
    {
        using var dir = new Resh.TestSupport.TempDir("kh");
        var key = new HostKey("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h", "x");
        var file = dir.File("known_hosts", string.Join('\n',
            KnownHosts.Line("[10.0.0.1]:2222", key, hashed: true),
            "*.example.com,!bad.example.com ssh-rsa AAAA",
            "@revoked evil ssh-rsa AAAA",
            "plain ssh-ed25519 BBBB") + "\n");
        Assert.Single(KnownHosts.Find([file], "[10.0.0.1]:2222"));
        Assert.Empty(KnownHosts.Find([file], "[10.0.0.1]:2223"));
        Assert.Single(KnownHosts.Find([file], "good.example.com"));
        Assert.Empty(KnownHosts.Find([file], "bad.example.com"));
        Assert.Empty(KnownHosts.Find([file], "evil"));
        var without = KnownHosts.WithoutHost(File.ReadAllText(file), "plain")!;
        Assert.DoesNotContain("plain", without);
        Assert.Contains("@revoked", without);
    }

    [Fact]
    public void Authorized_keys_lines_keep_options_and_comments()
    {
        var line = AuthorizedKeys.ParseLine("from=\"10.0.0.1,10.0.0.2\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h ops key")!;
        Assert.Equal("from=\"10.0.0.1,10.0.0.2\",no-pty", line.Options);
        Assert.Equal("ops key", line.Comment);
        Assert.Equal("ssh-ed25519", line.Type);
        Assert.Null(AuthorizedKeys.ParseLine("not a key"));
    }

    [Fact]
    public void Ssh_failures_name_their_phase()
    {
        Assert.Equal(("connect", "refused"), Phase("ssh: connect to host 127.0.0.1 port 24399: Connection refused"));
        Assert.Equal(("hostkey", "unknown"), Phase("No ED25519 host key is known for foo and you have requested strict checking.\nHost key verification failed."));
        Assert.Equal(("hostkey", "changed"), Phase("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed."));
        Assert.Equal(("auth", "rejected"), Phase("root@127.0.0.1: Permission denied (publickey)."));
        Assert.Equal(("connect", "timed_out"), Phase("ssh: connect to host 10.251.0.99 port 22: Connection timed out"));
        Assert.Equal(("connect", "unresolved"), Phase("ssh: Could not resolve hostname nosuch: Name or service not known"));
        Assert.Equal(("session", "failed"), Phase("some program's own error"));
    }

    static (string, string) Phase(string stderr)
    {
        var f = SshFailure.Classify(stderr);
        return (f.Phase, f.Reason);
    }
}
