using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Verbs;

public static class SecretExec
{
    static readonly Arg<string?> Command = Arg.String("command",
        "The command line, split into words as a shell would (quotes respected) and run without a shell.", examples: ["env"], aliases: ["cmd"]);
    static readonly Arg<IReadOnlyList<string>> Argv = Arg.List("argv", "The program and its arguments as exact words (after `--`).", positional: true);
    static readonly Arg<IReadOnlyList<string>> Env = Arg.List("env", "Variables to set from secrets, as VAR:SECRET_NAME.", required: true,
        examples: ["DB_PASSWORD:db/app,API_TOKEN:ci/token"]);
    static readonly Arg<bool> Check = Arg.Bool("check", "A non-zero exit status is `failed`; false reports any status as success.", true);
    static readonly Arg<long?> MaxOutput = Arg.Size("max_output", "Keep at most this much of stdout and of stderr.", 1024 * 1024);

    public static readonly VerbInfo Verb = VerbInfo.Define("exec", Effect.Mutate,
        "Run a command with secrets in its environment, never on its command line or in the output.",
        [Command, Argv, Env, Check, MaxOutput, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretExecResult, Run,
        examples:
        [
            new("'secret://.exec(command=env,env=DB_PASSWORD:db/app)'", "The command sees DB_PASSWORD; the output shows ***."),
            new("secret://.exec env=PGPASSWORD:db/app -- psql -h db1 -U app -c 'select 1'", "Exact words after --."),
        ],
        notes: "Like `op run` and `aws-vault exec`: the program inherits resh's environment plus the named secrets, runs without a shell, and its output comes back in the envelope "
            + "with every secret value masked as ***. Every secret is resolved before the program starts: a missing one runs nothing. Under --dry-run the secrets are checked and nothing runs. "
            + "A non-zero exit is `failed` (exit_code, stdout, stderr in details) unless check=false; 127 is `not_found`, 126 `permission_denied`.");

    static async ValueTask<Outcome<SecretExecResult>> Run(VerbContext ctx)
    {
        var words = ctx.Get(Argv).Count > 0 ? ctx.Get(Argv).ToList() : ctx.Get(Command) is { } line ? CommandWords.Split(line) : [];
        if (ctx.Get(Command) is not null && ctx.Get(Argv).Count > 0)
            return ReshError.Usage("Give the command either as command= or as words after --, not both.", null);
        if (words.Count == 0)
            return ReshError.Usage("secret.exec needs a command: command=... or the words after --.", "Example: resh 'secret://.exec(command=env,env=DB_PASSWORD:db/app)'");

        var backend = SecretArgs.BackendFor(ctx);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        var injected = new List<string>();
        foreach (var pair in ctx.Get(Env))
        {
            var colon = pair.IndexOf(':');
            var variable = colon > 0 ? pair[..colon] : "";
            var name = colon > 0 ? pair[(colon + 1)..] : "";
            if (!IsVariable(variable) || !SecretNames.IsValid(name))
                return ReshError.Usage($"`{pair}` is not VAR:SECRET_NAME.", "Example: env=DB_PASSWORD:db/app,API_TOKEN:ci/token");
            if (environment.ContainsKey(variable)) return ReshError.Usage($"{variable} is given twice.", null);
            var value = backend.Read(name, null, ctx.Cancellation)?.Value ?? throw KeystoreChange.NotFound(name, backend.Name);
            if (!value.IsText) return ReshError.Usage($"The secret {name} is binary; it cannot go into an environment variable.", "Store it as text (base64).");
            if (value.RevealBytes().IndexOf((byte)0) >= 0) return ReshError.Usage($"The secret {name} contains a NUL byte; it cannot go into an environment variable.", null);
            environment[variable] = value.Reveal();
            injected.Add(variable);
        }
        if (ctx.DryRun) return Outcome.Changed(new SecretExecResult(words, injected, null, "", "", false, false, 0));

        var clock = Stopwatch.StartNew();
        var program = words[0].Contains('/') ? words[0] : ProcessRunner.Which(words[0]) ?? words[0];
        ProcessResult r;
        try
        {
            r = await ProcessRunner.RunAsync([program, .. words.Skip(1)],
                new ProcessOptions { Environment = environment, MaxOutputBytes = (int)Math.Min(int.MaxValue, ctx.Get(MaxOutput) ?? 1024 * 1024) }, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (ReshException ex) when (ex.Error.Code == ErrorCode.Unavailable)
        {
            return ReshError.NotFound($"{words[0]} is not a program on PATH.", "Give a full path, or install it.", new JsonObject { ["command"] = words[0] });
        }
        // Mask before anything is cut: a secret split by max_output (or by the 2000-character tail of an error) would
        // otherwise leave a part the envelope's masking cannot recognise.
        var values = environment.Values.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct().ToList();
        var stdout = MaskCut(Mask(r.Stdout, values), values, atEnd: r.StdoutTruncated);
        var stderr = MaskCut(Mask(r.Stderr, values), values, atEnd: r.StderrTruncated);
        var result = new SecretExecResult(words, injected, r.ExitCode, stdout, stderr, r.StdoutTruncated, r.StderrTruncated, Math.Round(clock.Elapsed.TotalMilliseconds, 2));
        if (ctx.Get(Check) && r.ExitCode != 0)
        {
            var details = new JsonObject
            {
                ["exit_code"] = r.ExitCode, ["stdout"] = Tail(stdout, values), ["stderr"] = Tail(stderr, values),
                ["command"] = new JsonArray(words.Select(w => (JsonNode?)w).ToArray()),
            };
            return r.ExitCode switch
            {
                127 => ReshError.NotFound($"{words[0]} was not found (exit 127).", "Check the program name and PATH.", details),
                126 => ReshError.PermissionDenied($"{words[0]} could not be executed (exit 126).", "Check its mode.", details),
                _ => ReshError.Failed($"{words[0]} exited with {r.ExitCode}: {r.LastErrorLine}", "Pass check=false to report any exit status as success.", details),
            };
        }
        return Outcome.Changed(result);
    }

    static bool IsVariable(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    static string Tail(string s, List<string> secrets) => s.Length <= 2000 ? s : "…" + MaskCut(s[^2000..], secrets, atEnd: false);

    static string Mask(string s, List<string> secrets)
    {
        foreach (var v in secrets) s = s.Replace(v, SecretRedactor.Mask, StringComparison.Ordinal);
        return s;
    }

    /// <summary>Masks the part of a secret left at a cut edge: a prefix of one at the end (<paramref name="atEnd"/>), or a suffix at the start.</summary>
    internal static string MaskCut(string s, List<string> secrets, bool atEnd)
    {
        foreach (var v in secrets)
            for (int k = Math.Min(v.Length - 1, s.Length); k > 0; k--)
            {
                if (atEnd && s.EndsWith(v[..k], StringComparison.Ordinal)) return s[..^k] + SecretRedactor.Mask;
                if (!atEnd && s.StartsWith(v[^k..], StringComparison.Ordinal)) return SecretRedactor.Mask + s[k..];
            }
        return s;
    }
}
