using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcStop
{
    public static readonly VerbInfo Verb = VerbInfo.Define("stop", Effect.Mutate,
        "Stop a service; already stopped is `changed: false`.",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.ActAsync(ctx, "stop"),
        examples: [new("svc://nginx.stop", "Stop nginx.")]);
}
