using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcWait
{
    static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up (error `timeout`) after this long.", TimeSpan.FromSeconds(30));

    public static readonly VerbInfo Verb = VerbInfo.Define("wait", Effect.Read,
        "Wait until the target's processes have exited, or the timeout passes.",
        [Timeout], () => ProcJson.Default.ProcWaitResult, RunAsync,
        examples: [new("'proc://1234.wait(timeout=2m)'", "Block until PID 1234 exits (at most 2 minutes).")],
        notes: "A PID that does not exist has already exited: the result says so at once. A name that matches nothing is `not_found`.");

    static async ValueTask<Outcome<ProcWaitResult>> RunAsync(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        List<ProcEntry> entries;
        if (target.Pid is { } pid)
        {
            entries = target.Resolve(false, false).Where(e => !e.IsZombie).ToList();
            if (entries.Count == 0) return new ProcWaitResult([pid], true, 0);
        }
        else entries = target.ResolveExisting(withStatus: false, withCmdline: false);
        var timeout = ctx.Get(Timeout)!.Value;
        var clock = Stopwatch.StartNew();
        var left = await ProcSignalling.WaitAsync(entries, timeout, ctx.Cancellation).ConfigureAwait(false);
        var pids = entries.Select(e => e.Pid).ToList();
        if (left.Count > 0)
            return ReshError.Timeout($"{left.Count} of {entries.Count} process(es) still running after {Resh.Core.Values.DurationValue.Format(timeout)}.",
                "Wait longer with timeout=..., or stop them: resh proc://PID.kill",
                new JsonObject { ["running"] = new JsonArray(left.Select(e => (JsonNode?)e.Pid).ToArray()) });
        return new ProcWaitResult(pids, true, Math.Round(clock.Elapsed.TotalMilliseconds, 1));
    }
}
