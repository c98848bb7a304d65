using Resh.Core.Model;

namespace Resh.Handles.Backup;

/// <summary>backup:// — restic and borg repositories, local or over SFTP, driven through their JSON output.</summary>
public static class BackupHandle
{
    public static HandleInfo Create() => new("backup",
        "Backups with restic or borg: init a repository, create snapshots, list, ls, restore, diff, check, forget/prune by keep rules, stats, unlock, schedule.",
        BackupTarget.Grammar,
        [
            BackupInit.Verb,
            BackupCreate.Verb,
            BackupList.Verb,
            BackupLs.Verb,
            BackupRestore.Verb,
            BackupDiff.Verb,
            BackupCheck.Verb,
            BackupForget.Verb,
            BackupPrune.Verb,
            BackupStats.Verb,
            BackupUnlock.Verb,
            BackupSchedule.Verb,
        ])
    {
        Notes = "resh runs the tool (restic 0.14+ or borg 1.2+) from an argv array and reads its JSON modes (restic --json, borg --json/--json-lines/--log-json). " +
                "The password is a secret-typed argument: it reaches restic through RESTIC_PASSWORD_FILE and borg through BORG_PASSCOMMAND (`cat FILE`), FILE being a 0600 file " +
                "in a fresh 0700 directory removed after the call; it is never in argv and is masked in every envelope. RESTIC_PASSWORD, BORG_PASSPHRASE and the like of resh's own environment are not passed on. " +
                "SFTP repositories (sftp:[USER@]HOST[:PORT]:PATH) go through ssh in batch mode with ssh_config= or [ssh] config: restic speaks SFTP, borg runs `borg serve` on the host (borg must be installed there). " +
                "The kind of an existing local repository is read from its layout; for SFTP give backend=borg for a borg repository (restic is the default). " +
                "Errors: a wrong password is permission_denied, a missing repository not_found, a locked one conflict (hint: unlock), a missing tool unsupported (hint: apt-get install).",
    };
}
