using System.Diagnostics;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcKill
{
    static readonly Arg<TimeSpan?> Grace = Arg.Duration("grace", "How long to wait after TERM before sending KILL.", TimeSpan.FromSeconds(5));

    public static readonly VerbInfo Verb = VerbInfo.Define("kill", Effect.Destroy,
        "Stop the target's processes: TERM, wait up to the grace period, then KILL; reports which was needed.",
        [Grace, ProcSignal.Force], () => ProcJson.Default.ProcKillResult, RunAsync,
        examples:
        [
            new("proc://1234.kill", "TERM, then KILL after 5 s if PID 1234 is still there."),
            new("'proc://worker.kill(grace=30s)'", "Give every `worker` process 30 s to exit cleanly."),
        ],
        notes: "A process counts as exited when it is gone or a zombie waiting for its parent. PID 1 and resh's own PID need force=true.");

    static async ValueTask<Outcome<ProcKillResult>> RunAsync(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var entries = target.ResolveExisting(withStatus: false, withCmdline: false);
        ProcTarget.GuardDangerous(entries, ctx.Get(ProcSignal.Force), "kill");
        var grace = ctx.Get(Grace)!.Value;
        if (ctx.DryRun)
            return Outcome.Changed(new ProcKillResult(grace.TotalSeconds,
                entries.Select(e => new ProcKillOutcome(e.Pid, e.Comm, ["TERM"], false, false, 0)).ToList()));

        var clock = Stopwatch.StartNew();
        var sent = entries.Select(e => (Entry: e, Error: ProcSignalling.Send(e, Signals.Term))).ToList();
        if (ProcSignalling.AllFailed(sent, "TERM") is { } error) return error;
        foreach (var (e, err) in sent.Where(o => o.Error is not null)) ctx.Warn($"PID {e.Pid} was not signalled: {err}.");
        var signalled = sent.Where(o => o.Error is null).Select(o => o.Entry).ToList();

        var waited = new Dictionary<int, double>();
        var survivors = await ProcSignalling.WaitAsync(signalled, grace, ctx.Cancellation).ConfigureAwait(false);
        foreach (var e in signalled.Except(survivors)) waited[e.Pid] = clock.Elapsed.TotalMilliseconds;
        foreach (var e in survivors) ProcSignalling.Send(e, Signals.Kill);
        // KILL cannot be caught; a few seconds covers processes stuck in uninterruptible sleep briefly.
        var stubborn = survivors.Count == 0 ? [] : await ProcSignalling.WaitAsync(survivors, TimeSpan.FromSeconds(5), ctx.Cancellation).ConfigureAwait(false);
        foreach (var e in survivors) waited[e.Pid] = clock.Elapsed.TotalMilliseconds;
        foreach (var e in stubborn) ctx.Warn($"PID {e.Pid} is still there after KILL (uninterruptible sleep?).");

        var outcomes = signalled.Select(e => new ProcKillOutcome(e.Pid, e.Comm,
            survivors.Contains(e) ? ["TERM", "KILL"] : ["TERM"], survivors.Contains(e), !stubborn.Contains(e),
            Math.Round(waited.GetValueOrDefault(e.Pid), 1))).ToList();
        return Outcome.Changed(new ProcKillResult(grace.TotalSeconds, outcomes));
    }
}
