using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

public static class LockStatus
{
    public static readonly VerbInfo Verb = VerbInfo.Define("status", Effect.Read,
        "Whether a lock is held, and by whom (PID, host, since, expiry and ttl left, fencing number, note).",
        [], () => LockJson.Default.LockStatusResult, Run,
        examples:
        [
            new("lock:///deploy.status", "held:false, or the holder."),
            new("lock://prod/deploy.status", "The lock deploy on the Redis server of the [lock.prod] table."),
        ],
        targetHelp: "The lock's name: lock:///deploy, lock://PROFILE/deploy, lock://HOST:PORT/deploy");

    static async ValueTask<Outcome<LockStatusResult>> Run(VerbContext ctx)
    {
        var (name, backend) = await LockTarget.OpenAsync(ctx).ConfigureAwait(false);
        return Outcome.Unchanged(await OfAsync(backend, name, ctx.Cancellation).ConfigureAwait(false));
    }

    public static async Task<LockStatusResult> OfAsync(ILockBackend backend, string name, CancellationToken ct) =>
        await backend.ReadAsync(name, ct).ConfigureAwait(false) is { } lease
            ? new LockStatusResult(name, backend.Kind, backend.Server, true, lease.Holder)
            : new LockStatusResult(name, backend.Kind, backend.Server, false, null);
}
