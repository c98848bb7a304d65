using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Svc.Systemd;

namespace Resh.Handles.Cron;

public static class CronRunNow
{
    public static readonly VerbInfo Verb = VerbInfo.Define("run-now", Effect.Mutate,
        "Run a job's command once, now, as cron would: its user, the crontab's SHELL, PATH and other variables; capture exit code and output.",
        [CronJobs.OwnerArg, CronLocations.RootArg], () => CronJson.Default.CronRunResult, RunAsync,
        examples: [new("cron://backup.run-now --timeout 10m", "Run the backup now and see its output.")],
        notes: "The environment is cron's: HOME, LOGNAME, USER, SHELL=/bin/sh and PATH=/usr/bin:/bin, then every NAME=value line of the crontab above the job " +
               "(SHELL among them chooses the shell that runs the command, as cron does), in the user's home directory. Any job can be run by id, managed or not. A non-zero exit is `failed` with exit_code, stdout and stderr in details. A systemd timer job starts its service and waits for it.").WithRunsPrograms();

    static async ValueTask<Outcome<CronRunResult>> RunAsync(VerbContext ctx)
    {
        var id = CronJobs.Id(ctx);
        var store = new CronStore(CronLocations.From(ctx));
        var job = await CronJobs.FindAsync(store, id, ctx.Cancellation, ctx.Get(CronJobs.OwnerArg)).ConfigureAwait(false);
        if (job is null) return ReshError.NotFound($"No job with id `{id}`.", "List jobs and their ids: resh cron://.list");
        return job.Backend == "systemd" ? await RunTimerAsync(ctx, job).ConfigureAwait(false) : await RunCronAsync(ctx, store, job).ConfigureAwait(false);
    }

    /// <summary>The crontab's variables in force at the job's line (cron reads them top to bottom).</summary>
    static async Task<List<(string Name, string Value)>> CrontabEnvironmentAsync(CronStore store, CronEntry job, CancellationToken ct)
    {
        foreach (var table in await store.TablesAsync(ct).ConfigureAwait(false))
        {
            if (table.Path != job.Source) continue;
            foreach (var j in Crontab.Jobs(table.Text, table.SystemFormat))
                if ((j.ManagedId ?? Crontab.ForeignId(table.Source, j.Line)) == job.Id) return Crontab.EnvironmentFor(table.Text, j.Line);
        }
        return [];
    }

    static async Task<Outcome<CronRunResult>> RunCronAsync(VerbContext ctx, CronStore store, CronEntry job)
    {
        var user = job.User ?? "root";
        var pw = Users.User(user);
        if (pw is null) return ReshError.NotFound($"The job's user `{user}` does not exist.", null);
        var (command, stdin) = CronCommand.AsShellSees(job.Command);
        // A job resh added with secret_env sources a 0600 file: its values are masked in this envelope.
        if (job.Managed) Resh.Handles.Svc.SecretEnvFile.RegisterValues(store.Locations.Access(store.Locations.SecretEnvFile(job.Id, user)));
        // cron's environment: HOME, LOGNAME, USER, SHELL and a short PATH, nothing inherited; then the
        // crontab's own variables (LOGNAME and USER always name the job's user, as cron keeps them).
        var vars = new List<(string Name, string Value)> { ("HOME", pw.Home), ("LOGNAME", user), ("USER", user), ("SHELL", "/bin/sh"), ("PATH", "/usr/bin:/bin") };
        foreach (var (name, value) in await CrontabEnvironmentAsync(store, job, ctx.Cancellation).ConfigureAwait(false))
        {
            if (name is "LOGNAME" or "USER") continue;
            vars.RemoveAll(v => v.Name == name);
            vars.Add((name, value));
        }
        var shell = vars.Last(v => v.Name == "SHELL").Value;
        var home = vars.Last(v => v.Name == "HOME").Value;
        List<string> argv = [shell, "-c", command];
        // Only these variables, passed as the environment (a crontab's values stay out of argv).
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) environment[(string)e.Key] = null;
        environment["LC_ALL"] = null;
        foreach (var (name, value) in vars) environment[name] = value;
        if (pw.Uid != LibC.GetEUid())
        {
            if (LibC.GetEUid() != 0) return ReshError.PermissionDenied($"Only root can run {user}'s job.", null);
            argv = ["setpriv", $"--reuid={pw.Uid}", $"--regid={pw.Gid}", "--init-groups", "--", .. argv];
        }
        if (ctx.DryRun) return Outcome.Changed(new CronRunResult(job.Id, argv, null, "", "", 0));
        var r = await ProcessRunner.RunAsync(argv, new ProcessOptions
        {
            WorkingDirectory = Directory.Exists(home) ? home : "/",
            Environment = environment,
            Stdin = stdin is null ? [] : Encoding.UTF8.GetBytes(stdin),
            MaxOutputBytes = 1024 * 1024,
        }, ctx.Cancellation).ConfigureAwait(false);
        return Finish(job.Id, argv, r.ExitCode, r.Stdout, r.Stderr, r.Duration.TotalMilliseconds);
    }

    static async Task<Outcome<CronRunResult>> RunTimerAsync(VerbContext ctx, CronEntry job)
    {
        var timer = Path.GetFileName(job.Source);
        using var mgr = await SystemdManager.ConnectAsync(ctx.Cancellation).ConfigureAwait(false);
        var service = mgr.Properties(timer).Str("Unit") ?? timer[..^6] + ".service";
        List<string> argv = ["systemctl", "start", service];
        if (ctx.DryRun) return Outcome.Changed(new CronRunResult(job.Id, argv, null, "", "", 0));
        var startedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var r = await CronTimers.SystemctlAsync(["start", service], ctx.Cancellation).ConfigureAwait(false);
        var props = mgr.Properties(service);
        var code = props.I32("ExecMainStatus") ?? r.ExitCode;
        var lines = await Journal.RecentMessagesAsync(service, startedUs, 200, ctx.Cancellation).ConfigureAwait(false);
        var output = string.Join('\n', lines.Where(l => !l.StartsWith(service, StringComparison.Ordinal) && !l.Contains(" - ", StringComparison.Ordinal)));
        return Finish(job.Id, argv, code == 0 && !r.Succeeded ? r.ExitCode : code, output, r.Succeeded ? "" : r.Stderr, r.Duration.TotalMilliseconds);
    }

    static Outcome<CronRunResult> Finish(string id, IReadOnlyList<string> argv, int exitCode, string stdout, string stderr, double ms)
    {
        if (exitCode == 0) return Outcome.Changed(new CronRunResult(id, argv, 0, stdout, stderr, Math.Round(ms, 1)));
        return ReshError.Failed($"Job {id} exited with {exitCode}.", "Its output is in details.",
            new JsonObject { ["id"] = id, ["exit_code"] = exitCode, ["stdout"] = Tail(stdout), ["stderr"] = Tail(stderr) });
    }

    static string Tail(string s) => s.Length <= 8000 ? s : "…" + s[^8000..];
}
