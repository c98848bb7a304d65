using System.Collections;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcSpawn
{
    static readonly Arg<IReadOnlyList<string>> Argv = Arg.Command("argv", "The program and its arguments: the words after `--`, argv:=[\"prog\",\"arg\"], or command=\"prog arg\" split into words as a shell would (quotes respected); never run through a shell.",
        required: true, positional: true, aliases: ["command"], examples: ["sleep 60"]);
    static readonly Arg<IReadOnlyList<string>> Env = Arg.List("env", "Extra environment as NAME=value (values are never echoed).", examples: ["PORT=8080"]);
    static readonly Arg<bool> CleanEnv = Arg.Bool("clean_env", "Start from an empty environment (PATH=/usr/local/bin:/usr/bin:/bin) instead of resh's.");
    static readonly Arg<string?> Cwd = Arg.String("cwd", "Working directory (default: the current one).", path: PathUse.Read);
    static readonly Arg<string?> Stdout = Arg.String("stdout", "Append standard output to this file.", "/dev/null", path: PathUse.Write);
    static readonly Arg<string?> Stderr = Arg.String("stderr", "Append standard error to this file (default: same as stdout).", path: PathUse.Write);

    public static readonly VerbInfo Verb = VerbInfo.Define("spawn", Effect.Mutate,
        "Start a detached command (new session, stdin from /dev/null, output to log files) and return its PID.",
        [Argv, Env, CleanEnv, Cwd, Stdout, Stderr], () => ProcJson.Default.ProcSpawnResult, Run,
        examples:
        [
            new("proc://.spawn stdout=/tmp/worker.log -- /usr/bin/python3 -m http.server 24280", "A detached web server logging to /tmp/worker.log."),
            new("'proc://.spawn(argv:=[\"sleep\",\"600\"])'", "The same call shape from JSON."),
        ],
        notes: "The child runs in its own session (setsid), so it survives resh and the terminal; it is started with posix_spawn, never a shell.",
        targetHelp: "Empty: proc://.spawn").WithRunsPrograms();

    /// <summary>What execve would refuse with E2BIG, as `usage` before anything starts: the total of argv and environment
    /// (strings, their terminating NULs and pointers) above ARG_MAX, or one string above MAX_ARG_STRLEN.</summary>
    static ReshError? TooLarge(IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        long total = 0;
        foreach (var list in (IReadOnlyList<string>[])[argv, env])
        {
            foreach (var s in list)
            {
                var bytes = System.Text.Encoding.UTF8.GetByteCount(s) + 1;
                if (bytes > ProcNative.MaxArgStrLen)
                    return ReshError.Usage($"An argument or environment entry of {bytes} bytes is longer than the kernel accepts ({ProcNative.MaxArgStrLen} bytes).",
                        "Pass large data through a file or stdin instead of argv.", new JsonObject { ["bytes"] = bytes, ["limit"] = ProcNative.MaxArgStrLen });
                total += bytes + IntPtr.Size;
            }
        }
        var max = ProcNative.ArgMax;
        return total + 2 * IntPtr.Size > max
            ? ReshError.Usage($"The command line and environment take {total} bytes, more than the system's ARG_MAX ({max} bytes).",
                "Pass fewer arguments (xargs splits long lists), or give large data through a file.", new JsonObject { ["bytes"] = total, ["arg_max"] = max })
            : null;
    }

    static Outcome<ProcSpawnResult> Run(VerbContext ctx)
    {
        if (ctx.Target.Trim().Length > 0)
            return ReshError.Usage("spawn takes no target.", "Write it as: resh proc://.spawn -- PROGRAM ARGS...");
        var argv = ctx.Get(Argv);
        if (argv.Count == 0 || argv[0].Length == 0)
            return ReshError.Usage("Nothing to run: give the program and its arguments.", "Example: resh proc://.spawn -- sleep 60");
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ctx.Get(CleanEnv)) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        else
            foreach (DictionaryEntry kv in Environment.GetEnvironmentVariables())
                env[(string)kv.Key] = (string?)kv.Value ?? "";
        var extra = new List<string>();
        foreach (var item in ctx.Get(Env))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0) return ReshError.Usage("Each env entry must be NAME=value.", "Example: env=PORT=8080");
            env[item[..eq]] = item[(eq + 1)..];
            extra.Add(item[..eq]);
        }
        var cwd = ctx.Get(Cwd) is { } c ? Path.GetFullPath(c) : null;
        if (cwd is not null && !Directory.Exists(cwd))
            return ReshError.NotFound($"The working directory {cwd} does not exist.", null);
        var stdout = Path.GetFullPath(ctx.Get(Stdout)!);
        var stderr = ctx.Get(Stderr) is { } se ? Path.GetFullPath(se) : stdout;
        foreach (var log in new[] { stdout, stderr })
        {
            var dir = Path.GetDirectoryName(log);
            if (dir is not null && !Directory.Exists(dir))
                return ReshError.NotFound($"The directory for log file {log} does not exist.", "Create it first, or choose another path.");
        }
        var envList = env.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        if (TooLarge(argv, envList) is { } tooLarge) return tooLarge;
        if (ctx.DryRun) return Outcome.Changed(new ProcSpawnResult(0, argv, cwd, stdout, stderr, extra));

        var pid = ProcNative.SpawnDetached(argv, envList, cwd, stdout, stderr, out var errno);
        if (pid < 0)
        {
            var details = new JsonObject { ["program"] = argv[0], ["errno"] = errno };
            return errno switch
            {
                2 => ReshError.NotFound($"Program `{argv[0]}` not found.", "Give an absolute path, or a program on PATH.", details),
                13 => ReshError.PermissionDenied($"Not allowed to run `{argv[0]}` (or to open its log files).", "Check the execute bit and the log paths.", details),
                _ => ReshError.Failed($"Could not start `{argv[0]}`: {Resh.Core.Platform.Posix.StrError(errno)}.", null, details),
            };
        }
        return Outcome.Changed(new ProcSpawnResult(pid, argv, cwd, stdout, stderr, extra));
    }
}
