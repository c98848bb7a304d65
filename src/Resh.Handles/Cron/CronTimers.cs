using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Svc;
using Resh.Handles.Svc.Systemd;

namespace Resh.Handles.Cron;

/// <summary>systemd timers as cron entries: listed over D-Bus, created as resh-ID.timer + resh-ID.service.</summary>
internal static class CronTimers
{
    public const string Prefix = "resh-";
    const string ScheduleMarker = "# resh-schedule: ";

    public static bool SystemdRunning => Directory.Exists("/run/systemd/system");

    public static string TimerPath(string id) => Path.Combine(SystemdManager.UnitDir, $"{Prefix}{id}.timer");
    public static string ServicePath(string id) => Path.Combine(SystemdManager.UnitDir, $"{Prefix}{id}.service");

    public static async Task<List<CronEntry>> ListAsync(Func<CronSchedule, IReadOnlyList<string>> next, CancellationToken ct)
    {
        if (!SystemdRunning) return [];
        using var mgr = await SystemdManager.ConnectAsync(ct).ConfigureAwait(false);
        var entries = new List<CronEntry>();
        foreach (var (path, fileState) in mgr.Bus.ListUnitFiles(["*.timer"]))
        {
            var name = Path.GetFileName(path);
            if (name.Contains("@.", StringComparison.Ordinal)) continue; // templates have no instance to run
            var timer = mgr.Properties(name);
            var unit = timer.Str("Unit") ?? name[..^6] + ".service";
            var service = mgr.Properties(unit);
            var argv = ExecArgv(service);
            var managed = name.StartsWith(Prefix, StringComparison.Ordinal) && ReadSchedule(path) is not null;
            string schedule;
            IReadOnlyList<string> runs;
            if (managed && ReadSchedule(path) is { } expr && CronSchedule.TryParse(expr, out var sched, out _))
            {
                schedule = expr;
                runs = next(sched!);
            }
            else
            {
                schedule = string.Join("; ", CalendarSpecs(timer));
                runs = timer.U64("NextElapseUSecRealtime") is { } us && us > 0 && us < ulong.MaxValue
                    ? [DateTimeOffset.FromUnixTimeMilliseconds((long)(us / 1000)).ToLocalTime().ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)]
                    : [];
            }
            var id = managed ? name[Prefix.Length..^6] : name;
            var description = timer.Str("Description");
            entries.Add(new CronEntry(id, "systemd", path, service.Str("User") is { Length: > 0 } u ? u : "root", schedule,
                string.Join(' ', argv), fileState is "enabled" or "enabled-runtime" || timer.Str("ActiveState") == "active",
                managed, managed ? description : null, runs));
        }
        return entries;
    }

    static IReadOnlyList<string> ExecArgv(UnitProperties service) => service.Raw("ExecStart") is List<object?> { Count: > 0 } execs && execs[0] is object?[] first && first[1] is List<object?> argv
        ? argv.OfType<string>().ToList()
        : [];

    static IEnumerable<string> CalendarSpecs(UnitProperties timer)
    {
        if (timer.Raw("TimersCalendar") is List<object?> cal)
            foreach (var c in cal.OfType<object?[]>()) yield return $"{c[0]}={c[1]}";
        if (timer.Raw("TimersMonotonic") is List<object?> mono)
            foreach (var m in mono.OfType<object?[]>()) yield return $"{m[0]}={(m[1] is ulong us ? us / 1_000_000 + "s" : m[1])}";
    }

    static string? ReadSchedule(string path)
    {
        try
        {
            foreach (var line in System.IO.File.ReadLines(path).Take(5))
                if (line.StartsWith(ScheduleMarker, StringComparison.Ordinal)) return line[ScheduleMarker.Length..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    public static (string Service, string Timer) Render(string id, CronSchedule schedule, IReadOnlyList<string> argv, string? user, IReadOnlyList<string> env, string? comment,
        TimeSpan accuracy, bool persistent, string? environmentFile = null)
    {
        var head = $"# Created by resh (cron://{id}.add); remove with resh cron://{id}.remove\n{ScheduleMarker}{schedule.Expression}\n";
        var desc = UnitFileText.Plain(comment ?? $"resh job {id}");
        var svc = new StringBuilder(head);
        svc.Append("[Unit]\nDescription=").Append(desc).Append("\n\n[Service]\nType=oneshot\nExecStart=").Append(UnitFileText.ExecLine(argv)).Append('\n');
        if (user is not null) svc.Append("User=").Append(UnitFileText.Plain(user)).Append('\n');
        foreach (var e in env) svc.Append("Environment=").Append(UnitFileText.EnvironmentValue(e)).Append('\n');
        if (environmentFile is not null) svc.Append("EnvironmentFile=").Append(UnitFileText.Plain(environmentFile)).Append('\n');
        var timer = new StringBuilder(head);
        timer.Append("[Unit]\nDescription=").Append(desc).Append("\n\n[Timer]\n");
        foreach (var cal in schedule.ToOnCalendar()) timer.Append("OnCalendar=").Append(cal).Append('\n');
        var ms = Math.Max(1, (long)accuracy.TotalMilliseconds);
        timer.Append("AccuracySec=").Append(ms % 1000 == 0 ? $"{ms / 1000}s" : $"{ms}ms").Append('\n');
        timer.Append("Persistent=").Append(persistent ? "true" : "false").Append("\n\n[Install]\nWantedBy=timers.target\n");
        return (svc.ToString(), timer.ToString());
    }

    public static async Task<ProcessResult> SystemctlAsync(IReadOnlyList<string> args, CancellationToken ct) =>
        await ProcessRunner.RunAsync(["systemctl", "--no-ask-password", .. args], null, ct).ConfigureAwait(false);

    public static async Task CheckedAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var r = await SystemctlAsync(args, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw ReshError.Failed($"systemctl {string.Join(' ', args)} failed: {r.LastErrorLine}", null).ToException();
    }
}
