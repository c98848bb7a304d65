using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;
using Resh.Core.Text;
using Resh.Handles.Svc.Systemd;

namespace Resh.Handles.Svc;

public static class SvcCreate
{
    static readonly Arg<IReadOnlyList<string>> Exec = Arg.Command("exec", "ExecStart as argv: the program and its arguments (words after `--`, exec:=[...], or command=\"prog arg\" split into words as a shell would); quoted for systemd by resh.",
        required: true, positional: true, aliases: ["command"], examples: ["/usr/bin/python3 -m http.server 8080"]);
    static readonly Arg<string?> Description = Arg.String("description", "Description= (default: the name).");
    static readonly Arg<string?> User = Arg.String("user", "User= to run as.");
    static readonly Arg<string?> Group = Arg.String("group", "Group= to run as.");
    static readonly Arg<IReadOnlyList<string>> Env = Arg.List("env", "Environment= entries as NAME=value.", examples: ["PORT=8080"]);
    static readonly Arg<IReadOnlyList<string>> SecretEnvArg = Arg.List("secret_env",
        "Secret environment as NAME=SOURCE (secret:NAME, env:VAR, file:PATH; a literal works with a warning): written to a 0600 EnvironmentFile=, never to the unit file.",
        examples: ["DB_PASSWORD=secret:db/app"], role: ArgRole.SecretSources);
    static readonly Arg<string?> WorkingDir = Arg.String("working_dir", "WorkingDirectory=.");
    static readonly Arg<string?> Type = Arg.Enum("type", "Type= of the service.", ["simple", "exec", "forking", "oneshot", "notify", "idle"], "simple");
    static readonly Arg<string?> Restart = Arg.Enum("restart", "Restart= policy.", ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"], "no");
    static readonly Arg<TimeSpan?> RestartSec = Arg.Duration("restart_sec", "RestartSec= (pause before a restart).");
    static readonly Arg<string?> ReloadSignal = Arg.Enum("reload_signal",
        "ExecReload= that sends this signal to the main process (`/bin/kill -s HUP $MAINPID`), so `systemctl reload` (svc://NAME.reload) asks the service to re-read its config; default: none.",
        ["HUP", "USR1", "USR2"]);
    static readonly Arg<IReadOnlyList<string>> After = Arg.List("after", "After= units (ordering).", examples: ["network-online.target"]);
    static readonly Arg<IReadOnlyList<string>> Wants = Arg.List("wants", "Wants= units (weak dependencies).");
    static readonly Arg<string?> WantedBy = Arg.String("wanted_by", "WantedBy= in [Install] (what `enable` hooks it into).", "multi-user.target");
    static readonly Arg<bool> Force = Arg.Bool("force", "Overwrite a unit file in /etc/systemd/system that resh did not create.");
    static readonly Arg<IReadOnlyList<string>> Directives = Arg.List("directives",
        "More [Service] lines as Key=value, one per item: sandboxing (NoNewPrivileges=yes, ProtectSystem=strict, ReadWritePaths=/srv/x), limits (LimitNOFILE=65536). " +
        "Keys that other arguments write (ExecStart, User, Environment...) and every Exec* key are refused.",
        examples: ["NoNewPrivileges=yes", "ProtectSystem=strict"]);

    /// <summary>Keys written from other arguments, or that would run more commands (Exec*: their prefixes escape the checks on exec).</summary>
    static readonly string[] OwnKeys = ["User", "Group", "Environment", "EnvironmentFile", "WorkingDirectory", "Type", "Restart", "RestartSec"];

    public static readonly VerbInfo Verb = VerbInfo.Define("create", Effect.Mutate,
        "Write a service unit file from arguments (ExecStart argv, user, env, restart policy, ordering), then daemon-reload; idempotent.",
        [Exec, Description, User, Group, Env, SecretEnvArg, WorkingDir, Type, Restart, RestartSec, ReloadSignal, After, Wants, WantedBy, Directives, Force, ServiceManagers.BackendArg],
        () => SvcJson.Default.SvcFileResult, RunAsync,
        examples:
        [
            new("svc://web.create restart=on-failure user=www-data -- /usr/bin/python3 -m http.server 8080", "A web server unit restarted on failure."),
            new("'svc://job.create(exec:=[\"/usr/local/bin/job\",\"--once\"],type=oneshot)'", "A oneshot job, argv as JSON."),
        ],
        notes: "Writes /etc/systemd/system/NAME.service atomically. secret_env (and env values whose names look secret, with a warning) go to " +
               "/etc/resh/env/NAME.service.env (0600, root's), named by EnvironmentFile=; the envelope and its diff show their names, never their values. Identical content is `changed: false` and skips the reload. Arguments are quoted for systemd (spaces, quotes, $ and % survive as written). Does not enable or start: chain svc://NAME.enable(now=true).").WithRunsPrograms();

    static async ValueTask<Outcome<SvcFileResult>> RunAsync(VerbContext ctx)
    {
        // A dry run only renders the unit: it needs no running systemd (resh serve install --dry-run on a build host, s39 user D12).
        var renderOnly = ctx.DryRun && ctx.Get(ServiceManagers.BackendArg) is "auto" or "systemd" && ServiceManagers.Detect() != "systemd";
        using var mgr = renderOnly ? null : await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        var sd = mgr as SystemdManager;
        if (!renderOnly && sd is null)
            return ReshError.Unsupported("create writes systemd units; OpenRC init scripts are shell code resh does not generate.", "Write the script with file://, then resh svc://NAME.enable.");
        var name = ServiceManagers.TargetName(ctx, sd is null ? SystemdManager.NormalizeName : sd.Normalize);
        if (renderOnly) ctx.Warn("systemd is not running here: the unit is shown as it would be written, against this machine's /etc/systemd/system.");
        if (!name.EndsWith(".service", StringComparison.Ordinal))
            return ReshError.Usage($"create makes .service units, not {name}.", "Drop the suffix or use .service.");
        var argv = ctx.Get(Exec);
        if (argv.Count == 0 || argv[0].Length == 0) return ReshError.Usage("exec is empty.", "Example: resh svc://web.create -- /usr/bin/python3 -m http.server");
        // systemd removes the quotes before it reads ExecStart='s prefixes, so a quoted "+/bin/sh" would still run with full
        // privileges (+), ignore failures (-) or skip User= (!): the program's name may not start with one.
        if (argv[0][0] is '@' or '-' or ':' or '+' or '!' or '|')
            return ReshError.Usage($"The program `{argv[0]}` starts with `{argv[0][0]}`, which systemd reads as an ExecStart= prefix (+ full privileges, ! no User=, - ignore failure, @ argv0).",
                "Give the program's path (/usr/bin/...); resh writes no ExecStart= prefixes.", new JsonObject { ["program"] = argv[0] });
        // systemd would accept a missing User= and fail every start with 217/USER: refuse it now.
        if (ctx.Get(User) is { } user && Users.ResolveUid(user) is null)
            return ReshError.NotFound($"No user `{user}` on this host; the unit would fail at every start (217/USER).", "Create the user first, or name an existing one.",
                new JsonObject { ["user"] = user });
        if (ctx.Get(Group) is { } group && Users.ResolveGid(group) is null)
            return ReshError.NotFound($"No group `{group}` on this host; the unit would fail at every start (216/GROUP).", "Create the group first, or name an existing one.",
                new JsonObject { ["group"] = group });
        foreach (var d in ctx.Get(Directives))
        {
            var eq = d.IndexOf('=');
            var key = eq > 0 ? d[..eq].Trim() : "";
            if (key.Length == 0 || !char.IsAsciiLetterUpper(key[0]) || !key.All(char.IsAsciiLetterOrDigit) || d.Contains('\n') || d.Contains('\r'))
                return ReshError.Usage($"directives item `{(d.Length > 60 ? d[..60] + "…" : d)}` is not one Key=value line.", "Example: directives=NoNewPrivileges=yes",
                    new JsonObject { ["directive"] = d.Length > 200 ? d[..200] : d });
            if (key.StartsWith("Exec", StringComparison.Ordinal) || OwnKeys.Contains(key))
                return ReshError.Usage($"directives may not set {key}=: {(key.StartsWith("Exec", StringComparison.Ordinal) ? "it would run more commands" : "another argument writes it")}.",
                    key.StartsWith("Exec", StringComparison.Ordinal) ? "Run one program (exec); start helpers as units of their own." : $"Use the argument for {key}= (see resh help svc.create).",
                    new JsonObject { ["key"] = key });
        }
        // Secrets (and plain values whose names look secret, with a warning) go to a 0600 file the unit names.
        var environment = SecretEnv.Split(ctx, ctx.Get(Env), ctx.Get(SecretEnvArg), "env", "secret_env", moveSecretLooking: true);
        var envPath = Path.Combine(SecretEnvFile.SystemdDir, name + ".env");
        var envText = environment.Secret.Count > 0 ? SecretEnvFile.SystemdText(environment.Secret) : null;
        var content = Render(ctx, name, argv, environment.Plain, envText is null ? null : envPath);
        if (content is null) return ReshError.Usage("Values must be single lines.", "Remove newlines from description, user, group and directories.");
        var path = Path.Combine(SystemdManager.UnitDir, name);
        string? old = System.IO.File.Exists(path) ? await System.IO.File.ReadAllTextAsync(path, ctx.Cancellation).ConfigureAwait(false) : null;
        if (old is not null && !old.StartsWith(UnitFileText.Marker, StringComparison.Ordinal) && !ctx.Get(Force))
            return ReshError.Conflict($"{path} exists and was not created by resh.", "Pass force=true to replace it, or change it with edit.set.",
                new JsonObject { ["path"] = path });
        var oldEnv = SecretEnvFile.Read(envPath);
        var envFile = envText is null ? null : envPath;
        if (old == content && oldEnv == envText) return new SvcFileResult(name, path, null, false, envFile);
        var diff = (Diff.Unified(old, content, path) ?? "") + (SecretEnvFile.MaskedDiff(oldEnv, envText, envPath) ?? "");
        if (ctx.DryRun) return Outcome.Changed(new SvcFileResult(name, path, diff, false, envFile));
        Directory.CreateDirectory(SystemdManager.UnitDir);
        if (oldEnv != envText) SecretEnvFile.Write(envPath, envText); // before the unit, which must never name a missing file
        var reload = old != content;
        if (reload)
        {
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(content), (UnixFileMode)0x1a4);
            await sd!.DaemonReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        }
        var st = await sd!.StatusAsync(name, ctx.Cancellation).ConfigureAwait(false);
        if (old is not null && st.ActiveState == "active") ctx.Warn($"{name} is running the old definition; restart it to apply: resh svc://{name}.restart");
        return Outcome.Changed(new SvcFileResult(name, path, diff, reload, envFile));
    }

    static string? Render(VerbContext ctx, string name, IReadOnlyList<string> argv, IReadOnlyList<(string Name, string Value)> env, string? envFile)
    {
        string?[] single = [ctx.Get(Description), ctx.Get(User), ctx.Get(Group), ctx.Get(WorkingDir), ctx.Get(WantedBy), .. ctx.Get(After), .. ctx.Get(Wants)];
        if (single.Any(s => s is not null && (s.Contains('\n') || s.Contains('\r')))) return null;
        var sb = new StringBuilder();
        sb.Append(UnitFileText.Marker).Append('\n');
        sb.Append("[Unit]\n");
        sb.Append("Description=").Append(UnitFileText.Plain(ctx.Get(Description) ?? name[..^8])).Append('\n');
        if (ctx.Get(After) is { Count: > 0 } after) sb.Append("After=").Append(string.Join(' ', after)).Append('\n');
        if (ctx.Get(Wants) is { Count: > 0 } wants) sb.Append("Wants=").Append(string.Join(' ', wants)).Append('\n');
        sb.Append("\n[Service]\n");
        sb.Append("Type=").Append(ctx.Get(Type)).Append('\n');
        sb.Append("ExecStart=").Append(UnitFileText.ExecLine(argv)).Append('\n');
        // A fixed program and a signal from a closed list: no command of the caller's choosing.
        if (ctx.Get(ReloadSignal) is { } signal) sb.Append("ExecReload=/bin/kill -s ").Append(signal).Append(" $MAINPID\n");
        if (ctx.Get(User) is { } u) sb.Append("User=").Append(UnitFileText.Plain(u)).Append('\n');
        if (ctx.Get(Group) is { } g) sb.Append("Group=").Append(UnitFileText.Plain(g)).Append('\n');
        if (ctx.Get(WorkingDir) is { } wd) sb.Append("WorkingDirectory=").Append(UnitFileText.Plain(wd)).Append('\n');
        foreach (var (n, v) in env) sb.Append("Environment=").Append(UnitFileText.EnvironmentValue($"{n}={v}")).Append('\n');
        if (envFile is not null) sb.Append("EnvironmentFile=").Append(UnitFileText.Plain(envFile)).Append('\n');
        sb.Append("Restart=").Append(ctx.Get(Restart)).Append('\n');
        if (ctx.Get(RestartSec) is { } rs) sb.Append("RestartSec=").Append(Math.Max(0, (long)rs.TotalMilliseconds)).Append("ms\n");
        foreach (var d in ctx.Get(Directives)) sb.Append(d.Trim()).Append('\n');
        sb.Append("\n[Install]\n");
        sb.Append("WantedBy=").Append(ctx.Get(WantedBy)).Append('\n');
        return sb.ToString();
    }
}
