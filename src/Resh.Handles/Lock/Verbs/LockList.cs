using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

public static class LockList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Every named lock: used on this machine (by this user's resh), held or free; or held on a Redis server.",
        [], () => LockJson.Default.LockListResult, Run,
        examples:
        [
            new("lock://.list --format table", "Names, holders and since."),
            new("lock://prod.list", "The locks held on the Redis server of the [lock.prod] table."),
        ],
        targetHelp: "Empty for local locks (lock://.list); the server for Redis: lock://PROFILE.list, lock://HOST:PORT/.list, lock:///.list for [lock.default]");

    static async ValueTask<Outcome<LockListResult>> Run(VerbContext ctx)
    {
        var (_, backend) = await LockTarget.OpenAsync(ctx, named: false).ConfigureAwait(false);
        var locks = new List<LockStatusResult>();
        foreach (var name in await backend.NamesAsync(ctx.Cancellation).ConfigureAwait(false))
            locks.Add(await LockStatus.OfAsync(backend, name, ctx.Cancellation).ConfigureAwait(false));
        if (backend.Server is not null) locks.RemoveAll(l => !l.Held); // expired between the scan and the read
        return Outcome.Unchanged(new LockListResult(backend.Kind, backend.Server, locks));
    }
}
