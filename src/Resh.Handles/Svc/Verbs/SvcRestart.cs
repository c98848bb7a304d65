using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcRestart
{
    public static readonly VerbInfo Verb = VerbInfo.Define("restart", Effect.Mutate,
        "Restart a service (starts it when stopped).",
        [ServiceManagers.DaemonReloadArg, ServiceManagers.SettleArg, ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.ActAsync(ctx, "restart"),
        examples: [new("svc://nginx restart", "Restart nginx.")]);
}
