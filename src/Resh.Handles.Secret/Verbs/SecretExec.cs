using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Output;
using Resh.Core.Secrets;
using Resh.Core.Execution.Foreground;

namespace Resh.Handles.Secret.Verbs;

public static class SecretExec
{
    static readonly Arg<string?> Command = Arg.String("command",
        "The command line, split into words as a shell would (quotes respected) and run without a shell.", examples: ["env"], aliases: ["cmd"]);
    static readonly Arg<IReadOnlyList<string>> Argv = Arg.List("argv", "The program and its arguments as exact words (after `--`).", positional: true);
    static readonly Arg<IReadOnlyList<string>> Env = Arg.List("env",
        "Variables to set from secrets, as VAR:SECRET_NAME, or VAR:BACKEND:SECRET_NAME for another backend (local, env, file, pass).", required: true,
        examples: ["DB_PASSWORD:db/app,API_TOKEN:pass:ci/token"]);
    static readonly Arg<bool> Check = Arg.Bool("check",
        "A non-zero exit status is `failed` and becomes resh's exit status; false reports any status as success (exit 0).", true);
    static readonly Arg<long?> MaxOutput = Arg.Size("max_output",
        "How much of the end of stdout and of stderr the envelope keeps (json, yaml; and in error details). raw, table and ndjson stream all of it.", 1024 * 1024);

    public static readonly VerbInfo Verb = VerbInfo.Define("exec", Effect.Mutate,
        "Run a command with secrets in its environment, never on its command line or in the output.",
        [Command, Argv, Env, Check, MaxOutput, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretExecResult, Run, streams: true,
        examples:
        [
            new("'secret://.exec(command=env,env=DB_PASSWORD:db/app)'", "The command sees DB_PASSWORD; the output shows ***."),
            new("secret://.exec env=PGPASSWORD:db/app --format raw -- psql -h db1 -U app -c 'select 1'",
                "Like `op run`: psql's output as it comes (masked), its exit status as resh's."),
            new("secret://.exec env=API_TOKEN:pass:ci/token -- ./deploy.sh", "A secret from another backend (password-store)."),
        ],
        notes: "Like `op run` and `aws-vault exec`: the program inherits resh's environment (not RESH_SECRET_PASSPHRASE or RESH_SECRET_KEY_FILE) "
            + "and standard input, plus the named secrets; it runs without a shell. Every secret value (and each line of a multi-line one) is masked as *** "
            + "in its output as the output passes, also when a value is split across two writes; secrets shorter than 4 characters are refused (they cannot be masked "
            + "without masking ordinary text). Output: with --format raw the program's stdout and stderr are resh's stdout and stderr, streamed, and resh prints nothing "
            + "of its own once the program ran; with table they stream the same way and a summary follows; with ndjson each line is an event (except in resh batch, which keeps one envelope per request) "
            + "{\"event\":\"stdout\"|\"stderr\",\"line\":...} and the envelope ends the stream; with json and yaml the envelope holds the last max_output of each. "
            + "Exit status: when the program ran, resh exits with the program's status (a signal N gives 128+N), as `op run` does; the envelope is ok for 0, "
            + "else `failed` with details.exit_code, stdout and stderr (127 `not_found`, 126 `permission_denied`), each still exiting with the program's status. "
            + "check=false makes any status an ok envelope (result.exit_code) and exit 0. Before the program runs (a missing secret, a bad argument, a program not on PATH) "
            + "the exit status is resh's own (SPEC §3). Every secret is resolved before the program starts: a missing one runs nothing. Under --dry-run the secrets are checked and nothing runs.").WithRunsPrograms();

    static async ValueTask<Outcome<SecretExecResult>> Run(VerbContext ctx)
    {
        var words = CommandWords.Of(ctx.Get(Command), ctx.Get(Argv), "Example: resh 'secret://.exec(command=env,env=DB_PASSWORD:db/app)'").ToList();

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var injected = new List<string>();
        foreach (var pair in ctx.Get(Env))
        {
            var colon = pair.IndexOf(':');
            var variable = colon > 0 ? pair[..colon] : "";
            var reference = colon > 0 ? pair[(colon + 1)..] : "";
            // VAR:NAME, or VAR:BACKEND:NAME (secret names never hold a colon, so the two cannot be confused).
            var second = reference.IndexOf(':');
            var backendName = second > 0 ? reference[..second] : null;
            var name = second > 0 ? reference[(second + 1)..] : reference;
            if (!IsVariable(variable) || !SecretNames.IsValid(name))
                return ReshError.Usage($"`{pair}` is not VAR:SECRET_NAME (or VAR:BACKEND:SECRET_NAME).", "Example: env=DB_PASSWORD:db/app,API_TOKEN:pass:ci/token");
            if (backendName is not null && !Backends.SecretBackends.Names.Contains(backendName))
                return ReshError.Usage($"`{backendName}` in `{pair}` is not a secret backend.", $"One of: {string.Join(", ", Backends.SecretBackends.Names)}.");
            if (environment.ContainsKey(variable)) return ReshError.Usage($"{variable} is given twice.", null);
            var backend = backendName is null || backendName == ctx.Get(SecretArgs.Backend)
                ? SecretArgs.BackendFor(ctx)
                : Backends.SecretBackends.For(ctx.Runtime, backendName, null);
            var value = backend.Read(name, null, ctx.Cancellation)?.Value ?? throw KeystoreChange.NotFound(name, backend.Name);
            if (!value.IsText) return ReshError.Usage($"The secret {name} is binary; it cannot go into an environment variable.", "Store it as text (base64).");
            if (value.RevealBytes().IndexOf((byte)0) >= 0) return ReshError.Usage($"The secret {name} contains a NUL byte; it cannot go into an environment variable.", null);
            if (value.Reveal().Length < SecretRedactor.MinLength)
                return ReshError.Usage($"The secret {name} is shorter than {SecretRedactor.MinLength} characters: it cannot be masked in the program's output without masking ordinary text.",
                    $"Store a longer value (resh secret://{name}.generate), or give it to the program another way.");
            environment[variable] = value.Reveal();
            injected.Add(variable);
        }
        if (ctx.DryRun) return Outcome.Changed(new SecretExecResult(words, injected, null, "", "", false, false, 0, false));

        var program = words[0].Contains('/') ? words[0] : ProcessRunner.Which(words[0]);
        if (program is null || !File.Exists(program))
            return ReshError.NotFound($"{words[0]} is not a program on PATH.", "Give a full path, or install it.", new JsonObject { ["command"] = words[0] });

        var secrets = environment.Values.SelectMany(SecretRedactor.NeedlesOf).Distinct().ToList();
        var output = ForegroundOutput.For(ctx, "the program's standard input");
        var streamed = output.Streamed;

        var clock = Stopwatch.StartNew();
        var tailBytes = (int)Math.Min(int.MaxValue / 4, ctx.Get(MaxOutput) ?? 1024 * 1024);
        ForegroundResult r;
        try
        {
            r = await ForegroundProgram.RunAsync([program, .. words.Skip(1)], environment, output.InheritStdin, secrets, output.OnStdout, output.OnStderr, tailBytes, ctx.Cancellation)
                .ConfigureAwait(false);
        }
        catch (ReshException ex) when (ex.Error.Code == ErrorCode.Unavailable)
        {
            return ReshError.PermissionDenied(ex.Error.Message, "Check the program's mode.", new JsonObject { ["command"] = words[0] });
        }
        if (r.OutputHeldOpen)
            ctx.Warn($"{words[0]} left a process in the background that still holds its output; output after it ended is not shown.");
        var stdout = streamed ? "" : r.Stdout.Text();
        var stderr = streamed ? "" : r.Stderr.Text();
        var result = new SecretExecResult(words, injected, r.ExitCode, stdout, stderr, !streamed && r.Stdout.Truncated, !streamed && r.Stderr.Truncated,
            Math.Round(clock.Elapsed.TotalMilliseconds, 2), streamed);
        if (!ctx.Get(Check)) return Outcome.Changed(result);
        ctx.ExitStatus = r.ExitCode;
        // raw prints nothing of resh's own once the program ran: its output and its status are the answer.
        if (r.ExitCode == 0 || ctx.Format == OutputFormat.Raw) return Outcome.Changed(result).WithRaw(RawPayload.FromBytes(ReadOnlyMemory<byte>.Empty));
        var details = new JsonObject
        {
            ["exit_code"] = r.ExitCode, ["stdout"] = Tail(r.Stdout.Text()), ["stderr"] = Tail(r.Stderr.Text()),
            ["command"] = new JsonArray(words.Select(w => (JsonNode?)w).ToArray()),
        };
        var last = LastLine(r.Stderr.Text()) ?? LastLine(r.Stdout.Text()) ?? "";
        return r.ExitCode switch
        {
            127 => ReshError.NotFound($"{words[0]} exited with 127 (a command it ran was not found).", "Check the program and its PATH.", details),
            126 => ReshError.PermissionDenied($"{words[0]} exited with 126 (a command it ran could not be executed).", "Check its mode.", details),
            _ => ReshError.Failed($"{words[0]} exited with {r.ExitCode}{(last.Length > 0 ? ": " + last : ".")}", "Pass check=false to report any exit status as success.", details),
        };
    }

    static string? LastLine(string s)
    {
        var line = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return line is null ? null : line.Length > 300 ? line[..300] + "…" : line;
    }

    static bool IsVariable(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    static string Tail(string s) => s.Length <= 2000 ? s : "…" + s[^2000..];
}
