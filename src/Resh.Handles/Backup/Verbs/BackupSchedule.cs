using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Backup;

public static class BackupSchedule
{
    static readonly Arg<string?> Name = Arg.String("name", "The schedule's name; the job is cron://backup-NAME (letters, digits, - _ .).", required: true, examples: ["nightly"]);
    static readonly Arg<string?> When = Arg.String("schedule", "When: five cron fields or a macro (@daily, @hourly...). Required unless remove=true.",
        examples: ["0 3 * * *", "@daily"], literalAt: true, aliases: ["at"]);
    static readonly Arg<string?> Via = Arg.Enum("via", "cron (a marked block in the user's crontab) or systemd (a resh-backup-NAME.timer).", ["cron", "systemd"], "cron");
    static readonly Arg<string?> Root = Arg.String("root", "cron only: treat this directory as / for the crontab (an image, a sandbox).", path: PathUse.Read);
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Files and directories the job backs up (made absolute). Required unless remove=true.",
        examples: ["/etc", "/srv/app"], path: PathUse.Read);
    static readonly Arg<bool> Remove = Arg.Bool("remove", "Remove the schedule instead (absent is `changed: false`).");

    public static readonly VerbInfo Verb = VerbInfo.Define("schedule", Effect.Mutate,
        "Run this backup on a schedule: a cron entry or systemd timer (through cron://) calling resh backup://TARGET.create; idempotent by name.",
        [Name, When, Paths, BackupCreate.Excludes, BackupCreate.Tags, Via, Root, Remove, .. BackupArgs.Common],
        () => BackupJson.Default.BackupScheduleResult, RunAsync,
        examples:
        [
            new("'backup:///srv/backup/repo.schedule(name=nightly,schedule=0 3 * * *,paths=/etc,password=file:/etc/resh/backup.pass)'", "Back up /etc at 03:00 every day."),
            new("backup:///srv/backup/repo.schedule name=nightly remove=true", "Remove it."),
        ],
        notes: "The password must be a reference: file:PATH and secret:NAME are written into the job as such; env:VAR's value is kept by cron:// in a 0600 file the job reads (never in the crontab). " +
               "The job runs the resh binary that added it, with the repository's backend fixed. Adding the same name again updates it (`changed: false` when identical).");

    static async ValueTask<Outcome<BackupScheduleResult>> RunAsync(VerbContext ctx)
    {
        var name = ctx.Get(Name)!;
        if (name.Length is 0 or > 60 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return ReshError.Usage($"`{name}` is not a schedule name.", "Use letters, digits, '-', '_' and '.', e.g. name=nightly.");
        var job = "backup-" + name;
        var cronArgs = new JsonObject();
        if (ctx.Get(Root) is { } root) cronArgs["root"] = root;
        if (ctx.Get(Remove))
        {
            var gone = await NestedCall.RunAsync(ctx, "cron://" + job, "remove", cronArgs).ConfigureAwait(false);
            if (!gone.Ok) throw gone.Error!.ToException();
            var was = gone.ResultAsNode();
            return Outcome.Changed(new BackupScheduleResult(name, job, was?["backend"]?.GetValue<string>() ?? "cron", NonEmpty(was?["path"]?.GetValue<string>()),
                was?["entry"]?["schedule"]?.GetValue<string>(), [], gone.Changed, was?["diff"]?.GetValue<string>()), gone.Changed);
        }
        var when = ctx.Get(When) ?? throw ReshError.Usage("schedule needs schedule= (when to run).", "Example: schedule=\"0 3 * * *\" or schedule=@daily.").ToException();
        var paths = ctx.Get(Paths).Select(p => Path.GetFullPath(p)).ToList();
        if (paths.Count == 0) return ReshError.Usage("schedule needs paths= (what to back up).", "Example: paths=/etc.");
        var password = ctx.Get(BackupArgs.Password)
            ?? throw ReshError.Usage("schedule needs password= as a reference the job can read.", "Pass password=file:PATH, env:VAR or secret:NAME.").ToException();
        var target = BackupTarget.From(ctx);
        var kind = BackupKind.Resolve(target, ctx.Get(BackupArgs.Backend), mustExist: true);
        var command = new List<string> { Environment.ProcessPath ?? "resh", "backup://" + Escape(target.Display) + ".create" };
        command.AddRange(paths.Select(p => "paths=" + p));
        command.AddRange(ctx.Get(BackupCreate.Excludes).Select(e => "excludes=" + e));
        command.AddRange(ctx.Get(BackupCreate.Tags).Select(t => "tags=" + t));
        command.Add("backend=" + kind);
        if (ctx.Get(BackupArgs.SshConfig) is { } sc) command.Add("ssh_config=" + Path.GetFullPath(sc));
        switch (password.Kind)
        {
            case SecretSourceKind.File:
                command.Add("password=file:" + Path.GetFullPath(password.Name!));
                break;
            case SecretSourceKind.Store:
                command.Add("password=" + password);
                break;
            case SecretSourceKind.Env:
                // The job's environment has no such variable: cron:// keeps its value now in a 0600 file the job reads (never in the crontab).
                command.Add("password=" + password);
                cronArgs["secret_env"] = new JsonArray($"{password.Name}={password}");
                break;
            default:
                return ReshError.Usage("A scheduled backup's password must be a reference (file:PATH, env:VAR or secret:NAME), not a value written into the job.",
                    "Pass password=file:/etc/resh/backup.pass (0600), or secret:NAME.");
        }
        cronArgs["schedule"] = when;
        cronArgs["command"] = new JsonArray(command.Select(c => (JsonNode?)c).ToArray());
        cronArgs["backend"] = ctx.Get(Via);
        cronArgs["comment"] = $"resh backup schedule {name}";
        var env = await NestedCall.RunAsync(ctx, "cron://" + job, "add", cronArgs).ConfigureAwait(false);
        if (!env.Ok) throw env.Error!.ToException();
        var r = env.ResultAsNode();
        return Outcome.Changed(new BackupScheduleResult(name, job, r?["backend"]?.GetValue<string>() ?? ctx.Get(Via)!, NonEmpty(r?["path"]?.GetValue<string>()),
            r?["entry"]?["schedule"]?.GetValue<string>() ?? when, command, false, r?["diff"]?.GetValue<string>()), env.Changed);
    }

    static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>The target as a stage body: characters the stage grammar reads specially are percent-escaped.</summary>
    static string Escape(string t)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in t)
            sb.Append(c is '%' or '(' or ')' or ' ' or '\'' or '"' or '\t' ? $"%{(int)c:X2}" : c.ToString());
        return sb.ToString();
    }
}
