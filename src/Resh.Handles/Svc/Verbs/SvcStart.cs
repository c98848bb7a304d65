using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcStart
{
    public static readonly VerbInfo Verb = VerbInfo.Define("start", Effect.Mutate,
        "Start a service; already running is `changed: false`; a failed start is `failed` with its last log lines.",
        [ServiceManagers.DaemonReloadArg, ServiceManagers.SettleArg, ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.ActAsync(ctx, "start"),
        examples: [new("svc://nginx.start", "Start nginx.")]);
}
