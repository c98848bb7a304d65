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

    static Outcome<LockReleaseResult> Run(VerbContext ctx)
    {
        var name = LockStore.NameOf(ctx.Target);
        var token = ctx.Get(Token);
        var force = ctx.Get(Force);
        if (token is null && !force) return ReshError.Usage("release needs the token acquire gave, or force=true.", $"Example: resh lock:///{name}.release token=TOKEN");
        var store = new LockStore(ctx.Runtime.Paths);
        using (store.Mutex(name, ctx.Cancellation))
        {
            var lease = store.Read(name);
            if (lease is null || !LockStore.IsLive(lease))
                return Outcome.Unchanged(new LockReleaseResult(name, false, null));
            if (!force && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(lease.Token), System.Text.Encoding.UTF8.GetBytes(token!)))
                return ReshError.Conflict($"The lock {name} is held by PID {lease.Pid} under another token.", "Give the token your acquire returned, or force=true to break it.");
            if (!ctx.DryRun) store.Delete(name);
            return Outcome.Changed(new LockReleaseResult(name, true, lease.Holder));
        }
    }
}
