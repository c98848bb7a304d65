using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Backup;

/// <summary>Arguments every backup verb shares.</summary>
public static class BackupArgs
{
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password",
        "The repository password: env:VAR, file:PATH, secret:NAME or @- (a literal works, with a warning). It reaches the tool through a 0600 file, never argv.",
        examples: ["env:RESTIC_PASSWORD", "file:/etc/resh/backup.pass", "secret:backup/repo"]);
    public static readonly Arg<string?> Backend = Arg.Enum("backend",
        "restic or borg. Default: the kind of an existing local repository (from its layout), else restic when installed.", [BackupKind.Restic, BackupKind.Borg]);
    public static readonly Arg<string?> SshConfig = Arg.String("ssh_config",
        "SFTP repositories: the ssh client config to use (default: [ssh] config of resh's config file, else ssh's own). "
        + "Refused on server surfaces: an ssh config names programs ssh runs (ProxyCommand, LocalCommand).", path: PathUse.Read, role: ArgRole.SideCommand);
    public static readonly Arg<string?> Snapshot = Arg.String("snapshot", "Snapshot id (restic id or short id, borg archive name) or `latest`.", "latest",
        examples: ["latest", "4f3a9c1e"]);

    public static ArgInfo[] Common => [Password, Backend, SshConfig];
}
