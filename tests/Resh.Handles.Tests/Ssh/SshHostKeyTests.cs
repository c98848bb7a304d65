using Xunit;

namespace Resh.Handles.Tests.Ssh;

[Collection("ssh")]
public sealed class SshHostKeyTests(SshBackend ssh)
{
    [Fact]
    public void A_changed_host_key_is_refused_with_the_presented_fingerprint()
    {
        var run = ssh.Run("ssh://changed/system://.hostname");
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Equal(4, run.ExitCode);
        var details = run.Envelope["error"]!["details"]!;
        Assert.Equal("hostkey", details["phase"]!.GetValue<string>());
        Assert.Equal("changed", details["reason"]!.GetValue<string>());
        Assert.Equal(ssh.LoopFingerprint, details["fingerprint"]!.GetValue<string>());
        Assert.Contains("hostkey.trust", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Aliases_for_the_same_address_do_not_share_a_connection()
    {
        // samekey and sameproxy reach box's address, port and user, but samekey expects another host
        // key (HostKeyAlias) and sameproxy connects through a ProxyCommand that fails: neither may ride
        // on box's open ControlMaster.
        var state = ssh.NewStateDir();
        var box = ssh.RunIn(state, "ssh://box.exec(command=true)");
        Assert.True(box.Ok, box.ToString());
        var key = ssh.RunIn(state, "ssh://samekey.exec(command=true)");
        Assert.Equal("permission_denied", key.ErrorCode);
        Assert.Equal("hostkey", key.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
        var proxy = ssh.RunIn(state, "ssh://sameproxy.exec(command=true)");
        Assert.False(proxy.Ok, proxy.ToString());
        Assert.True(ssh.RunIn(state, "ssh://box.exec(command=true)").Ok);
    }

    [Fact]
    public void An_unknown_host_is_refused_then_trusted_only_when_asked()
    {
        var refused = ssh.Run("ssh://fresh/system://.hostname");
        Assert.Equal("permission_denied", refused.ErrorCode);
        Assert.Equal("unknown", refused.Envelope["error"]!["details"]!["reason"]!.GetValue<string>());
        Assert.Equal(ssh.LoopFingerprint, refused.Envelope["error"]!["details"]!["fingerprint"]!.GetValue<string>());
        Assert.DoesNotContain("freshbox", File.ReadAllText(ssh.KnownHosts));

        var get = ssh.Run("ssh://fresh.hostkey.get");
        Assert.True(get.Ok, get.ToString());
        Assert.Equal("unknown", get.Result!["status"]!.GetValue<string>());
        Assert.Equal(ssh.LoopFingerprint, get.Result!["keys"]![0]!["fingerprint"]!.GetValue<string>());
        Assert.DoesNotContain("freshbox", File.ReadAllText(ssh.KnownHosts));

        var dry = ssh.Run("--dry-run", $"ssh://fresh.hostkey.trust(fingerprint={ssh.LoopFingerprint})");
        Assert.True(dry.Changed, dry.ToString());
        Assert.DoesNotContain("freshbox", File.ReadAllText(ssh.KnownHosts));

        var trust = ssh.Run($"ssh://fresh.hostkey.trust(fingerprint={ssh.LoopFingerprint})");
        Assert.True(trust.Ok, trust.ToString());
        Assert.True(trust.Changed);
        Assert.Contains("freshbox ssh-ed25519 ", File.ReadAllText(ssh.KnownHosts));

        var again = ssh.Run("ssh://fresh.hostkey.trust");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);

        Assert.True(ssh.Run("ssh://fresh/system://.hostname").Ok);
    }

    [Fact]
    public void Trusting_with_a_fingerprint_the_host_does_not_present_is_a_conflict()
    {
        var run = ssh.Run("ssh://changed2.hostkey.trust(fingerprint=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA)");
        Assert.Equal("conflict", run.ErrorCode);
    }

    [Fact]
    public void A_changed_key_is_replaced_only_with_replace()
    {
        var conflict = ssh.Run("ssh://changed2.hostkey.trust");
        Assert.Equal("conflict", conflict.ErrorCode);
        var replaced = ssh.Run("ssh://changed2.hostkey.trust(replace=true)");
        Assert.True(replaced.Ok, replaced.ToString());
        Assert.True(replaced.Result!["replaced"]!.GetValue<bool>());
        var lines = File.ReadAllLines(ssh.KnownHosts).Where(l => l.StartsWith("changedbox2 ")).ToList();
        Assert.Single(lines);
        Assert.True(ssh.Run("ssh://changed2/system://.hostname").Ok);
    }

    [Fact]
    public void Accept_new_records_a_new_host_on_first_use()
    {
        Assert.Equal("permission_denied", ssh.Run("ssh://newbox/system://.hostname").ErrorCode);
        var run = ssh.Run("ssh://newbox/system://.hostname", "hostkey=accept-new");
        Assert.True(run.Ok, run.ToString());
        Assert.Contains("newbox ssh-ed25519 ", File.ReadAllText(ssh.KnownHosts));
    }

    [Fact]
    public void Accept_new_still_refuses_a_changed_key()
    {
        var run = ssh.Run("ssh://changed/system://.hostname", "hostkey=accept-new");
        Assert.Equal("permission_denied", run.ErrorCode);
    }

    [Fact]
    public void A_trusted_host_reports_trusted()
    {
        var run = ssh.Run("ssh://box.hostkey.get");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("trusted", run.Result!["status"]!.GetValue<string>());
        Assert.Equal($"[127.0.0.1]:{ssh.Port}", run.Result!["known_hosts_name"]!.GetValue<string>());
    }
}
