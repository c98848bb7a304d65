using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;
using Resh.Handles.Svc;
using Resh.Core.Text;

namespace Resh.Handles.Cron;

public static class CronAdd
{
    static readonly Arg<string?> Schedule = Arg.String("schedule", "When: five cron fields (`0 3 * * *`) or a macro (@daily, @hourly, @weekly, @monthly, @yearly, @reboot).",
        required: true, examples: ["0 3 * * *", "@daily"], literalAt: true);
    static readonly Arg<IReadOnlyList<string>> Command = Arg.Command("command", "What: the program and its arguments (words after `--`, command:=[...], or command=\"prog arg\" split into words as a shell would); quoted safely for cron's /bin/sh.",
        required: true, positional: true, aliases: ["argv"], examples: ["/usr/local/bin/backup --full"]);
    static readonly Arg<string?> User = Arg.String("user", "Run as this user (default: the current one): their crontab, or User= of the timer.");
    static readonly Arg<IReadOnlyList<string>> Env = Arg.List("env", "Environment for the command as NAME=value.", examples: ["LANG=C.UTF-8"]);
    static readonly Arg<IReadOnlyList<string>> SecretEnvArg = Arg.List("secret_env",
        "Secret environment as NAME=SOURCE (secret:NAME, env:VAR, file:PATH; a literal works with a warning): kept in a 0600 file the job sources (cron) or names in EnvironmentFile= (timer), never in the crontab.",
        examples: ["API_TOKEN=secret:ci/token"], role: ArgRole.SecretSources);
    static readonly Arg<string?> Comment = Arg.String("comment", "A note kept with the job.");
    static readonly Arg<string?> Backend = Arg.Enum("backend", "cron (a marked block in a crontab) or systemd (resh-ID.timer + resh-ID.service).", ["cron", "systemd"], "cron");
    static readonly Arg<string?> File = Arg.String("file", "Put the job in /etc/cron.d/FILE (system format) instead of the user's crontab.", examples: ["resh"]);
    static readonly Arg<bool> Enabled = Arg.Bool("enabled", "Add it enabled (false adds it commented out / timer stopped).", true);
    static readonly Arg<TimeSpan?> Accuracy = Arg.Duration("accuracy", "backend=systemd: AccuracySec= of the timer, how late systemd may start the job to batch wake-ups (cron: on the minute).",
        TimeSpan.FromSeconds(1));
    static readonly Arg<bool> Persistent = Arg.Bool("persistent", "backend=systemd: Persistent= of the timer, run a start missed while the machine was off at the next boot (cron never does).");

    public static readonly VerbInfo Verb = VerbInfo.Define("add", Effect.Mutate,
        "Add or update a scheduled job by id: a cron line in a marked block, or a systemd timer; idempotent.",
        [Schedule, Command, User, Env, SecretEnvArg, Comment, Backend, File, Enabled, Accuracy, Persistent, CronLocations.RootArg], () => CronJson.Default.CronChangeResult, RunAsync,
        examples:
        [
            new("cron://backup.add schedule=@daily -- /usr/local/bin/backup --full", "A daily backup in the current user's crontab."),
            new("'cron://report.add(schedule=0 7 * * 1-5,user=www-data,backend=systemd)' -- /srv/report.sh", "A weekday timer running as www-data."),
        ],
        notes: "The job lives between `# BEGIN resh ID` and `# END resh ID`; every other line of the crontab stays byte for byte (a last line without a newline stays last, so adding and removing leaves the file as it was). " +
               "A systemd timer behaves like cron unless asked: AccuracySec=1s (systemd's default is a minute) and Persistent=false (cron never catches up missed runs). Adding the same id again replaces its block (`changed: false` when identical). Writes are atomic. A crontab file that is a symlink (file= in /etc/cron.d) is refused with `conflict` naming its target: resh neither replaces the link nor writes through it. Parallel calls take turns (a lock in the state dir), so none loses another's block.").WithRunsPrograms();

    static async ValueTask<Outcome<CronChangeResult>> RunAsync(VerbContext ctx)
    {
        var id = CronJobs.Id(ctx);
        var schedule = CronJobs.ParseSchedule(ctx.Get(Schedule)!);
        var argv = ctx.Get(Command);
        if (argv.Count == 0 || argv[0].Length == 0) return ReshError.Usage("Nothing to run: give the command.", $"Example: resh cron://{id}.add schedule=@daily -- /usr/local/bin/backup");
        // Secrets (and plain values whose names look secret, with a warning) never go into the crontab or unit.
        var environment = SecretEnv.Split(ctx, ctx.Get(Env), ctx.Get(SecretEnvArg), "env", "secret_env", moveSecretLooking: true);
        var env = environment.Plain.Select(p => $"{p.Name}={p.Value}").ToList();
        var comment = ctx.Get(Comment);
        if (comment is not null && (comment.Contains('\n') || comment.Contains('\r'))) return ReshError.Usage("comment must be one line.", null);
        var user = ctx.Get(User) ?? Users.UserName(LibC.GetEUid()) ?? "root";
        if (Users.User(user) is null) return ReshError.NotFound($"No user `{user}`.", "Give an existing user name.");
        var store = new CronStore(CronLocations.From(ctx));
        if (ctx.Get(Backend) != "systemd" && (ctx.IsSet(Accuracy) || ctx.IsSet(Persistent)))
            return ReshError.Usage("accuracy and persistent apply to systemd timers only.", "Add backend=systemd, or drop them.");
        // Parallel adds would each rewrite the crontab they read: one at a time.
        using var _lock = ctx.DryRun ? null : FileLock.Take(ctx.Runtime.Paths, store.Locations.Spool, ctx.Cancellation);
        return ctx.Get(Backend) == "systemd"
            ? await AddTimerAsync(ctx, store, id, schedule, argv, ctx.Get(User), env, environment.Secret, comment).ConfigureAwait(false)
            : await AddCronAsync(ctx, store, id, schedule, argv, user, env, environment.Secret, comment).ConfigureAwait(false);
    }

    static async Task<Outcome<CronChangeResult>> AddCronAsync(VerbContext ctx, CronStore store, string id, CronSchedule schedule,
        IReadOnlyList<string> argv, string user, IReadOnlyList<string> env, IReadOnlyList<(string Name, SecretValue Value)> secrets, string? comment)
    {
        var file = ctx.Get(File);
        if (file is not null && (file.Length == 0 || !file.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            return ReshError.Usage("file must be a plain name of letters, digits, '-' and '_' (cron skips other names in /etc/cron.d).", "Example: file=resh");
        var path = file is null ? store.Locations.UserCrontab(user) : Path.Combine(store.Locations.CronD, file);
        if (file is not null && CronLinks.Refuse(path) is { } link) return link;
        // An id is one job: the same id elsewhere is a different job, not this one.
        foreach (var t in await store.TablesAsync(ctx.Cancellation).ConfigureAwait(false))
            if (t.Path != path && Crontab.HasBlock(t.Text, id))
                return ReshError.Conflict($"Job id {id} already exists in {t.Path}.", $"Remove it first (resh cron://{id}.remove) or choose another id.");
        if (System.IO.File.Exists(CronTimers.TimerPath(id)) && store.Locations.IsHostRoot)
            return ReshError.Conflict($"Job id {id} is already a systemd timer.", $"Remove it first (resh cron://{id}.remove) or choose another id.");

        var envPath = store.Locations.SecretEnvFile(id, user);
        var envText = secrets.Count > 0 ? SecretEnvFile.ShellText(secrets) : null;
        var command = CronCommand.Build(argv, env);
        if (envText is not null) command = $". {CronCommand.Quote(envPath)} && {command}";
        var line = $"{schedule.Expression} {(file is null ? "" : user + " ")}{command}";
        var old = file is null ? await store.ReadUserAsync(user, ctx.Cancellation).ConfigureAwait(false)
            : System.IO.File.Exists(store.Locations.Access(path)) ? await System.IO.File.ReadAllTextAsync(store.Locations.Access(path), ctx.Cancellation).ConfigureAwait(false) : "";
        var text = Crontab.SetBlock(old, id, Crontab.Block(id, comment, line, ctx.Get(Enabled)));
        if (Crontab.UnterminatedLastLine(old) is { } last)
            ctx.Warn($"The last line of {path} has no newline, so cron ignores it: `{(last.Length > 60 ? last[..60] + "…" : last)}`. resh left it as it is.");
        var entry = new CronEntry(id, "cron", path, user, schedule.Expression, command, ctx.Get(Enabled), true, comment,
            CronJobs.NextRuns(schedule, TimeZoneInfo.Local, 3));
        var oldEnv = SecretEnvFile.Read(store.Locations.Access(envPath));
        if (text == old && oldEnv == envText) return new CronChangeResult(id, "cron", path, null, entry);
        var diff = (Diff.Unified(old, text, path) ?? "") + (SecretEnvFile.MaskedDiff(oldEnv, envText, envPath) ?? "");
        if (ctx.DryRun) return Outcome.Changed(new CronChangeResult(id, "cron", path, diff, entry));
        if (oldEnv != envText)
        {
            var pw = Users.User(user)!;
            SecretEnvFile.Write(store.Locations.IsHostRoot ? envPath : store.Locations.Access(envPath, create: true, dirMode: 0x1c9), envText, pw.Uid, pw.Gid); // the job's user reads it; nobody else
        }
        if (text == old) return Outcome.Changed(new CronChangeResult(id, "cron", path, diff, entry));
        if (file is null) await store.WriteUserAsync(user, text, ctx.Cancellation).ConfigureAwait(false);
        else store.WriteCronD(path, text);
        return Outcome.Changed(new CronChangeResult(id, "cron", path, diff, entry));
    }

    static async Task<Outcome<CronChangeResult>> AddTimerAsync(VerbContext ctx, CronStore store, string id, CronSchedule schedule,
        IReadOnlyList<string> argv, string? user, IReadOnlyList<string> env, IReadOnlyList<(string Name, SecretValue Value)> secrets, string? comment)
    {
        if (!store.Locations.IsHostRoot) return ReshError.Unsupported("systemd timers are managed on the running system; root= applies to crontabs only.", null);
        if (!CronTimers.SystemdRunning) return ReshError.Unavailable("systemd is not running here.", "Use backend=cron.");
        if (schedule.AtReboot) return ReshError.Usage("@reboot has no calendar form for a timer.", "Use backend=cron for @reboot jobs.");
        foreach (var e in env)
            if (e.IndexOf('=') <= 0) return ReshError.Usage($"env entry `{e.Split('=')[0]}` is not NAME=value.", "Example: env=LANG=C.UTF-8");
        foreach (var t in await store.TablesAsync(ctx.Cancellation).ConfigureAwait(false))
            if (Crontab.HasBlock(t.Text, id))
                return ReshError.Conflict($"Job id {id} already exists in {t.Path}.", $"Remove it first (resh cron://{id}.remove) or choose another id.");
        var accuracy = ctx.Get(Accuracy)!.Value;
        if (accuracy < TimeSpan.FromMilliseconds(1) || accuracy > TimeSpan.FromDays(1))
            return ReshError.Usage("accuracy must be from 1ms to 1d.", "Example: accuracy=1s (the default), accuracy=1m (systemd's own default).");
        var envPath = Path.Combine(SecretEnvFile.SystemdDir, $"{CronTimers.Prefix}{id}.service.env");
        var envText = secrets.Count > 0 ? SecretEnvFile.SystemdText(secrets) : null;
        var oldEnv = SecretEnvFile.Read(store.Locations.Access(envPath));
        var (svc, timer) = CronTimers.Render(id, schedule, argv, user, env, comment, accuracy, ctx.Get(Persistent), envText is null ? null : envPath);
        var svcPath = CronTimers.ServicePath(id);
        var timerPath = CronTimers.TimerPath(id);
        var oldSvc = System.IO.File.Exists(svcPath) ? await System.IO.File.ReadAllTextAsync(svcPath, ctx.Cancellation).ConfigureAwait(false) : null;
        var oldTimer = System.IO.File.Exists(timerPath) ? await System.IO.File.ReadAllTextAsync(timerPath, ctx.Cancellation).ConfigureAwait(false) : null;
        var enabled = ctx.Get(Enabled);
        var unit = $"{CronTimers.Prefix}{id}.timer";
        var state = (await CronTimers.SystemctlAsync(["is-enabled", unit], ctx.Cancellation).ConfigureAwait(false)).Stdout.Trim();
        var active = (await CronTimers.SystemctlAsync(["is-active", unit], ctx.Cancellation).ConfigureAwait(false)).Stdout.Trim();
        var filesChanged = oldSvc != svc || oldTimer != timer || oldEnv != envText;
        var stateChanged = enabled ? state != "enabled" || active != "active" : state == "enabled" || active == "active";
        var diff = filesChanged ? (Diff.Unified(oldSvc, svc, svcPath) ?? "") + (Diff.Unified(oldTimer, timer, timerPath) ?? "") + (SecretEnvFile.MaskedDiff(oldEnv, envText, envPath) ?? "") : null;
        var entry = new CronEntry(id, "systemd", timerPath, user ?? "root", schedule.Expression, string.Join(' ', argv), enabled, true, comment,
            CronJobs.NextRuns(schedule, TimeZoneInfo.Local, 3));
        var result = new CronChangeResult(id, "systemd", timerPath, diff, entry);
        if (!filesChanged && !stateChanged) return result;
        if (ctx.DryRun) return Outcome.Changed(result);
        if (filesChanged)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(svcPath)!);
            if (oldEnv != envText) SecretEnvFile.Write(envPath, envText);
            AtomicFile.Write(svcPath, System.Text.Encoding.UTF8.GetBytes(svc), (UnixFileMode)0x1a4);
            AtomicFile.Write(timerPath, System.Text.Encoding.UTF8.GetBytes(timer), (UnixFileMode)0x1a4);
            await CronTimers.CheckedAsync(["daemon-reload"], ctx.Cancellation).ConfigureAwait(false);
        }
        if (enabled)
        {
            await CronTimers.CheckedAsync(["enable", unit], ctx.Cancellation).ConfigureAwait(false);
            // restart, not start: a running timer keeps its old schedule until restarted.
            await CronTimers.CheckedAsync([filesChanged && active == "active" ? "restart" : "start", unit], ctx.Cancellation).ConfigureAwait(false);
        }
        else await CronTimers.CheckedAsync(["disable", "--now", unit], ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(result);
    }
}
