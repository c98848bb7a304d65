using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

public static class LockStatus
{
    public static readonly VerbInfo Verb = VerbInfo.Define("status", Effect.Read,
        "Whether a lock is held, and by whom (PID, host, since, expiry, note).",
        [], () => LockJson.Default.LockStatusResult, ctx => Outcome.Unchanged(Of(new LockStore(ctx.Runtime.Paths), LockStore.NameOf(ctx.Target), ctx.Cancellation)),
        examples: [new("lock:///deploy.status", "held:false, or the holder.")],
        targetHelp: "The lock's name: lock:///deploy");

    public static LockStatusResult Of(LockStore store, string name, CancellationToken ct)
    {
        using (store.Mutex(name, ct))
        {
            var lease = store.Read(name);
            return lease is not null && LockStore.IsLive(lease) ? new LockStatusResult(name, true, lease.Holder) : new LockStatusResult(name, false, null);
        }
    }
}
