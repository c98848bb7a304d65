using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

public static class LockList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Every named lock used on this machine (by this user's resh), held or free.",
        [], () => LockJson.Default.LockListResult, Run,
        examples: [new("lock://.list --format table", "Names, holders and since.")],
        targetHelp: "Empty: lock://.list");

    static Outcome<LockListResult> Run(VerbContext ctx)
    {
        var store = new LockStore(ctx.Runtime.Paths);
        return Outcome.Unchanged(new LockListResult(store.Names().Select(n => LockStatus.Of(store, n, ctx.Cancellation)).ToArray()));
    }
}
