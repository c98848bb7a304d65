using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

public static class LockRelease
{
    static readonly Arg<string?> Token = Arg.String("token", "The token acquire gave: proves this caller holds the lock.");
    static readonly Arg<bool> Force = Arg.Bool("force", "Release whoever holds it, without the token (breaks another holder's lock).");

    public static readonly VerbInfo Verb = VerbInfo.Define("release", Effect.Mutate,
        "Give a lock back (with the token acquire gave, or force=true).",
        [Token, Force], () => LockJson.Default.LockReleaseResult, Run,
        examples:
        [
            new("lock:///deploy.release token=3f9c...", "Released; `changed:false` when it was not held any more."),
            new("lock:///deploy.release force=true", "Break a lock whose holder is stuck."),
        ],
        targetHelp: "The lock's name: lock:///deploy");

    static async ValueTask<Outcome<LockReleaseResult>> Run(VerbContext ctx)
    {
        var (name, backend) = await LockTarget.OpenAsync(ctx).ConfigureAwait(false);
        var token = ctx.Get(Token);
        var force = ctx.Get(Force);
        if (token is null && !force) return ReshError.Usage("release needs the token acquire gave, or force=true.", $"Example: resh {LockArgs.Display(ctx)}.release token=TOKEN");
        var outcome = await backend.ReleaseAsync(name, force ? null : token, ctx.DryRun, ctx.Cancellation).ConfigureAwait(false);
        return outcome.State switch
        {
            LockReleaseState.NotHeld => Outcome.Unchanged(new LockReleaseResult(name, false, null)),
            LockReleaseState.WrongToken => ReshError.Conflict($"The lock {name} is held by PID {outcome.Holder!.Pid} on {outcome.Holder.Host} under another token.",
                "Give the token your acquire returned, or force=true to break it.", new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["pid"] = outcome.Holder.Pid, ["host"] = outcome.Holder.Host }),
            _ => Outcome.Changed(new LockReleaseResult(name, true, outcome.Holder?.Holder)),
        };
    }
}
