using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupInit
{
    static readonly Arg<string?> Encryption = Arg.Enum("encryption", "borg only: the encryption mode (restic always encrypts).",
        ["repokey-blake2", "repokey", "keyfile-blake2", "keyfile", "authenticated-blake2", "authenticated"], "repokey-blake2");

    public static readonly VerbInfo Verb = VerbInfo.Define("init", Effect.Mutate,
        "Create a repository (idempotent: an existing one that the password opens is `changed: false`).",
        [.. BackupArgs.Common, Encryption], () => BackupJson.Default.BackupInitResult, RunAsync,
        examples:
        [
            new("'backup:///srv/backup/repo.init(password=env:RESTIC_PASSWORD)'", "A restic repository."),
            new("'backup:///srv/backup/borg.init(backend=borg,password=file:/etc/resh/backup.pass)'", "A borg repository (repokey-blake2)."),
            new("'backup://sftp:backup@nas:/srv/repo.init(password=secret:backup/nas,ssh_config=/etc/resh/ssh_config)'", "A restic repository over SFTP."),
        ],
        notes: "A local directory that exists and holds something other than a repository is refused with `conflict`.");

    static async ValueTask<Outcome<BackupInitResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx, mustExist: false);
        if (s.Target.Local is { } dir && Directory.Exists(dir))
        {
            if (BackupKind.Detect(dir) is not null)
            {
                // Already there: prove the password opens it, then report no change.
                await s.RunAsync(s.IsBorg ? ["info", "--json", "--log-json", s.Repo] : ["cat", "config", "--no-lock"]).ConfigureAwait(false);
                return new BackupInitResult(s.Target.Display, s.Kind, null, true);
            }
            if (Directory.EnumerateFileSystemEntries(dir).Any())
                return ReshError.Conflict($"{dir} is not empty and is not a backup repository.", "Pick an empty or new directory for the repository.");
        }
        if (ctx.DryRun) return Outcome.Changed(new BackupInitResult(s.Target.Display, s.Kind, null, false));
        if (s.IsBorg)
        {
            await s.RunAsync(["init", "--log-json", "--encryption=" + ctx.Get(Encryption), s.Repo]).ConfigureAwait(false);
            return Outcome.Changed(new BackupInitResult(s.Target.Display, s.Kind, null, false));
        }
        var r = await s.RunAsync(["init"]).ConfigureAwait(false);
        var m = System.Text.RegularExpressions.Regex.Match(r.Stdout, @"created restic repository ([0-9a-f]+)");
        return Outcome.Changed(new BackupInitResult(s.Target.Display, s.Kind, m.Success ? m.Groups[1].Value : null, false));
    }
}
