using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Execution.Foreground;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Platform;

namespace Resh.Handles.Lock;

public static class LockRun
{
    static readonly Arg<IReadOnlyList<string>> Argv = Arg.Command("argv", "The program and its arguments: the words after `--`, argv:=[\"prog\",\"arg\"], or command=\"prog arg\" split into words as a shell would (quotes respected); run without a shell.",
        required: true, positional: true, aliases: ["command"], examples: ["./deploy.sh"]);
    static readonly Arg<TimeSpan?> Ttl = Arg.Duration("ttl",
        "Redis: the lease length, renewed every ttl/3 while the command runs, so a holder that dies frees the lock after at most this long (default 30s). Locally the lock lives exactly as long as the command and ttl= is not used.",
        examples: ["30s", "2m"]);
    static readonly Arg<long?> ConflictExit = Arg.Int("conflict_exit",
        "The exit status when the lock is not had (held by another, or wait= ran out), like flock -E; by default the `conflict` or `timeout` status, which a command's own exit status may also be.",
        min: 1, max: 255, examples: ["75"]);
    static readonly Arg<long?> MaxOutput = Arg.Size("max_output", "How much of the end of stdout and of stderr the envelope keeps.", 1024 * 1024);

    public static readonly VerbInfo Verb = VerbInfo.Define("run", Effect.Mutate,
        "Run any command, as resh's user, while holding a named lock, like flock(1): no two runs of the same lock overlap.",
        [LockArgs.Wait, Ttl, Argv, ConflictExit, MaxOutput], () => LockJson.Default.LockRunResult, Run,
        examples:
        [
            new("lock:///deploy.run wait=10m -- ./deploy.sh", "Waits up to ten minutes for another deploy, then runs this one."),
            new("lock:///cron-backup.run -- restic backup /srv", "A second copy started while one runs fails at once with `conflict`."),
            new("lock:///cron-backup.run conflict_exit=75 -- restic backup /srv", "As above, but a run that finds the lock taken exits 75, told apart from restic's own exit statuses."),
            new("lock://prod/deploy.run wait=10m ttl=30s -- ./deploy.sh", "Across hosts: the lock lives on the Redis server of [lock.prod], renewed every 10 s while deploy.sh runs."),
        ],
        notes: "It runs any program, as the user resh runs as: a grant of lock.run (or lock.*) is a grant to run commands, as proc.spawn is. "
            + "The lock is held while resh or the command lives: if resh is killed the command still holds it, and when both are gone the lock is free at once. "
            + "SIGTERM or Ctrl-C to resh (and --timeout) send the command SIGTERM and give it 10 s to end as its handlers say before it is killed. "
            + "The command gets resh's standard input (when resh has it: not in `resh batch`) and resh's environment, with RESH_LOCK_NAME and, on Redis and etcd, RESH_LOCK_FENCE (the lease's fencing number, to hand to what it writes); its exit status becomes resh's (ok for 0, else `failed` with details.exit_code). "
            + "Output, as secret.exec: with --format raw the command's stdout and stderr are resh's, streamed, and resh prints nothing of its own, as flock(1); "
            + "with table they stream the same way and a summary follows; with ndjson each line is an event {\"event\":\"stdout\"|\"stderr\",\"line\":...} "
            + "and the envelope ends the stream; with json and yaml the envelope keeps the last max_output of each. "
            + "Under --dry-run nothing runs: the call only says whether the lock is free. "
            + "On Redis the lease is renewed every ttl/3 while the command runs; if resh dies the lease ends after ttl (the command is not stopped), "
            + "and if a renewal finds the lock lost (expired or broken with force=true) the envelope warns.",
        targetHelp: "The lock's name: lock:///deploy").WithRunsPrograms();

    static async ValueTask<Outcome<LockRunResult>> Run(VerbContext ctx)
    {
        var (name, backend) = await LockTarget.OpenAsync(ctx).ConfigureAwait(false);
        var words = ctx.Get(Argv);
        if (words.Count == 0 || words[0].Length == 0)
            return ReshError.Usage("Nothing to run: give the program and its arguments.", $"Example: resh lock:///{name}.run -- ./deploy.sh");
        var program = words[0].Contains('/') ? words[0] : ProcessRunner.Which(words[0]);
        if (program is null || !File.Exists(program))
            return ReshError.NotFound($"{words[0]} is not a program on PATH.", "Give a full path, or install it.", new JsonObject { ["command"] = words[0] });
        if (LockArgs.CheckTtl(ctx, Ttl, backend) is { } bad) return bad;
        var ttl = backend.Server is null ? null : ctx.Get(Ttl) ?? backend.DefaultTtl;
        if (ctx.DryRun)
        {
            if (await backend.ReadAsync(name, ctx.Cancellation).ConfigureAwait(false) is { } held) return LockStore.Held(name, held, TimeSpan.Zero, LockArgs.Display(ctx));
            return Outcome.Changed(new LockRunResult(name, words, backend.Kind, null, null, "", "", false, false, 0, 0));
        }

        var self = Environment.ProcessId;
        var note = string.Join(' ', words);
        LockLease lease;
        double waited;
        try
        {
            (lease, waited) = await LockWait.AcquireAsync(backend, name, LockArgs.Display(ctx),
            () => new LockLease(LockStore.NewToken(), self, LockStore.StartOf(self) ?? 0, null, null, Environment.MachineName, DateTime.UtcNow,
                ttl is { } t ? DateTime.UtcNow + t : null, note.Length > 200 ? note[..200] : note),
            ttl, ctx.Get(LockArgs.Wait)!.Value, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (ReshException e) when (e.Error.Code is ErrorCode.Conflict or ErrorCode.Timeout && ctx.Get(ConflictExit) is { } status)
        {
            ctx.ExitStatus = (int)status;
            throw;
        }
        var tail = (int)Math.Min(int.MaxValue / 4, ctx.Get(MaxOutput) ?? 1024 * 1024);
        var clock = Stopwatch.StartNew();
        using var renewal = ttl is { } period ? new LockRenewal(backend, name, lease.Token, period) : null;
        try
        {
            // Output as secret.exec gives it (ForegroundOutput): streamed for raw, table and ndjson, the tail kept for json.
            var output = ForegroundOutput.For(ctx, "the command's standard input");
            ForegroundResult r;
            try
            {
                // The command learns which lock it runs under, and the fence to hand to what it writes (a store that
                // refuses a smaller fence than it has seen keeps out a holder whose lease ran out).
                var environment = new Dictionary<string, string> { ["RESH_LOCK_NAME"] = name };
                if (lease.Fence is { } fence) environment["RESH_LOCK_FENCE"] = fence.ToString(System.Globalization.CultureInfo.InvariantCulture);
                r = await ForegroundProgram.RunAsync([program, .. words.Skip(1)], environment, output.InheritStdin, [],
                    output.OnStdout, output.OnStderr, tail, ctx.Cancellation,
                    // The command holds the lock too: if resh dies, the lock stays taken until the command ends (locally).
                    started: pid => backend.AdoptChildAsync(name, lease.Token, pid, CancellationToken.None)).ConfigureAwait(false);
            }
            catch (ReshException e) when (e.Error.Code == ErrorCode.Unavailable)
            {
                return ReshError.PermissionDenied(e.Error.Message, "Check the program's mode.", new JsonObject { ["command"] = words[0] });
            }
            if (r.OutputHeldOpen)
                ctx.Warn($"{words[0]} left a process in the background that still holds its output; the lock covers only the command itself, and output after it ended is not shown.");
            var (outText, errText) = output.Streamed ? ("", "") : (r.Stdout.Text(), r.Stderr.Text());
            var code = r.ExitCode;
            var result = new LockRunResult(name, words, backend.Kind, lease.Fence, code, outText, errText,
                !output.Streamed && r.Stdout.Truncated, !output.Streamed && r.Stderr.Truncated, waited, Math.Round(clock.Elapsed.TotalMilliseconds, 2), output.Streamed);
            ctx.ExitStatus = code;
            // raw prints nothing of resh's own once the command ran, as flock(1): its output and its status are the answer.
            if (code == 0 || ctx.Format == OutputFormat.Raw) return Outcome.Changed(result).WithRaw(RawPayload.FromBytes(ReadOnlyMemory<byte>.Empty));
            var details = new JsonObject
            {
                ["exit_code"] = code, ["stdout"] = Last(r.Stdout.Text()), ["stderr"] = Last(r.Stderr.Text()),
                ["command"] = new JsonArray(words.Select(w => (JsonNode?)w).ToArray()),
            };
            return ReshError.Failed($"{words[0]} exited with {code} while holding the lock {name}.", "See details.stderr; the lock was released.", details);
        }
        finally
        {
            if (renewal is not null) await renewal.StopAsync().ConfigureAwait(false);
            var lost = renewal?.Lost;
            try
            {
                var release = await backend.ReleaseAsync(name, lease.Token, dryRun: false, CancellationToken.None).ConfigureAwait(false);
                if (release.State != LockReleaseState.Released && lost is null)
                    lost = $"the lease was gone when the command ended ({(release.State == LockReleaseState.WrongToken ? "another holder has the lock now" : "it expired")})";
            }
            catch (ReshException e) when (backend.Server is not null)
            {
                ctx.Warn($"The lock {name} could not be released ({e.Error.Message.TrimEnd('.')}); it ends by itself within {Resh.Core.Values.DurationValue.Format(ttl!.Value)}.");
            }
            if (lost is not null)
                ctx.Warn($"The lock {name} was lost while the command ran: {lost}; another holder may have run at the same time (fence {lease.Fence}).");
        }
    }

    static string Last(string text) => text.Length > 4096 ? text[^4096..] : text;
}
