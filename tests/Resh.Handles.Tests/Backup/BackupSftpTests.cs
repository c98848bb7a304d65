using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Backup.BackupSupport;

namespace Resh.Handles.Tests.Backup;

/// <summary>
/// Repositories over SSH on a throwaway sshd on loopback (tests/setup/backup-sshd.sh): restic's SFTP backend and borg serve,
/// with the client config handed over as ssh_config= (its own key and known_hosts; the user's ~/.ssh is never read).
/// </summary>
public sealed class BackupSftpTests : IDisposable
{
    readonly TempDir _dir = new("backup-sftp");
    readonly string _ssh;

    public BackupSftpTests()
    {
        Namespaced.RequireRoot();
        _ssh = Path.Combine("/tmp", $"rbs{Guid.NewGuid():N}"[..10]);
        try { Namespaced.Setup("backup-sshd.sh", "up", _ssh, LoopbackPorts.Free(1)[0].ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        catch
        {
            Dispose();
            throw;
        }
        MakeTree(_dir["src"]);
    }

    string SshConfig => "ssh_config=" + Path.Combine(_ssh, "ssh_config");

    public void Dispose()
    {
        try { Namespaced.Setup("backup-sshd.sh", "down", _ssh); } catch (Exception) { /* best effort */ }
        try { if (Directory.Exists(_ssh)) Directory.Delete(_ssh, true); } catch (IOException) { }
        _dir.Dispose();
    }

    [Theory]
    [InlineData("restic")]
    [InlineData("borg")]
    public void A_repository_over_ssh_backs_up_and_restores_the_tree(string backend)
    {
        var repoDir = _dir["remote-" + backend];
        var target = $"backup://sftp:backupbox:{repoDir}";
        var init = Run($"{target}.init", $"backend={backend}", SshConfig, PasswordArg);
        Assert.True(init.Ok, init.ToString());
        Assert.Equal(backend, init.Result!["backend"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(repoDir, "config")), "the repository was made on the ssh host's side");
        var create = Run($"{target}.create", $"paths={_dir["src"]}", $"backend={backend}", SshConfig, PasswordArg);
        Assert.True(create.Ok, create.ToString());
        Assert.Equal(5, create.Result!["files_new"]!.GetValue<long>());
        var list = Run($"{target}.list", $"backend={backend}", SshConfig, PasswordArg);
        Assert.True(list.Ok, list.ToString());
        Assert.Single(list.Result!["snapshots"]!.AsArray());
        var to = _dir["restore-" + backend];
        var restore = Run($"{target}.restore", $"to={to}", $"backend={backend}", SshConfig, PasswordArg);
        Assert.True(restore.Ok, restore.ToString());
        AssertRestored(_dir["src"], to);

        var wrong = RunWith("Not-the-password-42", $"{target}.list", $"backend={backend}", SshConfig, PasswordArg);
        Assert.Equal("permission_denied", wrong.ErrorCode);
    }

    [Fact]
    public void An_sftp_repository_that_is_not_there_is_not_found()
    {
        var missing = Run($"backup://sftp:backupbox:{_dir["nothing"]}.list", SshConfig, PasswordArg);
        Assert.Equal("not_found", missing.ErrorCode);
    }
}
