using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

public static class SshExec
{
    static readonly Arg<string?> Command = Arg.String("command",
        "A command line split into words as a shell would (quotes respected) and run without a shell: no variables, globs, pipes or redirections.",
        examples: ["uname -a"], aliases: ["cmd"]);
    static readonly Arg<IReadOnlyList<string>> Argv = Arg.List("argv", "The program and its arguments as exact words (after `--`).", positional: true);
    static readonly Arg<string?> Shell = Arg.String("shell", "A command line for /bin/sh on the host (pipes, globs, variables): an explicit opt-in.",
        examples: ["df -h | tail -n +2"]);
    static readonly Arg<IReadOnlyList<string>> Env = Arg.List("env", "Environment variables for the command, as NAME=VALUE.", examples: ["LANG=C,TZ=UTC"]);
    static readonly Arg<IReadOnlyList<string>> SecretEnvArg = Arg.List("secret_env",
        "Secret environment variables, as NAME=SOURCE with a secret-typed source: secret:NAME, env:VAR or file:PATH (a literal works, with a warning).",
        examples: ["API_TOKEN=secret:ci/token", "PGPASSWORD=env:PGPASSWORD"], role: ArgRole.SecretSources);
    static readonly Arg<string?> Cwd = Arg.String("cwd", "Directory to run in (default: the login directory).");
    static readonly Arg<byte[]?> Stdin = Arg.Bytes("stdin", "Bytes for the command's standard input (stdin=@file, stdin=@-).");
    static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Stop the command after this long (killed on the host with timeout(1) where it exists).", TimeSpan.FromMinutes(10));
    static readonly Arg<long?> MaxOutput = Arg.Size("max_output", "Keep at most this much of stdout and of stderr; the rest is dropped and flagged.", 1024 * 1024);
    static readonly Arg<bool> Check = Arg.Bool("check", "A non-zero exit status is `failed` (as Ansible's command module); false reports any status as success.", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("exec", Effect.Mutate,
        "Run a command on the host(s) and return its exit status, stdout and stderr.",
        [Command, Argv, Shell, Env, SecretEnvArg, Cwd, Stdin, Timeout, MaxOutput, Check, .. SshArgs.Connection], () => SshJson.Default.ExecResult, RunAsync,
        examples:
        [
            new("'ssh://box.exec(command=uname -a)'", "One command, split into words, no shell."),
            new("ssh://box exec -- ls -la /tmp", "Exact words after --."),
            new("'ssh://web[01:03].exec(shell=df -h / | tail -1)'", "A shell pipeline, on three hosts."),
            new("'ssh://box.exec(command=wc -l,stdin=one)'", "Feed text to the command (stdin=@file or stdin=@- for a file or this process's stdin)."),
        ],
        notes: "env and secret_env values, the words and cwd travel inside the script on the channel's stdin, never on a command line here or on the host; " +
               "secret_env takes secret-typed sources and masks the values in the envelope, the --verbose log and --format raw output (a command that prints its secret shows ***). Interrupting resh stops the command on the host too. " +
               "Like Ansible's command module, a non-zero exit status is an error (`failed`, with exit_code, stdout and stderr in details) unless check=false, " +
               "and a command that ran reports changed: true; under --dry-run nothing runs. Exit 127 (command not found) is `not_found`, 126 is `permission_denied`. " +
               "The remote login shell must be POSIX (sh, bash, dash, zsh, ksh): every word is single-quoted for it.");

    static ValueTask<Outcome<ExecResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.ExecResult, (call, host) => RunOnHostAsync(ctx, call, host));

    static async Task<Outcome<ExecResult>> RunOnHostAsync(VerbContext ctx, SshCall call, HostTarget host)
    {
        var (words, display) = Words(ctx);
        // Values reach the host only inside the script on the channel's stdin; secrets (and plain values whose
        // names look secret, with a warning) are masked wherever the envelope or --verbose could show them.
        var split = SecretEnv.Split(ctx, ctx.Get(Env), ctx.Get(SecretEnvArg), "env", "secret_env", moveSecretLooking: false);
        var env = split.Plain.Select(p => $"{p.Name}={p.Value}").Concat(split.Secret.Select(p => $"{p.Name}={p.Value.Reveal()}")).ToList();
        var timeout = ctx.Get(Timeout) ?? TimeSpan.FromMinutes(10);
        // Under --timeout the command is also stopped on the host, not only the connection here.
        if (ctx.TimeRemaining is { } left && left < timeout) timeout = left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left;
        if (ctx.DryRun)
            return Outcome.Changed(new ExecResult(display, null, "", "", false, false, 0));

        var become = call.BecomeFor(host);
        if (become?.Unsupported() is { } unsupported) return unsupported;
        var (script, before) = Script(words, env, ctx.Get(Cwd), timeout, become);
        var max = (int)Math.Min(int.MaxValue, ctx.Get(MaxOutput) ?? 1024 * 1024);
        var clock = Stopwatch.StartNew();
        // Words, environment and cwd travel on the channel's stdin with the command's own input behind them.
        byte[]? input = before.Length == 0 ? ctx.Get(Stdin) : [.. before, .. ctx.Get(Stdin) ?? []];
        var r = await StdinScript.RunAsync(call.Client, host, script, input, timeout + TimeSpan.FromSeconds(10), max, "command", killOnCancel: true).ConfigureAwait(false);
        var elapsed = clock.Elapsed;
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) return await call.Client.FailureAsync(host, r.Stderr).ConfigureAwait(false);
        if (r.ExitCode != 0 && become?.Refusal(host, r.Stderr) is { } refused) return refused;
        if (r.ExitCode == 97 && r.Stderr.Contains(NoCwd, StringComparison.Ordinal))
            return ReshError.NotFound($"{ctx.Get(Cwd)} is not a directory on {host.Alias}.", "Pass an existing cwd.", new JsonObject { ["host"] = host.Alias, ["cwd"] = ctx.Get(Cwd) });

        var result = new ExecResult(display, r.ExitCode, r.Stdout, r.Stderr, r.StdoutTruncated, r.StderrTruncated, Math.Round(elapsed.TotalMilliseconds, 2));
        var details = new JsonObject
        {
            ["host"] = host.Alias, ["exit_code"] = r.ExitCode, ["stdout"] = Tail(r.Stdout), ["stderr"] = Tail(r.Stderr),
            ["command"] = new JsonArray(display.Select(x => (JsonNode?)x).ToArray()),
        };
        if (r.ExitCode == 124 && elapsed >= timeout - TimeSpan.FromMilliseconds(200))
            return ReshError.Timeout($"The command on {host.Alias} ran longer than {Resh.Core.Values.DurationValue.Format(timeout)} and was stopped.", "Raise timeout=.", details);
        if (ctx.Get(Check) && r.ExitCode != 0)
        {
            return r.ExitCode switch
            {
                127 => ReshError.NotFound($"{display[0]}: command not found on {host.Alias}.", "Check the program name and PATH on the host (or use shell=).", details),
                126 => ReshError.PermissionDenied($"{display[0]} is not executable on {host.Alias}.", "Check its permissions on the host.", details),
                _ => ReshError.Failed($"The command exited with status {r.ExitCode} on {host.Alias}: {OneLine(r)}", "See stdout and stderr in details; pass check=false to accept any status.", details),
            };
        }
        // --format raw passes the command's stdout bytes through unchanged (non-UTF-8 included); a known secret
        // (secret_env, a resolved secret argument) is still masked there, as everywhere (SPEC §8).
        return Outcome.Changed(result).WithRaw(SecretRedactor.Active || r.StdoutBytes is null
            ? RawPayload.FromText(SecretRedactor.Scrub(r.Stdout), newline: false)
            : RawPayload.FromBytes(r.StdoutBytes));
    }

    const string NoCwd = "__RESH_NO_CWD__";

    static (IReadOnlyList<string> Words, string[] Display) Words(VerbContext ctx)
    {
        var given = new[] { ctx.IsSet(Command), ctx.Get(Argv).Count > 0, ctx.IsSet(Shell) }.Count(x => x);
        if (given != 1)
            throw ReshError.Usage(given == 0 ? "exec needs a command." : "Give exactly one of command, argv (words after --) and shell.",
                "Examples: ssh://box.exec(command=uname -a), ssh://box exec -- ls -la, ssh://box.exec(shell=ls | wc -l)").ToException();
        if (ctx.Get(Shell) is { } shell)
        {
            if (shell.Trim().Length == 0) throw ReshError.Usage("shell is empty.", null).ToException();
            return (["/bin/sh", "-c", shell], ["/bin/sh", "-c", shell]);
        }
        IReadOnlyList<string> words;
        if (ctx.Get(Command) is { } line)
        {
            try { words = CommandWords.Split(line); }
            catch (FormatException ex) { throw ReshError.Usage($"command: {ex.Message}", "Balance the quotes, or pass exact words after --.").ToException(); }
        }
        else words = ctx.Get(Argv);
        if (words.Count == 0 || words[0].Length == 0) throw ReshError.Usage("The command is empty.", null).ToException();
        if (words.Any(w => w.Contains('\0'))) throw ReshError.Usage("A command word contains a NUL byte.", null).ToException();
        return (words, words.ToArray());
    }

    /// <summary>
    /// The remote script, one line read from stdin: every word single-quoted; timeout(1) stops the command on
    /// the host itself; the PID it reports first lets an interrupt stop the remote process group. With
    /// become, that line only starts a shell as the other user, which reads the command's own line (its
    /// environment, directory and words) from stdin in turn: sudo resets the environment, and a value
    /// put on its command line would be visible to everyone.
    /// </summary>
    static (string Script, byte[] Before) Script(IReadOnlyList<string> words, IReadOnlyList<string> env, string? cwd, TimeSpan timeout, Become? become)
    {
        var sb = new System.Text.StringBuilder();
        if (cwd is not null) sb.Append($"cd -- {ShellQuote.QuoteOneLine(cwd)} 2>/dev/null || {{ echo {NoCwd} >&2; exit 97; }}; ");
        foreach (var e in env)
        {
            var eq = e.IndexOf('=');
            sb.Append($"export {e[..eq]}={ShellQuote.QuoteOneLine(e[(eq + 1)..])}; ");
        }
        var secs = Math.Max(1, (long)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var cmd = ShellQuote.JoinOneLine(words);
        if (become is null)
        {
            sb.Append($"if command -v timeout >/dev/null 2>&1; then exec timeout -k 5 {secs} {cmd}; fi; exec {cmd}");
            return (StdinScript.ReportPid + sb, []);
        }
        sb.Append($"exec {cmd}");
        var shell = $"{become.Wrapper}/bin/sh -c \"$__b\"";
        var outer = $"{StdinScript.ReportPid}{become.Prelude}__b={ShellQuote.QuoteOneLine(ShellQuote.StdinBootstrap)}; " +
                    $"if command -v timeout >/dev/null 2>&1; then exec timeout -k 5 {secs} {shell}; fi; exec {shell}";
        return (outer, [.. become.StdinPrefix, .. System.Text.Encoding.UTF8.GetBytes(sb + "\n")]);
    }

    static string OneLine(Resh.Core.Platform.ProcessResult r)
    {
        var line = r.LastErrorLine;
        return line.Length == 0 ? "(no output)" : line;
    }

    static string Tail(string s) => s.Length <= 4096 ? s : "…" + s[^4096..];
}
