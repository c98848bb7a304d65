using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcSignal
{
    internal static readonly Arg<string?> Signal = Arg.String("signal", "Signal name or Linux number: TERM, HUP, INT, KILL, USR1, 15, 0 (existence check)...",
        "TERM", examples: ["HUP", "USR1", "9"], aliases: ["sig"]);
    internal static readonly Arg<bool> Force = Arg.Bool("force", "Allow signalling PID 1 or resh itself.");

    public static readonly VerbInfo Verb = VerbInfo.Define("signal", Effect.Mutate,
        "Send a signal to the target's processes (by name or number, Linux numbering).",
        [Signal, Force], () => ProcJson.Default.ProcSignalResult, Run,
        examples:
        [
            new("'proc://1234.signal(signal=HUP)'", "Ask PID 1234 to reload."),
            new("'proc://nginx.signal(signal=USR1)'", "Every nginx process reopens its logs."),
            new("'proc://1234.signal(signal=0)'", "Check that PID 1234 exists and may be signalled."),
        ],
        notes: "A name signals every matching process. PID 1 and resh's own PID need force=true.");

    static Outcome<ProcSignalResult> Run(VerbContext ctx)
    {
        var text = ctx.Get(Signal)!;
        if (!Signals.TryParse(text, out var sig))
            return ReshError.Usage($"`{text}` is not a signal.", Resh.Core.Text.Suggest.Hint(text.ToUpperInvariant(), Signals.Names)
                ?? $"Use a name ({string.Join(", ", Signals.Names.Take(15))}...) or a number 0-64.");
        var target = ProcTarget.Parse(ctx);
        var entries = target.ResolveExisting(withStatus: false, withCmdline: false);
        if (sig != 0) ProcTarget.GuardDangerous(entries, ctx.Get(Force), "signal");
        var name = Signals.Name(sig);
        if (ctx.DryRun)
            return Outcome.Changed(new ProcSignalResult(name, sig, entries.Select(e => new ProcSignalOutcome(e.Pid, e.Comm, false, null)).ToList()), sig != 0);
        var outcomes = entries.Select(e => (Entry: e, Error: ProcSignalling.Send(e, sig))).ToList();
        if (ProcSignalling.AllFailed(outcomes, name) is { } error) return error;
        foreach (var (e, err) in outcomes.Where(o => o.Error is not null)) ctx.Warn($"PID {e.Pid} was not signalled: {err}.");
        var result = new ProcSignalResult(name, sig, outcomes.Select(o => new ProcSignalOutcome(o.Entry.Pid, o.Entry.Comm, o.Error is null, o.Error)).ToList());
        return Outcome.Changed(result, sig != 0 && outcomes.Any(o => o.Error is null));
    }
}
