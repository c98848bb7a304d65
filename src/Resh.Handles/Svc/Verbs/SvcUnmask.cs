using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcUnmask
{
    public static readonly VerbInfo Verb = VerbInfo.Define("unmask", Effect.Mutate,
        "Undo mask.",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.SetStateAsync(ctx, "unmask", false),
        examples: [new("svc://telnet.unmask", "Allow telnet.service again.")]);
}
