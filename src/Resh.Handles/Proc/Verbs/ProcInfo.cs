using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcInfo
{
    static readonly Arg<bool> Env = Arg.Bool("env", "Include the environment (needs the same user or root); secret-looking values are redacted.");

    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "Details of one process: command line, exe, cwd, user, state, start time, threads, memory, CPU, fds, cgroup, parent.",
        [Env], () => ProcJson.Default.ProcInfoResult, Run,
        examples:
        [
            new("proc://1234.info", "Everything about PID 1234."),
            new("proc://self.info", "resh's own process."),
            new("'proc://sshd.info(env=true)'", "The one sshd process, with its environment (secrets redacted)."),
        ],
        notes: "A name must match exactly one process (else `conflict` listing the PIDs). Environment values whose names look secret (PASSWORD, TOKEN, SECRET, KEY, CREDENTIAL, AUTH...) and passwords inside URLs are replaced by ***.");

    static Outcome<ProcInfoResult> Run(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var entries = target.ResolveExisting(withStatus: true, withCmdline: false);
        if (entries.Count > 1)
            return ReshError.Conflict($"{entries.Count} processes are named `{target.Name}`; info describes one.",
                $"Pick one by PID (proc://{entries[0].Pid}.info), or list them: resh proc://{target.Name}.list",
                new JsonObject { ["pids"] = new JsonArray(entries.Select(e => (JsonNode?)e.Pid).ToArray()) });
        var e = entries[0];
        var argv = ProcFs.ReadArgv(e.Pid);
        e.Argv = argv;
        var rows = new ProcRows();
        var parent = e.Ppid > 0 ? ProcFs.ReadStat(e.Ppid) : null;
        int? fds = null;
        try { fds = Directory.EnumerateFileSystemEntries($"/proc/{e.Pid}/fd").Count(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }

        Dictionary<string, string>? env = null;
        List<string>? redacted = null;
        if (ctx.Get(Env))
        {
            (env, redacted) = ReadEnv(e.Pid);
            if (env is null)
                return ReshError.PermissionDenied($"Cannot read the environment of PID {e.Pid}.", "Run as the process's user or as root.");
        }
        var elapsed = Math.Max(0, rows.Uptime - (double)e.StartTicks / ProcNative.ClockTicks);
        return new ProcInfoResult(
            e.Pid, e.Ppid, parent?.Comm, e.Comm,
            ProcFs.ReadLink($"/proc/{e.Pid}/exe"), ProcFs.ReadLink($"/proc/{e.Pid}/cwd"),
            e.Command, argv, rows.User(e.Uid), e.Uid == uint.MaxValue ? -1 : e.Uid, e.Gid == uint.MaxValue ? -1 : e.Gid,
            e.State.ToString(), ProcFs.StateName(e.State), ProcFs.StartTime(e, rows.BootTime), Math.Round(elapsed, 2),
            e.Threads, e.RssBytes, e.VsizeBytes, ProcFs.CpuPercent(e, rows.Uptime), fds, ReadCgroup(e.Pid),
            e.Nice, e.Session, e.Pgrp, env, redacted);
    }

    static (Dictionary<string, string>?, List<string>?) ReadEnv(int pid)
    {
        string? raw;
        try { raw = System.IO.File.ReadAllText($"/proc/{pid}/environ"); }
        catch (IOException) { return (null, null); }
        catch (UnauthorizedAccessException) { return (null, null); }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var redacted = new List<string>();
        foreach (var item in raw.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0) continue;
            var name = item[..eq];
            var value = item[(eq + 1)..];
            if (SecretNames.IsSecretName(name)) { env[name] = SecretNames.Mask; redacted.Add(name); }
            else
            {
                var masked = SecretNames.MaskUrlPassword(value);
                if (!ReferenceEquals(masked, value) && masked != value) redacted.Add(name);
                env[name] = masked;
            }
        }
        return (env, redacted);
    }

    static string? ReadCgroup(int pid)
    {
        var text = ProcFs.ReadText($"/proc/{pid}/cgroup", 64 * 1024);
        if (text is null) return null;
        string? named = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "0::/path" is the unified hierarchy; prefer it, else name=systemd.
            if (line.StartsWith("0::", StringComparison.Ordinal)) return line[3..];
            if (line.Contains(":name=systemd:", StringComparison.Ordinal)) named = line[(line.LastIndexOf(':') + 1)..];
        }
        return named;
    }
}
