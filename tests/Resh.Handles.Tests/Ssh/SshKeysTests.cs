using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

[Collection("ssh")]
public sealed class SshKeysTests(SshBackend ssh)
{
    const string NewKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h deploy@ci";

    [Fact]
    public void The_hosts_authorized_keys_are_listed_with_fingerprints()
    {
        var run = ssh.Run($"ssh://box.keys.list(file={Path.Combine(ssh.Dir, "authorized_keys")})");
        Assert.True(run.Ok, run.ToString());
        var key = run.Result!["keys"]![0]!;
        Assert.Equal(SshBackend.Fingerprint(ssh.ClientPublicKey.Split(' ')[1]), key["fingerprint"]!.GetValue<string>());
        Assert.Equal("resh-test-client", key["comment"]!.GetValue<string>());
    }

    [Fact]
    public void A_symlinked_keys_file_is_refused_and_left_a_link()
    {
        using var dir = new TempDir("sshkeylink");
        var real = dir.File("real", ssh.ClientPublicKey + "\n");
        var link = Path.Combine(dir.Path, "ak");
        File.CreateSymbolicLink(link, real);
        var add = ssh.Run($"ssh://box.key.add(file={link})", $"key={NewKey}");
        Assert.Equal("conflict", add.ErrorCode);
        Assert.Contains(real, add.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.Equal(real, new FileInfo(link).LinkTarget);
        Assert.Equal(ssh.ClientPublicKey + "\n", File.ReadAllText(real));
    }

    [Fact]
    public void Adding_and_removing_a_key_is_idempotent_and_keeps_other_lines()
    {
        using var dir = new TempDir("sshkeys");
        var file = dir.File("ak", "# managed by hand\n" + ssh.ClientPublicKey + "\n");

        var add = ssh.Run($"ssh://box.key.add(file={file})", $"key={NewKey}");
        Assert.True(add.Ok, add.ToString());
        Assert.True(add.Changed);
        Assert.Contains(NewKey, File.ReadAllText(file));
        Assert.Equal((UnixFileMode)Convert.ToInt32("600", 8), File.GetUnixFileMode(file));
        Assert.False(ssh.Run($"ssh://box.key.add(file={file})", $"key={NewKey} other-comment").Changed);

        var fingerprint = SshBackend.Fingerprint(NewKey.Split(' ')[1]);
        var remove = ssh.Run($"ssh://box.key.remove(file={file},key={fingerprint})");
        Assert.True(remove.Ok, remove.ToString());
        Assert.True(remove.Changed);
        Assert.Equal("# managed by hand\n" + ssh.ClientPublicKey + "\n", File.ReadAllText(file));
        Assert.False(ssh.Run($"ssh://box.key.remove(file={file},key={fingerprint})").Changed);
    }

    [Fact]
    public void A_private_key_is_refused_and_never_echoed()
    {
        var secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        var run = ssh.RunWithStdin(secret, "ssh://box.key.add(file=/nonexistent/ak)", "key=@-");
        Assert.Equal("usage", run.ErrorCode);
        Assert.DoesNotContain("b3BlbnNzaC1rZXktdjEAAAAA", run.Stdout + run.Stderr);
    }
}
