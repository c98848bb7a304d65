using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Backup;

public static class BackupCheck
{
    static readonly Arg<bool> ReadData = Arg.Bool("read_data", "Read back and verify every data blob (restic --read-data, borg --verify-data): slow, reads the whole repository.");

    public static readonly VerbInfo Verb = VerbInfo.Define("check", Effect.Read,
        "Check the repository's integrity; `intact: false` lists the tool's errors.",
        [ReadData, .. BackupArgs.Common], () => BackupJson.Default.BackupCheckResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.check password=env:RESTIC_PASSWORD", "Structure and index check."),
                   new("backup:///srv/backup/repo.check read_data=true password=env:RESTIC_PASSWORD", "Every byte read back.")],
        notes: "A wrong password, a missing or locked repository are errors (not `intact: false`); damage found is data with a warning.");

    static async ValueTask<Outcome<BackupCheckResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        var read = ctx.Get(ReadData);
        var argv = s.IsBorg ? new List<string> { "check", "--log-json" } : ["check"];
        if (read) argv.Add(s.IsBorg ? "--verify-data" : "--read-data");
        if (s.IsBorg) argv.Add(s.Repo);
        var r = await s.RunAsync(argv, allowFailure: p => s.Translate(p, argv).Code == ErrorCode.Failed).ConfigureAwait(false);
        if (r.Succeeded) return new BackupCheckResult(s.Target.Display, s.Kind, true, read, []);
        var errors = (s.IsBorg
                ? BorgOutput.LogMessages(r.Stderr).Where(m => m.Level is "ERROR" or "CRITICAL" or "WARNING").Select(m => m.Message.Trim())
                : (r.Stderr + "\n" + r.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Fatal", StringComparison.Ordinal) || l.Contains("pack", StringComparison.Ordinal)))
            .Select(l => SecretRedactor.Scrub(l)).Take(100).ToList();
        ctx.Warn($"{s.Kind} check found damage in {s.Target.Display}.");
        return new BackupCheckResult(s.Target.Display, s.Kind, false, read, errors);
    }
}
