using Resh.Core.Errors;
using Resh.Handles.Backup;
using Xunit;

namespace Resh.Handles.Tests.Backup;

/// <summary>In-process: the argv and environment resh hands restic and borg, and the target grammar (hostile inputs included).</summary>
public sealed class BackupCommandTests
{
    const string PasswordFile = "/run/user/0/resh-secret-abc/password";

    [Fact]
    public void Restic_gets_the_password_as_a_file_and_never_in_argv_and_inherits_no_password_variables()
    {
        var target = BackupTarget.Parse("/srv/backup/repo", "/root");
        var cmd = BackupCommand.Restic("/usr/bin/restic", target, PasswordFile, null, ["backup", "--json", "--", "/etc"]);
        Assert.Equal(["/usr/bin/restic", "--repo", "/srv/backup/repo", "backup", "--json", "--", "/etc"], cmd.Argv);
        Assert.Equal(PasswordFile, cmd.Environment["RESTIC_PASSWORD_FILE"]);
        foreach (var v in new[] { "RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE" })
        {
            Assert.True(cmd.Environment.ContainsKey(v), v);
            Assert.Null(cmd.Environment[v]); // removed from the child's environment
        }
        Assert.DoesNotContain(cmd.Argv, a => a.Contains("password", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Borg_gets_the_password_through_a_passcommand_reading_the_file()
    {
        var target = BackupTarget.Parse("/srv/borg", "/root");
        var cmd = BackupCommand.Borg("/usr/bin/borg", PasswordFile, target, null, ["list", "--json", "/srv/borg"]);
        Assert.Equal(["/usr/bin/borg", "list", "--json", "/srv/borg"], cmd.Argv);
        Assert.Equal("cat " + PasswordFile, cmd.Environment["BORG_PASSCOMMAND"]);
        Assert.Null(cmd.Environment["BORG_PASSPHRASE"]);
        Assert.Null(cmd.Environment["BORG_PASSPHRASE_FD"]);
        Assert.Null(cmd.Environment["BORG_NEW_PASSPHRASE"]);
        Assert.Equal("no", cmd.Environment["BORG_RELOCATED_REPO_ACCESS_IS_OK"]);
    }

    [Fact]
    public void A_password_file_path_with_spaces_is_quoted_for_borgs_shell_style_split()
    {
        var cmd = BackupCommand.Borg("/usr/bin/borg", "/tmp/a dir/it's", BackupTarget.Parse("/r", "/root"), null, ["info", "/r"]);
        Assert.Equal("cat '/tmp/a dir/it'\\''s'", cmd.Environment["BORG_PASSCOMMAND"]);
    }

    [Fact]
    public void Sftp_targets_become_restics_sftp_command_and_borgs_ssh_url()
    {
        var t = BackupTarget.Parse("sftp:backup@nas.lan:2222:/srv/repo", "/root");
        Assert.Equal(new SftpLocation("backup", "nas.lan", 2222, "/srv/repo"), t.Sftp);
        Assert.Equal("sftp:backup@nas.lan:2222:/srv/repo", t.Display);
        var restic = BackupCommand.Restic("restic", t, PasswordFile, "/etc/resh/ssh config", ["snapshots"]);
        Assert.Equal(["restic", "--repo", "sftp:nas.lan:/srv/repo", "--option",
            "sftp.command=ssh -F '/etc/resh/ssh config' -o BatchMode=yes -p 2222 -l backup -s -- nas.lan sftp", "snapshots"], restic.Argv);
        var borg = BackupCommand.Borg("borg", PasswordFile, t, null, ["list"]);
        Assert.Equal("ssh://backup@nas.lan:2222/srv/repo", BackupCommand.BorgRepo(t));
        Assert.Equal("ssh -o BatchMode=yes", borg.Environment["BORG_RSH"]);
        Assert.Equal("ssh://nas/./repo", BackupCommand.BorgRepo(BackupTarget.Parse("sftp:nas:repo", "/root")));
    }

    [Theory]
    [InlineData("sftp:-oProxyCommand=touch /tmp/x:/repo")] // an ssh option as the host
    [InlineData("sftp:-lroot@host:/repo")]
    [InlineData("sftp:host")]                                // no path
    [InlineData("sftp:host:")]
    [InlineData("sftp:host:99999:/repo")]                    // not a port
    [InlineData("sftp://host/repo")]
    [InlineData("sftp:ho st:/repo")]
    [InlineData("")]
    [InlineData("/repo\nx")]
    public void Hostile_or_malformed_targets_are_usage_errors(string target)
    {
        var ex = Assert.Throws<ReshException>(() => BackupTarget.Parse(target, "/root"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.NotNull(ex.Error.Hint);
    }

    [Fact]
    public void Local_targets_are_absolute_and_home_relative()
    {
        Assert.Equal("/root/backups/repo", BackupTarget.Parse("~/backups/repo", "/root").Local);
        Assert.Equal("/srv/repo", BackupTarget.Parse("/srv/repo/", "/root").Local);
    }
}
